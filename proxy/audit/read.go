package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Stream entry fields: an audit event is one entry with field "event"
// holding its JSON, an alert one with field "alert".
const (
	FieldEvent = "event"
	FieldAlert = "alert"
)

// MaxLine bounds one JSONL line (and one stream entry) when reading: an
// event holds counts and ids, never a body.
const MaxLine = 1 << 20

// ReadFile calls fn for each JSON line of the file at path, in order,
// decoded as T (Event or Alert). It stops at fn's first error and
// returns it; a line that does not decode is an error naming its number.
func ReadFile[T any](path string, fn func(T) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return ReadLines(f, fn)
}

// ReadLines is ReadFile over any reader.
func ReadLines[T any](r io.Reader, fn func(T) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return sc.Err()
}

// ReadStream calls fn for each entry of stream whose id falls between
// since and until (zero times: unbounded), in stream order, decoding the
// JSON in field (FieldEvent or FieldAlert) as T. It pages with XRANGE
// COUNT so a long stream is never held in memory. fn gets the entry id.
func ReadStream[T any](ctx context.Context, c redis.UniversalClient, stream, field string, since, until time.Time, fn func(id string, v T) error) error {
	start, end := "-", "+"
	if !since.IsZero() {
		start = strconv.FormatInt(since.UnixMilli(), 10)
	}
	if !until.IsZero() {
		end = strconv.FormatInt(until.UnixMilli(), 10)
	}
	const page = 1000
	for {
		msgs, err := c.XRangeN(ctx, stream, start, end, page).Result()
		if err != nil {
			return fmt.Errorf("read stream %s: %w", stream, err)
		}
		for _, m := range msgs {
			raw, ok := m.Values[field].(string)
			if !ok {
				return fmt.Errorf("stream %s entry %s: no %q field", stream, m.ID, field)
			}
			var v T
			if err := json.Unmarshal([]byte(raw), &v); err != nil {
				return fmt.Errorf("stream %s entry %s: %w", stream, m.ID, err)
			}
			if err := fn(m.ID, v); err != nil {
				return err
			}
		}
		if len(msgs) < page {
			return nil
		}
		start = "(" + msgs[len(msgs)-1].ID // exclusive: Redis ≥ 6.2
	}
}

// ErrStop, returned by a ReadFile or ReadStream callback, ends the read
// early; callers treat it as success.
var ErrStop = errors.New("stop reading")
