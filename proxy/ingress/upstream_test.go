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
