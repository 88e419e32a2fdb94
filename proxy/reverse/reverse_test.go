package reverse

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/identity"
	"github.com/veil-proxy/veil/proxy/metrics"
	"github.com/veil-proxy/veil/proxy/scope"
)

// stub records what reached the inspector and can refuse or panic.
type stub struct {
	purpose string
	refuse  *crm.Error
	panic   bool
}

func (s *stub) InspectRequest(r *http.Request) *crm.Error {
	if s.panic {
		panic("boom")
	}
	s.purpose = scope.From(r.Context()).Purpose
	return s.refuse
}

func (s *stub) InspectResponse(*http.Response) error { return nil }

func setup(t *testing.T, ins *stub) (*httptest.Server, *http.Header) {
	t.Helper()
	var seen http.Header
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Header.Clone()
		_, _ = io.WriteString(w, r.URL.Path)
	}))
	t.Cleanup(up.Close)
	cfg := &config.Config{
		Identity: config.Identity{Header: "X-Veil-Key", Principals: []config.Principal{{ID: "p", Token: "t", Roles: []string{"admin"}}}},
		Routes: []config.Route{
			{Name: "wide", Prefix: "/", Upstream: up.URL + "/wide"},
			{Name: "sf", Dialect: config.DialectSalesforce, Prefix: "/services/", Upstream: up.URL, Purpose: "support"},
			{Name: "hs", Dialect: config.DialectHubSpot, Prefix: "/crm/", Upstream: up.URL, RequirePurpose: true},
		},
	}
	cfg.ApplyDefaults()
	id, err := identity.New(cfg.Identity)
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Config: cfg, Identity: id, Inspector: ins, Metrics: metrics.New(prometheus.NewRegistry(), "test"), Log: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, &seen
}

func get(t *testing.T, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestRoutingAndHeaders(t *testing.T) {
	ins := &stub{}
	srv, seen := setup(t, ins)
	res, body := get(t, srv.URL+"/services/data/v62.0/query", "X-Veil-Key", "Bearer t", "Authorization", "Bearer crm-session", "X-Veil-Trace", "1")
	if res.StatusCode != 200 || body != "/services/data/v62.0/query" {
		t.Fatalf("longest prefix: %d %q", res.StatusCode, body)
	}
	if (*seen).Get("Authorization") != "Bearer crm-session" {
		t.Error("the CRM's Authorization header was not forwarded unchanged")
	}
	for k := range *seen {
		if strings.HasPrefix(k, "X-Veil-") {
			t.Errorf("Veil header %s reached the CRM", k)
		}
	}
	if ins.purpose != "support" {
		t.Errorf("route default purpose = %q", ins.purpose)
	}
	if _, body := get(t, srv.URL+"/other", "X-Veil-Key", "Bearer t"); body != "/wide/other" {
		t.Errorf("catch-all route: %q", body)
	}
}

func TestRefusals(t *testing.T) {
	ins := &stub{}
	srv, _ := setup(t, ins)
	tests := []struct {
		path   string
		hdr    []string
		status int
		code   string
	}{
		{"/crm/v3/objects/contacts", []string{"X-Veil-Key", "Bearer t"}, 403, crm.CodePurposeRequired},
		{"/crm/v3/objects/contacts", []string{"X-Veil-Key", "Bearer t", "X-Veil-Purpose", "Bad Purpose"}, 400, crm.CodeInvalidPurpose},
		{"/services/x", nil, 403, crm.CodeUnauthenticated},
		{"/services/x", []string{"X-Veil-Key", "Bearer nope"}, 403, crm.CodeUnknownPrincipal},
	}
	for _, tt := range tests {
		res, body := get(t, srv.URL+tt.path, tt.hdr...)
		if res.StatusCode != tt.status || res.Header.Get("X-Veil-Error") != tt.code || res.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s %v: %d %q %s", tt.path, tt.hdr, res.StatusCode, res.Header.Get("X-Veil-Error"), body)
		}
	}
	ins.refuse = &crm.Error{Status: 403, Code: crm.CodePolicyDenied, Message: "no", DecisionID: "d-1"}
	res, body := get(t, srv.URL+"/services/x", "X-Veil-Key", "Bearer t")
	if res.StatusCode != 403 || !strings.Contains(body, `"errorCode":"policy_denied"`) || !strings.Contains(body, "d-1") {
		t.Errorf("inspector refusal: %d %s", res.StatusCode, body)
	}
}

