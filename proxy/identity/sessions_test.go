package identity

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/redistest"
)

// TestSessionsConformance runs one suite against the memory and the Redis
// store.
func TestSessionsConformance(t *testing.T) {
	rs := redistest.Start(t)
	for name, s := range map[string]Sessions{
		"memory": NewMemorySessions(100),
		"redis":  NewRedisSessions(rs.Client(t), "veil:session:test:"),
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if _, err := s.Lookup(ctx, "never-bound"); !errors.Is(err, ErrUnknownToken) {
				t.Fatalf("unbound: %v", err)
			}
			if err := s.Bind(ctx, "tok-a", "alice", time.Hour); err != nil {
				t.Fatal(err)
			}
			if id, err := s.Lookup(ctx, "tok-a"); err != nil || id != "alice" {
				t.Fatalf("bound: %q %v", id, err)
			}
			if err := s.Bind(ctx, "tok-a", "bob", time.Hour); err != nil {
				t.Fatal(err)
			}
			if id, _ := s.Lookup(ctx, "tok-a"); id != "bob" {
				t.Errorf("rebinding: %q", id)
			}
			if err := s.Bind(ctx, "tok-short", "carol", 50*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			time.Sleep(150 * time.Millisecond)
			if _, err := s.Lookup(ctx, "tok-short"); !errors.Is(err, ErrUnknownToken) {
				t.Errorf("expired binding: %v", err)
			}
		})
	}
	// Only digests are stored.
	keys, err := rs.Client(t).Keys(context.Background(), "veil:session:test:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if strings.Contains(k, "tok-") {
			t.Errorf("a token in a Redis key: %s", k)
		}
	}
	// A Redis that is down: unavailable, not unknown (the caller is refused
	// with a 503, not told it is nobody).
	down := NewRedisSessions(rs.Client(t), "x:")
	rs.Stop()
	if _, err := down.Lookup(context.Background(), "tok-a"); !errors.Is(err, ErrSessionsUnavailable) {
		t.Errorf("Redis down: %v", err)
	}
}

