package ingress

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestLimitAcceptEncoding(t *testing.T) {
	for in, want := range map[string]string{
		"gzip, deflate, br":          "gzip, deflate",
		"br;q=1.0, gzip;q=0.8, zstd": "gzip;q=0.8",
		"br":                         "",
		"":                           "",
		"GZIP":                       "GZIP",
	} {
		h := http.Header{}
		if in != "" {
			h.Set("Accept-Encoding", in)
		}
		LimitAcceptEncoding(h)
		if got := h.Get("Accept-Encoding"); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}

func TestBoundBodyTimesOutAStalledBody(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	go func() { _, _ = pw.Write([]byte(`{"a":`)) }() // then nothing
	res := &http.Response{StatusCode: 200, Body: pr}
	var readErr error
	err := BoundBody(50*time.Millisecond, func(res *http.Response) error {
		_, readErr = io.ReadAll(res.Body)
		return nil
	})(res)
	var ne net.Error
	if err != nil || !errors.As(readErr, &ne) || !ne.Timeout() {
		t.Fatalf("err %v, read error %v: want a timeout", err, readErr)
	}
	// A body that arrives in time is untouched, and so is what streams on
	// after modify returned.
	res = &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("ok"))}
	_ = BoundBody(time.Hour, func(*http.Response) error { return nil })(res)
	if b, err := io.ReadAll(res.Body); string(b) != "ok" || err != nil {
		t.Fatalf("%q %v", b, err)
	}
}

func TestStreamUnlessInMemory(t *testing.T) {
	mark := func(body io.ReadCloser, n int64) int64 {
		res := &http.Response{StatusCode: 200, Body: body, ContentLength: n}
		if err := StreamUnlessInMemory(func(*http.Response) error { return nil })(res); err != nil {
			t.Fatal(err)
		}
		return res.ContentLength
	}
	// Held in memory: written whole, its length kept.
	if n := mark(MemoryBody([]byte("hello")), 5); n != 5 {
		t.Errorf("an in-memory body's length became %d", n)
	}
	// Anything else streams from the CRM: flushed as it arrives.
	if n := mark(io.NopCloser(strings.NewReader("hello")), 5); n != -1 {
		t.Errorf("a streaming body's length is %d, want -1 (flushed after every write)", n)
	}
	if n := mark(http.NoBody, 0); n != 0 {
		t.Errorf("no body: length %d", n)
	}
	// A refusal from modify is returned as it is.
	want := errors.New("refused")
	res := &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("x")), ContentLength: 1}
	if err := StreamUnlessInMemory(func(*http.Response) error { return want })(res); err != want || res.ContentLength != 1 {
		t.Errorf("err %v, length %d", err, res.ContentLength)
	}
	if b, _ := io.ReadAll(MemoryBody([]byte("abc"))); string(b) != "abc" {
		t.Errorf("MemoryBody reads %q", b)
	}
}
