// Package audit records what Veil did, for the SOC and the DPO: events
// that never hold a value from a message, written as JSON lines to a file
// and to a Redis stream. This is the first slice: the records are written
// synchronously by the caller, which suits rare events such as a vault
// erasure; the per-message events, their queue, spool and hash chain come
// with the SOC work (DESIGN.md, events).
package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// NewEvent is an event of kind with a fresh random id, the current time
// and the host name.
func NewEvent(kind string) Event {
	var b [16]byte
	_, _ = rand.Read(b[:])
	host, _ := os.Hostname()
	return Event{ID: hex.EncodeToString(b[:]), Time: time.Now().UTC(), Kind: kind, Instance: host}
}

// Sink receives events.
type Sink interface {
	Write(ctx context.Context, e Event) error
	Close() error
}

// Discard drops every event.
var Discard Sink = discard{}

type discard struct{}

func (discard) Write(context.Context, Event) error { return nil }
func (discard) Close() error                       { return nil }

// FileSink appends one JSON line per event to a file (created 0600) and
// syncs it: an erasure's record must survive a crash right after.
type FileSink struct {
	mu sync.Mutex
	f  *os.File
}

// OpenFile opens (or creates) the JSONL file at path for appending.
func OpenFile(path string) (*FileSink, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit file: %w", err)
	}
	return &FileSink{f: f}, nil
}

func (s *FileSink) Write(_ context.Context, e Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("audit file: %w", err)
	}
	return s.f.Sync()
}

func (s *FileSink) Close() error { return s.f.Close() }

// StreamSink adds each event to a Redis stream (XADD with an approximate
// MAXLEN), one field "event" holding its JSON, so consumer groups read it
// as any stream.
type StreamSink struct {
	c      redis.UniversalClient
	stream string
	maxLen int64
}

// DefaultStreamMaxLen bounds a stream (approximately, as MAXLEN ~ does).
const DefaultStreamMaxLen = 1_000_000

// NewStream writes to stream on c.
func NewStream(c redis.UniversalClient, stream string) *StreamSink {
	return &StreamSink{c: c, stream: stream, maxLen: DefaultStreamMaxLen}
}

func (s *StreamSink) Write(ctx context.Context, e Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	err = s.c.XAdd(ctx, &redis.XAddArgs{Stream: s.stream, MaxLen: s.maxLen, Approx: true, Values: []any{"event", b}}).Err()
	if err != nil {
		return fmt.Errorf("audit stream %s: %w", s.stream, err)
	}
	return nil
}

// Close leaves the client open: it is shared.
func (s *StreamSink) Close() error { return nil }

// Multi writes every event to each sink, and fails if any failed.
type Multi []Sink

func (m Multi) Write(ctx context.Context, e Event) error {
	var errs []error
	for _, s := range m {
		if err := s.Write(ctx, e); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (m Multi) Close() error {
	var errs []error
	for _, s := range m {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