func TestMemorySessionsBound(t *testing.T) {
	s := NewMemorySessions(3)
	now := time.Unix(1_000_000, 0)
	s.now = func() time.Time { return now }
	ctx := context.Background()
	_ = s.Bind(ctx, "a", "p", time.Minute)
	_ = s.Bind(ctx, "b", "p", 3*time.Minute)
	_ = s.Bind(ctx, "c", "p", 2*time.Minute)
	_ = s.Bind(ctx, "d", "p", 4*time.Minute) // evicts a, the first to expire
	if len(s.m) != 3 {
		t.Fatalf("holds %d", len(s.m))
	}
	if _, err := s.Lookup(ctx, "a"); err == nil {
		t.Error("the binding closest to expiry was kept")
	}
	now = now.Add(150 * time.Second) // c expired
	_ = s.Bind(ctx, "e", "p", time.Minute)
	if _, err := s.Lookup(ctx, "c"); err == nil {
		t.Error("an expired binding was kept")
	}
	for _, k := range []string{"b", "d", "e"} {
		if _, err := s.Lookup(ctx, k); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
}

func loginResolver(t testing.TB) *Resolver {
	t.Helper()
	c := config.Identity{Header: "Authorization", Principals: append(config.DemoPrincipals[:1:1],
		config.Principal{ID: "crm-sales", Roles: []string{"sales_rep"}, CRMUsers: []string{"Sales@Acme.example"}})}
	c.Sessions = config.Sessions{TTL: time.Hour, RefreshTTL: 24 * time.Hour}
	r, err := New(c, WithSessions(NewMemorySessions(100)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func tokenRequest(body, ct string) *http.Request {
	r := httptest.NewRequest("POST", "http://veil.test"+TokenPath, strings.NewReader(body))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	return r
}

func TestLogin(t *testing.T) {
	r := loginResolver(t)
	ctx := context.Background()
	const form = "application/x-www-form-urlencoded"
	body := "grant_type=password&username=sales%40acme.EXAMPLE&password=pw"
	req := tokenRequest(body, form+"; charset=UTF-8")
	p, le := r.Login(ctx, req)
	if le != nil || p.ID != "crm-sales" || p.Roles[0] != "sales_rep" {
		t.Fatalf("password grant: %+v %v", p, le)
	}
	if b, _ := io.ReadAll(req.Body); string(b) != body || req.ContentLength != int64(len(body)) {
		t.Errorf("the body was not restored for forwarding: %q (%d)", b, req.ContentLength)
	}
	for _, c := range []struct {
		body, ct, oauth, code string
		status                int
	}{
		{"grant_type=password&username=mallory%40acme.example", form, "invalid_grant", "unknown_principal", 400},
		{"grant_type=refresh_token&refresh_token=nope", form, "invalid_grant", "unknown_principal", 400},
		{"grant_type=authorization_code&code=x", form, "unsupported_grant_type", "unauthenticated", 400},
		{`{"grant_type":"password"}`, "application/json", "invalid_request", "invalid_body", 400},
		{"grant_type=password&username=" + strings.Repeat("a", maxLoginRequest), form, "invalid_request", "body_too_large", 413},
		{"grant_type=%zz", form, "invalid_request", "invalid_body", 400},
		// RFC 6749 3.2: each parameter once; a second user is refused.
		{"grant_type=password&username=sales%40acme.example&username=admin%40acme.example&password=pw", form, "invalid_request", "invalid_body", 400},
		{"grant_type=password&grant_type=refresh_token&username=sales%40acme.example", form, "invalid_request", "invalid_body", 400},
		{"grant_type=refresh_token&refresh_token=a&refresh_token=b", form, "invalid_request", "invalid_body", 400},
	} {
		_, le := r.Login(ctx, tokenRequest(c.body, c.ct))
		if le == nil || le.OAuth != c.oauth || le.Code != c.code || le.Status != c.status {
			t.Errorf("%.40s: %+v", c.body, le)
			continue
		}
		var doc map[string]string
		if json.Unmarshal(le.Body(), &doc) != nil || doc["error"] != c.oauth || doc["error_description"] == "" {
			t.Errorf("OAuth body %s", le.Body())
		}
	}
}

// A login parameter in the URL as well as the body could name another user
// to the CRM than the one Veil binds: refused.
func TestLoginRefusesParametersInTheURL(t *testing.T) {
	r := loginResolver(t)
	req := httptest.NewRequest("POST", "http://veil.test"+TokenPath+"?username=admin%40acme.example", strings.NewReader("grant_type=password&username=sales%40acme.example&password=pw"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, le := r.Login(context.Background(), req); le == nil || le.Status != 400 || le.OAuth != "invalid_request" {
		t.Fatalf("got %+v, want 400 invalid_request", le)
	}
}

func tokenResponse(status int, body string, gz bool) *http.Response {
	res := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}}}
	b := []byte(body)
	if gz {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(b)
		_ = zw.Close()
		b = buf.Bytes()
		res.Header.Set("Content-Encoding", "gzip")
	}
	res.Body = io.NopCloser(bytes.NewReader(b))
	res.ContentLength = int64(len(b))
	return res
}

func TestBindResponse(t *testing.T) {
	r := loginResolver(t)
	ctx := context.Background()
	p := r.byID["crm-sales"]
	res := tokenResponse(200, `{"access_token":"00D!abc","refresh_token":"5Aep!r","instance_url":"https://acme.my.salesforce.com","id":"https://login.salesforce.com/id/00D/005","issued_at":"1","n":12345678901234567890}`, true)
	if err := r.BindResponse(ctx, p, res, func(u string) string { return Rebase(u, "https://veil.example:8443") }); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["instance_url"] != "https://veil.example:8443" || doc["id"] != "https://veil.example:8443/id/00D/005" {
		t.Errorf("rewritten: %s", b)
	}
	if !strings.Contains(string(b), "12345678901234567890") || res.Header.Get("Content-Encoding") != "" || res.ContentLength != int64(len(b)) {
		t.Errorf("body %s, encoding %q, length %d", b, res.Header.Get("Content-Encoding"), res.ContentLength)
	}
	for _, tok := range []string{"00D!abc", "5Aep!r"} {
		h := http.Header{"Authorization": {"Bearer " + tok}}
		if got, err := r.ResolveContext(ctx, h); err != nil || got.ID != "crm-sales" {
			t.Errorf("%s: %+v %v", tok, got, err)
		}
	}
	// A refresh through the bound refresh token is the same principal.
	if got, le := r.Login(ctx, tokenRequest("grant_type=refresh_token&refresh_token=5Aep%21r", "application/x-www-form-urlencoded")); le != nil || got.ID != "crm-sales" {
		t.Errorf("refresh: %+v %v", got, le)
	}
	// A shorter expires_in wins over identity.sessions.ttl.
	mem := r.sessions.(*MemorySessions)
	res = tokenResponse(200, `{"access_token":"short","expires_in":60}`, false)
	if err := r.BindResponse(ctx, p, res, nil); err != nil {
		t.Fatal(err)
	}
	if left := time.Until(mem.m[digest("short")].expires); left > time.Minute || left < 50*time.Second {
		t.Errorf("expires_in 60 bound for %v", left)
	}
	// Failures pass untouched; a 200 without a token is an error.
	res = tokenResponse(400, `{"error":"invalid_grant"}`, false)
	if err := r.BindResponse(ctx, p, res, nil); err != nil {
		t.Error(err)
	}
	if b, _ := io.ReadAll(res.Body); string(b) != `{"error":"invalid_grant"}` {
		t.Errorf("a failed login was changed: %s", b)
	}
	for _, body := range []string{`{"token_type":"Bearer"}`, `not json`, `[1]`} {
		if err := r.BindResponse(ctx, p, tokenResponse(200, body, false), nil); err == nil {
			t.Errorf("%s: bound", body)
		}
	}
}

func TestResolveContextOrder(t *testing.T) {
	r := loginResolver(t)
	ctx := context.Background()
	_ = r.sessions.Bind(ctx, "crm-tok", "crm-sales", time.Hour)
	// A static Veil token wins; a bound CRM token is its principal; anything
	// else is unknown or absent.
	for hdr, want := range map[string]string{"Bearer demo-admin": "demo-admin", "Bearer crm-tok": "crm-sales", "OAuth crm-tok": "crm-sales", "Bearer other": "", "": ""} {
		h := http.Header{}
		if hdr != "" {
			h.Set("Authorization", hdr)
		}
		p, err := r.ResolveContext(ctx, h)
		if p.ID != want || (want == "") == (err == nil) {
			t.Errorf("%q: %q %v", hdr, p.ID, err)
		}
	}
	// With Veil's own header, the CRM's Authorization still identifies a login.
	c := config.Identity{Header: "X-Veil-Token", Principals: []config.Principal{{ID: "crm-sales", Roles: []string{"sales_rep"}, CRMUsers: []string{"s@a.example"}}}}
	own, err := New(c, WithSessions(NewMemorySessions(10)))
	if err != nil {
		t.Fatal(err)
	}
	_ = own.sessions.Bind(ctx, "crm-tok", "crm-sales", time.Hour)
	if p, err := own.ResolveContext(ctx, http.Header{"Authorization": {"Bearer crm-tok"}}); err != nil || p.ID != "crm-sales" {
		t.Errorf("Veil header + CRM login: %+v %v", p, err)
	}
}

func TestRebase(t *testing.T) {
	for in, want := range map[string]string{
		"https://api.hubapi.com/crm/v3/objects/contacts?after=10": "http://127.0.0.1:8080/crm/v3/objects/contacts?after=10",
		"https://u:p@acme.my.salesforce.com/id/1":                 "http://127.0.0.1:8080/id/1",
		"/services/data/v62.0/query/01g-2000":                     "/services/data/v62.0/query/01g-2000",
		"mailto:a@b.c":                                            "mailto:a@b.c",
		"%zz":                                                     "%zz",
	} {
		if got := Rebase(in, "http://127.0.0.1:8080"); got != want {
			t.Errorf("Rebase(%q) = %q, want %q", in, got, want)
		}
	}
}
