package ingress

import (
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
