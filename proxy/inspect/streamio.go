package inspect

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/pipeline"
)

// The readers under a streamed response (stream.go), and what their
// errors become.

// failure is the refusal for an error met while reading or cutting the
// body.
func (s *streamBody) failure(err error) *crm.Error {
	in := s.in
	switch {
	case errors.Is(err, errStreamTooLarge):
		return pipeline.Failure(pipeline.DirResponse, crm.CodeBodyTooLarge, "the body is larger than Veil streams ("+strconv.FormatInt(in.streaming.max, 10)+" bytes)")
	case errors.Is(err, body.ErrNotSplittable):
		return pipeline.Failure(pipeline.DirResponse, crm.CodeBodyTooLarge, "the body is larger than Veil inspects ("+strconv.FormatInt(in.maxBody, 10)+
			" bytes) and holds no list of records to inspect a part at a time")
	case errors.Is(err, body.ErrTooLarge):
		return pipeline.Failure(pipeline.DirResponse, crm.CodeBodyTooLarge, "a record of the body is larger than Veil inspects at once ("+strconv.Itoa(in.streaming.chunk)+" bytes)")
	}
	var be *body.Error
	if errors.As(err, &be) { // cut between records: the body is malformed
		return pipeline.Failure(pipeline.DirResponse, crm.CodeUpstreamInvalidBody, "the body could not be inspected: "+be.Error())
	}
	return in.readFailure(pipeline.DirResponse, s.msg.Route, err)
}

// streamError is Read's error once a stream is refused or fails: the
// listener aborts the transfer. It holds the stable code only.
type streamError struct{ code string }

func (e *streamError) Error() string { return "veil: streamed response stopped (" + e.code + ")" }

var errStreamClosed = errors.New("veil: streamed response closed")

// errStreamTooLarge is a streamed body over limits.max_stream_bytes.
var errStreamTooLarge = fmt.Errorf("%w: over limits.max_stream_bytes", body.ErrTooLarge)

// capReader fails with errStreamTooLarge past left bytes.
type capReader struct {
	r    io.Reader
	left int64
	read int64 // bytes read so far
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += int64(n)
	if c.left -= int64(n); c.left < 0 {
		return n, errStreamTooLarge
	}
	return n, err
}

// sink collects the encoder's output.
type sink struct{ b []byte }

func (s *sink) Write(p []byte) (int, error) {
	s.b = append(s.b, p...)
	return len(p), nil
}

// upstreamReader reads the CRM's body for a stream: a read that waits
// longer than stall fails as a timeout (ingress.BoundBody bounds the
// first chunk's reads as a whole; after that the body streams for as
// long as it keeps moving), and any failure is a wireError.
type upstreamReader struct {
	r       io.ReadCloser
	stall   time.Duration
	timer   *time.Timer
	expired atomic.Bool
}

func (u *upstreamReader) Read(p []byte) (int, error) {
	if u.stall > 0 {
		if u.timer == nil {
			u.timer = time.AfterFunc(u.stall, u.expire)
		} else {
			u.timer.Reset(u.stall)
		}
	}
	n, err := u.r.Read(p)
	if u.timer != nil {
		u.timer.Stop()
	}
	if err != nil && err != io.EOF {
		if u.expired.Load() {
			err = errStall{}
		}
		err = &wireError{err}
	}
	return n, err
}

func (u *upstreamReader) expire() {
	u.expired.Store(true)
	_ = u.r.Close()
}

func (u *upstreamReader) stop() {
	if u != nil && u.timer != nil {
		u.timer.Stop()
	}
}

func (u *upstreamReader) Close() error { return u.r.Close() }

// errStall is a CRM that sent nothing for timeouts.upstream_response in
// the middle of a streamed body: a net.Error that timed out.
type errStall struct{}

func (errStall) Error() string {
	return "the CRM's body stalled longer than timeouts.upstream_response"
}
func (errStall) Timeout() bool   { return true }
func (errStall) Temporary() bool { return true }