func TestPanicBecomesCRMError(t *testing.T) {
	srv, _ := setup(t, &stub{panic: true})
	res, body := get(t, srv.URL+"/services/x", "X-Veil-Key", "Bearer t")
	if res.StatusCode != 500 || !strings.Contains(body, `"errorCode":"internal"`) {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
}

func TestUpstreamDown(t *testing.T) {
	ins := &stub{}
	// A route to a closed port.
	cfg := &config.Config{
		Identity: config.Identity{Principals: []config.Principal{{ID: "p", Token: "t", Roles: []string{"admin"}}}},
		Routes:   []config.Route{{Name: "hs", Dialect: config.DialectHubSpot, Prefix: "/", Upstream: "http://127.0.0.1:1"}},
	}
	cfg.ApplyDefaults()
	id, _ := identity.New(cfg.Identity)
	h, err := New(Options{Config: cfg, Identity: id, Inspector: ins, Metrics: metrics.New(prometheus.NewRegistry(), "t"), Log: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	down := httptest.NewServer(h)
	defer down.Close()
	res, body := get(t, down.URL+"/crm/v3/objects/contacts", "Authorization", "Bearer t")
	if res.StatusCode != 502 || !strings.Contains(body, `"category":"upstream_unavailable"`) {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
}

// A body the inspector leaves to stream from the CRM (unread: a file) is
// passed on as it arrives, whatever its Content-Length: the client reads
// its first half before the CRM sends the rest.
func TestUnreadBodyStreamsAsItArrives(t *testing.T) {
	half := strings.Repeat("a", 1000)
	got := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", "2000")
		_, _ = io.WriteString(w, half)
		w.(http.Flusher).Flush()
		select {
		case <-got:
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, half)
	}))
	defer up.Close()
	cfg := &config.Config{
		Identity: config.Identity{Header: "X-Veil-Key", Principals: []config.Principal{{ID: "p", Token: "t", Roles: []string{"admin"}}}},
		Routes:   []config.Route{{Name: "wide", Prefix: "/", Upstream: up.URL}},
	}
	cfg.ApplyDefaults()
	id, err := identity.New(cfg.Identity)
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Config: cfg, Identity: id, Inspector: &stub{}, Metrics: metrics.New(prometheus.NewRegistry(), "test"), Log: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	release := sync.OnceFunc(func() { close(got) })
	defer release() // before the servers close: the CRM's handler waits for it
	req, _ := http.NewRequest("GET", srv.URL+"/file", nil)
	req.Header.Set("X-Veil-Key", "Bearer t")
	type answer struct {
		res *http.Response
		err error
	}
	first := make(chan answer, 1)
	go func() { // the headers and the first half, before the CRM sends the rest
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			_, err = io.ReadFull(res.Body, make([]byte, len(half)))
		}
		first <- answer{res, err}
	}()
	var res *http.Response
	select {
	case a := <-first:
		if a.err != nil {
			t.Fatal(a.err)
		}
		res = a.res
	case <-time.After(10 * time.Second): // a liveness guard: without the flush the first half never comes
		t.Fatal("the first half was held back until the CRM sent the rest")
	}
	defer res.Body.Close()
	release()
	if rest, err := io.ReadAll(res.Body); err != nil || len(rest) != len(half) || res.ContentLength != 2000 {
		t.Fatalf("rest %d bytes, %v; Content-Length %d", len(rest), err, res.ContentLength)
	}
}
