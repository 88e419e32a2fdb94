package ingress

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/veil-proxy/veil/proxy/config"
)

// NewTransport is the upstream transport: explicit timeouts, HTTP/2, no
// proxy from the environment, no transparent decompression (Veil forwards
// the client's Accept-Encoding and decodes what it inspects itself).
func NewTransport(t config.Timeouts) *http.Transport {
	d := &net.Dialer{Timeout: t.UpstreamDial, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   t.UpstreamTLS,
		ResponseHeaderTimeout: t.UpstreamResponse,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}

// decodable are the content codings Veil can inspect (proxy/body).
var decodable = map[string]bool{"gzip": true, "x-gzip": true, "deflate": true, "identity": true}

// LimitAcceptEncoding keeps only the codings Veil can decode, so the CRM
// never answers in one (br, zstd) that would have to be refused.
func LimitAcceptEncoding(h http.Header) {
	v := h.Get("Accept-Encoding")
	if v == "" {
		return
	}
	var keep []string
	for _, part := range strings.Split(v, ",") {
		coding, _, _ := strings.Cut(part, ";")
		if decodable[strings.ToLower(strings.TrimSpace(coding))] {
			keep = append(keep, strings.TrimSpace(part))
		}
	}
	if len(keep) == 0 {
		h.Del("Accept-Encoding")
		return
	}
	h.Set("Accept-Encoding", strings.Join(keep, ", "))
}

// BoundBody bounds the reading of a response's body inside modify by d
// (reverse and forward mode, timeouts.upstream_response):
// the inspector reads a whole body before it answers, and a CRM that sends
// its headers and then stalls must not hold the request (and a goroutine)
// for ever. Past d reads fail as a timeout. A body modify leaves to stream
// is not bounded once modify returns.
func BoundBody(d time.Duration, modify func(*http.Response) error) func(*http.Response) error {
	return func(res *http.Response) error {
		if d <= 0 || res.Body == nil || res.Body == http.NoBody || res.StatusCode == http.StatusSwitchingProtocols {
			return modify(res)
		}
		tb := &timedBody{ReadCloser: res.Body}
		t := time.AfterFunc(d, func() {
			tb.expired.Store(true)
			_ = tb.ReadCloser.Close()
		})
		defer t.Stop()
		res.Body = tb
		return modify(res)
	}
}

type timedBody struct {
	io.ReadCloser
	expired atomic.Bool
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && b.expired.Load() {
		err = errBodyTimeout{}
	}
	return n, err
}

// errBodyTimeout is a net.Error that timed out.
type errBodyTimeout struct{}

func (errBodyTimeout) Error() string {
	return "reverse: the upstream body did not arrive within timeouts.upstream_response"
}
func (errBodyTimeout) Timeout() bool   { return true }
func (errBodyTimeout) Temporary() bool { return true }

// IsTimeout reports whether err is a net.Error that timed out.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// InMemory is implemented by a response body held whole in memory (an
// answer Veil inspected, rewrote or refused): it is there to be written
// at once, never something to stream as it arrives.
type InMemory interface {
	io.ReadCloser
	InMemory()
}

// MemoryBody is b as an InMemory response body.
func MemoryBody(b []byte) io.ReadCloser { return &memoryBody{Reader: bytes.NewReader(b)} }

type memoryBody struct{ *bytes.Reader }

func (*memoryBody) Close() error { return nil }
func (*memoryBody) InMemory()    {}

// StreamUnlessInMemory wraps a reverse proxy's ModifyResponse, for an
// httputil.ReverseProxy whose FlushInterval is 0: a response body left
// to stream from the CRM (unread, or inspected a chunk at a time) is
// flushed to the client after every write, as it arrives, by marking its
// ContentLength unknown, which httputil documents as flushing each write
// (its Content-Length header, if any, is the one sent, unchanged). A body
// held in memory (InMemory) is written whole when the copy ends, as a
// bare proxy writes it: flushing a complete body a write at a time only
// costs system calls.
func StreamUnlessInMemory(modify func(*http.Response) error) func(*http.Response) error {
	return func(res *http.Response) error {
		if err := modify(res); err != nil {
			return err
		}
		if _, ok := res.Body.(InMemory); !ok && res.Body != http.NoBody && res.Body != nil {
			res.ContentLength = -1
		}
		return nil
	}
}
