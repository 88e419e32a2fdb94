package proxy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/veil-proxy/veil/cmd/fakecrm/fakecrm"
	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/logging"
	"github.com/veil-proxy/veil/proxy/scan"
)

// harness is Veil in front of the fake CRM, both in-process on 127.0.0.1
// port 0, with the JSON log captured.
type harness struct {
	veil  string // http://127.0.0.1:port
	admin string
	crm   string // the fake CRM, unproxied: the ground truth
	logs  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type harnessOption func(*config.Config, *proxy.Options)

func withRules(fsys fs.FS) harnessOption {
	return func(_ *config.Config, o *proxy.Options) { o.Rules = fsys }
}

func withUpstream(url string) harnessOption {
	return func(c *config.Config, _ *proxy.Options) {
		for i := range c.Routes {
			c.Routes[i].Upstream = url
		}
	}
}

// startCRM serves the fake CRM's fixtures on 127.0.0.1 and returns its
// base URL.
func startCRM(t testing.TB) string {
	t.Helper()
	crm, err := fakecrm.New(os.DirFS("../testdata/crm"), fakecrm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	crmSrv := httptest.NewServer(crm)
	t.Cleanup(crmSrv.Close)
	return crmSrv.URL
}

func start(t testing.TB, opts ...harnessOption) *harness {
	t.Helper()
	crmURL := startCRM(t)
	ln := listen(t)
	adminLn := listen(t)
	cfg := config.Demo(ln.Addr().String(), adminLn.Addr().String(), crmURL)
	h := &harness{veil: "http://" + ln.Addr().String(), admin: "http://" + adminLn.Addr().String(), crm: crmURL, logs: &syncBuffer{}}
	log, err := logging.New(logging.Options{Level: "debug", Output: h.logs, Scrub: scan.LogScrubber()})
	if err != nil {
		t.Fatal(err)
	}
	po := proxy.Options{Logger: log}
	for _, o := range opts {
		o(cfg, &po)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := proxy.New(ctx, cfg, po)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln, adminLn) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return h
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// client does not decompress, so tests see exactly what Veil sent.
var client = &http.Client{Transport: &http.Transport{DisableCompression: true, Proxy: nil}}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// shown is the body without the X-Veil-Decision-Id it may quote: the id is
// random hex and can hold any run of digits, so tests looking for a leaked
// value look here.
func (r reply) shown() []byte {
	return bytes.ReplaceAll(r.body, []byte(r.header.Get("X-Veil-Decision-Id")), nil)
}

func do(t *testing.T, method, url, token string, body string, hdr ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{res.StatusCode, res.Header, b}
}

func decodeJSON[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON (%v): %.300s", err, b)
	}
	return v
}
