package proxy_test

import (
	"io"
	"net/http"
	"testing"
)

// Veil's X-Request-Id appears once on every answer, its own 502s
// included; the CRM's request id stays visible as X-Crm-Request-Id.
func TestRequestIDOncePerAnswer(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "crm-"+r.Header.Get("X-Case"))
		switch r.Header.Get("X-Case") {
		case "text 503":
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(503)
			_, _ = io.WriteString(w, "down")
		case "bad gzip":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = io.WriteString(w, "not gzip at all")
		case "sf 503":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(503)
			_, _ = io.WriteString(w, `[{"message":"down","errorCode":"SERVER_UNAVAILABLE"}]`)
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"Id":"003A"}`)
		}
	})
	h, _ := startHostile(t, u)
	for _, c := range []struct {
		name   string
		status int
	}{{"ok", 200}, {"text 503", 502}, {"bad gzip", 502}, {"sf 503", 503}} {
		res := send(t, "GET", h.veil+sfContact, "demo-admin", "", "", "X-Case", c.name)
		if res.status != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, res.status, c.status, res.body)
		}
		if ids := res.header.Values("X-Request-Id"); len(ids) != 1 || ids[0] == "crm-"+c.name {
			t.Errorf("%s: X-Request-Id %q, want Veil's once", c.name, ids)
		}
		if got := res.header.Values("X-Crm-Request-Id"); c.name == "ok" || c.name == "sf 503" {
			if len(got) != 1 || got[0] != "crm-"+c.name {
				t.Errorf("%s: X-Crm-Request-Id %q", c.name, got)
			}
		}
	}
}

// A query Veil cannot parse whole is refused with a CRM-shaped 400, never
// forwarded cut: the CRM would answer another question than was asked.
func TestUnparsableQueriesAreRefused(t *testing.T) {
	u := newUpstream(t, nil)
	h, _ := startHostile(t, u)
	for _, q := range []string{ // a raw ';' cannot be told from a separator
		"q=SELECT+Id+FROM+Contact+WHERE+Name+%3D+'a;b'",
		"q=SELECT+Id+FROM+Contact+WHERE+Name+=+'a;b'",
		"q=SELECT+Id+FROM+Contact+WHERE+Name+%3D+'100%'",
		"q=%zz",
	} {
		u.reset()
		res := send(t, "GET", h.veil+"/services/data/v62.0/query?"+q, "demo-admin", "", "")
		refused(t, res, 400, "invalid_query")
		if len(u.requests()) != 0 {
			t.Errorf("%s reached the CRM as %q", q, u.requests()[0].path)
		}
	}
	res := send(t, "GET", h.veil+"/services/data/v62.0/query?q=SELECT+Id+FROM+Contact+WHERE+Name+%3D+'a%3Bb'", "demo-admin", "", "")
	if res.status != 200 {
		t.Errorf("an escaped ';': %d %s", res.status, res.body)
	}
}

// Two Authorization headers: the first would pick the principal and both
// would reach the CRM. Refused, in the CRM's format, before the CRM.
func TestTwoCredentialHeadersAreRefused(t *testing.T) {
	u := newUpstream(t, nil)
	h, _ := startHostile(t, u)
	for _, path := range []string{sfContact, hsContact} {
		u.reset()
		res := send(t, "GET", h.veil+path, "demo-analyst", "", "", "Authorization", "Bearer demo-admin")
		refused(t, res, 400, "ambiguous_credentials")
		if n := len(u.requests()); n != 0 {
			t.Errorf("%s: the CRM was asked %d times", path, n)
		}
	}
}
