package proxy_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/ingress"
)

// eventsOf waits for the audit events of request id rid in dir's audit
// file until want(events) holds, and returns them.
func eventsOf(t *testing.T, dir, rid, what string, want func([]audit.Event) bool) []audit.Event {
	t.Helper()
	var got []audit.Event
	eventually(t, what, func() bool {
		got = got[:0]
		for _, e := range readJSONL[audit.Event](t, filepath.Join(dir, "audit.jsonl")) {
			if e.RequestID == rid {
				got = append(got, e)
			}
		}
		return want(got)
	})
	return got
}

// Every exchange leaves an audit event, a refusal before the pipeline
// included: no route, an upgrade, a SOAP envelope Veil cannot read, a
// CRM that cannot be reached (the request's event and the response's),
// a login the CRM accepted. Each is recorded once, with its code and the
// status the client got, and never with a credential or the path of an
// unscanned request.
func TestEveryExchangeIsAudited(t *testing.T) {
	dir := t.TempDir()
	u := newEchoUpgrades(t)
	h, _ := startHostile(t, u.upstream, withAuditFiles(dir), func(c *config.Config, _ *proxy.Options) {
		c.Routes = append(c.Routes, config.Route{Name: "down", Prefix: "/down/", Upstream: "http://127.0.0.1:1", Dialect: config.DialectSalesforce, OnError: "block"})
	})
	one := func(es []audit.Event) bool { return len(es) >= 1 }
	only := func(t *testing.T, es []audit.Event) audit.Event {
		t.Helper()
		if len(es) != 1 {
			t.Fatalf("%d events, want one: %+v", len(es), es)
		}
		return es[0]
	}

	t.Run("no route", func(t *testing.T) {
		res := send(t, "GET", h.veil+"/nowhere/jane.doe@example.com", "demo-sales", "", "")
		if res.status != http.StatusNotFound || res.header.Get("X-Veil-Error") != crm.CodeNoRoute {
			t.Fatalf("no route: %d %s", res.status, res.body)
		}
		e := only(t, eventsOf(t, dir, res.header.Get("X-Request-Id"), "the no-route event", one))
		if e.Kind != audit.KindDecision || e.Direction != "request" || e.Outcome != audit.OutcomeBlocked ||
			e.Code != crm.CodeNoRoute || e.Status != http.StatusNotFound || e.Method != "GET" || e.Route != "" || e.Path != "" {
			t.Errorf("%+v", e)
		}
	})

	t.Run("upgrade", func(t *testing.T) {
		res, c, _ := upgrade(t, h, "/services/data/v62.0/sobjects/Contact/003000000000001AAA")
		c.Close()
		e := only(t, eventsOf(t, dir, res.Header.Get("X-Request-Id"), "the refused upgrade's event", one))
		if e.Direction != "request" || e.Outcome != audit.OutcomeBlocked || e.Code != ingress.CodeUpgradeRefused ||
			e.Status != http.StatusForbidden || e.Route != "salesforce" {
			t.Errorf("%+v", e)
		}
	})

	t.Run("unreadable SOAP", func(t *testing.T) {
		res := send(t, "POST", h.veil+"/services/Soap/u/62.0", "", "text/xml; charset=utf-8", "<soapenv:Envelope><broken", "SOAPAction", `""`)
		if res.status < 400 {
			t.Fatalf("a broken SOAP envelope: %d %s", res.status, res.body)
		}
		e := only(t, eventsOf(t, dir, res.header.Get("X-Request-Id"), "the SOAP refusal's event", one))
		if e.Direction != "request" || e.Outcome != audit.OutcomeBlocked || e.Code == "" || e.Code != res.header.Get("X-Veil-Error") || e.Status != res.status {
			t.Errorf("%+v (answered %d %q)", e, res.status, res.header.Get("X-Veil-Error"))
		}
	})

	t.Run("CRM unreachable", func(t *testing.T) {
		res := send(t, "GET", h.veil+"/down/data/v62.0/sobjects/Contact/003000000000001AAA", "demo-sales", "", "")
		refused(t, res, http.StatusBadGateway, crm.CodeUpstreamUnavailable)
		two := func(es []audit.Event) bool { return len(es) >= 2 }
		es := eventsOf(t, dir, res.header.Get("X-Request-Id"), "the request's and the response's events", two)
		if len(es) != 2 || es[0].Direction != "request" || es[0].Outcome != audit.OutcomeAllowed ||
			es[1].Direction != "response" || es[1].Outcome != audit.OutcomeBlocked || es[1].Code != crm.CodeUpstreamUnavailable ||
			es[1].Status != http.StatusBadGateway || es[1].Principal != "demo-sales" || es[1].Path != es[0].Path || es[1].Operation != es[0].Operation {
			t.Errorf("%+v", es)
		}
	})
}

// A login the CRM accepts leaves an event too (operation login,
// passthrough, the principal and the status), beside the auth_failure
// events of those it refuses: the SOC sees a success after a run of
// failures. Neither the password nor a token is in it.
func TestSuccessfulLoginIsAudited(t *testing.T) {
	dir := t.TempDir()
	h := start(t, withCRMUser("crm-analyst", "analyst", "analyst@acme.example"), withAuditFiles(dir))
	form := url.Values{"grant_type": {"password"}, "username": {"analyst@acme.example"}, "password": {"s3cret-Pa55word"},
		"client_id": {"cid"}, "client_secret": {"csecret"}}
	status, hdr, b := login(t, h.veil, form)
	if status != http.StatusOK {
		t.Fatalf("login: %d %s", status, b)
	}
	tok := decodeJSON[tokenResponse](t, b)
	e := eventsOf(t, dir, hdr.Get("X-Request-Id"), "the login's event", func(es []audit.Event) bool { return len(es) >= 1 })
	if len(e) != 1 || e[0].Kind != audit.KindDecision || e[0].Operation != crm.OpLogin || e[0].Outcome != audit.OutcomePassthrough ||
		e[0].Principal != "crm-analyst" || e[0].Status != http.StatusOK || e[0].Purpose != "authentication" {
		t.Errorf("%+v", e)
	}
	b, err := os.ReadFile(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	raw := string(b)
	for _, secret := range []string{"s3cret-Pa55word", "csecret", "analyst@acme.example", tok.AccessToken, tok.RefreshToken} {
		if secret != "" && strings.Contains(raw, secret) {
			t.Errorf("the audit trail holds %q", secret)
		}
	}
}

// Forward mode: a request whose Host is not the tunnel's, and an upgrade,
// are refused before the pipeline and audited all the same.
func TestForwardRefusalsAreAudited(t *testing.T) {
	dir := t.TempDir()
	h := startForward(t, withAuditFiles(dir))
	c := h.client(h.veilCA, true)
	res := sendVia(t, c, "GET", "https://acme.my.salesforce.com/services/data/v62.0/sobjects/Contact/003Dn00000000AbcAA", "demo-admin", "", "",
		"Connection", "Upgrade", "Upgrade", "websocket")
	if res.status != http.StatusForbidden {
		t.Fatalf("an upgrade through forward mode: %d %s", res.status, res.body)
	}
	es := eventsOf(t, dir, res.header.Get("X-Request-Id"), "the forward refusal's event", func(es []audit.Event) bool { return len(es) >= 1 })
	if len(es) != 1 || es[0].Direction != "request" || es[0].Outcome != audit.OutcomeBlocked || es[0].Code != res.header.Get("X-Veil-Error") ||
		es[0].Status != http.StatusForbidden || es[0].Route == "" {
		t.Errorf("%+v", es)
	}
}
