package proxy_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
)

// confusables are usernames that lower-case or trim to a configured CRM
// user (analyst@acme.example) but are not it: never matched, never sent on.
var confusables = []struct{ name, user string }{
	{"dotted capital I (U+0130)", "analyst@acme.examplİ"},
	{"U+0130 inside", "analİst@acme.example"},
	{"fullwidth a", "\uff41nalyst@acme.example"},
	{"fullwidth A", "\uff21nalyst@acme.example"},
	{"Cyrillic a", "\u0430nalyst@acme.example"},
	{"Cyrillic e", "analyst@acm\u0435.example"},
	{"Cyrillic o", "analyst@acme.exampl\u0435"},
	{"Cyrillic o in domain", "analyst@acme.examp\u043ee"},
	{"zero-width space", "ana\u200blyst@acme.example"},
	{"leading space", " analyst@acme.example"},
	{"trailing space", "analyst@acme.example "},
	{"tab", "\tanalyst@acme.example"},
	{"trailing newline", "analyst@acme.example\n"},
	{"NUL", "analyst@acme.example\x00"},
}

const oauthRefusal = `{"error":"invalid_grant","error_description":"authentication failure"}`

// sameRefusal checks two answers to refused logins are indistinguishable:
// status, body and headers (Date and X-Request-Id values aside).
func sameRefusal(t *testing.T, what string, a, b reply) {
	t.Helper()
	if a.status != b.status || string(a.body) != string(b.body) {
		t.Errorf("%s: %d %s, want %d %s", what, a.status, a.body, b.status, b.body)
	}
	for _, h := range []http.Header{a.header, b.header} {
		if h.Get("X-Veil-Error") != "" {
			t.Errorf("%s: a login refusal carries X-Veil-Error %q", what, h.Get("X-Veil-Error"))
		}
	}
	norm := func(h http.Header) string {
		h = h.Clone()
		h.Del("Date")
		if h.Get("X-Request-Id") != "" {
			h.Set("X-Request-Id", "x")
		}
		b, _ := json.Marshal(h)
		return string(b)
	}
	if norm(a.header) != norm(b.header) {
		t.Errorf("%s: headers differ:\n%s\n%s", what, norm(a.header), norm(b.header))
	}
}

func oauthLogin(t *testing.T, base, user, pass string) reply {
	t.Helper()
	status, hdr, b := login(t, base, url.Values{"grant_type": {"password"}, "username": {user}, "password": {pass}, "client_id": {"cid"}})
	return reply{status, hdr, b}
}

// TestLoginUsernamesExact: usernames that case-fold or trim to a CRM user
// are refused before the CRM, as an unknown user is and as the CRM's bad
// credentials are (OAuth and SOAP, reverse and forward mode).
func TestLoginUsernamesExact(t *testing.T) {
	t.Run("oauth", func(t *testing.T) {
		h := start(t, withCRMUser("crm-analyst", "analyst", "analyst@acme.example"))
		unknown := oauthLogin(t, h.veil, "mallory@acme.example", "pw")
		if unknown.status != 400 || string(unknown.body) != oauthRefusal {
			t.Fatalf("unknown user: %d %s", unknown.status, unknown.body)
		}
		// The admin: demo-admin's admin@demo.example, as U+0130.
		sameRefusal(t, "admİn", oauthLogin(t, h.veil, "admİn@demo.example", "pw"), unknown)
		for _, c := range confusables {
			sameRefusal(t, c.name, oauthLogin(t, h.veil, c.user, "pw"), unknown)
		}
		if r := oauthLogin(t, h.veil, "Analyst@ACME.example", "pw"); r.status != 200 {
			t.Errorf("ASCII case: %d %s", r.status, r.body)
		}
	})
	t.Run("soap", func(t *testing.T) {
		up := newSOAPCRM()
		upSrv := httptest.NewServer(up)
		t.Cleanup(upSrv.Close)
		h := start(t, withUpstream(upSrv.URL), withCRMUser("crm-analyst", "analyst", soapUser))
		u := h.veil + "/services/Soap/u/62.0"
		unknown := soapDo(t, client, "POST", u, soapLoginEnvelope("mallory@acme.example", soapPassword))
		if unknown.status != 500 || string(unknown.body) != invalidLogin {
			t.Fatalf("unknown user: %d %s", unknown.status, unknown.body)
		}
		// The CRM's own refusal of a mapped user's wrong password.
		sameRefusal(t, "wrong password", soapDo(t, client, "POST", u, soapLoginEnvelope(soapUser, "wrong")), unknown)
		before := up.count()
		for _, c := range confusables {
			if c.name == "NUL" {
				continue // not XML at all: an invalid_body before any lookup
			}
			sameRefusal(t, c.name, soapDo(t, client, "POST", u, soapLoginEnvelope(c.user, soapPassword)), unknown)
		}
		if up.count() != before {
			t.Errorf("%d confusable logins reached the CRM", up.count()-before)
		}
	})
	t.Run("forward-soap", func(t *testing.T) {
		_, h := startForwardSOAP(t)
		c := h.client(h.veilCA, true)
		u := "https://acme.my.salesforce.com/services/Soap/u/62.0"
		unknown := soapDo(t, c, "POST", u, soapLoginEnvelope("mallory@acme.example", soapPassword))
		if unknown.status != 500 || string(unknown.body) != invalidLogin {
			t.Fatalf("unknown user: %d %s", unknown.status, unknown.body)
		}
		sameRefusal(t, "wrong password", soapDo(t, c, "POST", u, soapLoginEnvelope(soapUser, "wrong")), unknown)
		for _, cf := range confusables[:9] {
			sameRefusal(t, cf.name, soapDo(t, c, "POST", u, soapLoginEnvelope(cf.user, soapPassword)), unknown)
		}
		if r := soapDo(t, c, "POST", u, soapLoginEnvelope(soapUser, soapPassword)); r.status != 200 {
			t.Errorf("the analyst: %d %s", r.status, r.body)
		}
	})
}

// TestLoginBoundToCRMUserID: with a user id in crm_users, a login is
// bound only when the CRM logged in that user.
func TestLoginBoundToCRMUserID(t *testing.T) {
	t.Run("oauth", func(t *testing.T) {
		// The fake CRM's id URL ends in 005Dn000000FakeAAA.
		h := start(t, withCRMUser("crm-good", "analyst", "good@acme.example"), withCRMUser("crm-bad", "admin", "bad@acme.example"),
			func(c *config.Config, _ *proxy.Options) {
				for i := range c.Identity.Principals {
					switch c.Identity.Principals[i].ID {
					case "crm-good":
						c.Identity.Principals[i].CRMUsers = append(c.Identity.Principals[i].CRMUsers, "005Dn000000FakeAAA")
					case "crm-bad":
						c.Identity.Principals[i].CRMUsers = append(c.Identity.Principals[i].CRMUsers, "005000000000009")
					}
				}
			})
		if r := oauthLogin(t, h.veil, "good@acme.example", "pw"); r.status != 200 {
			t.Errorf("the declared user: %d %s", r.status, r.body)
		}
		unknown := oauthLogin(t, h.veil, "mallory@acme.example", "pw")
		r := oauthLogin(t, h.veil, "bad@acme.example", "pw")
		sameRefusal(t, "another CRM user", r, unknown)
	})
	t.Run("soap", func(t *testing.T) {
		up := newSOAPCRM()
		upSrv := httptest.NewServer(up)
		t.Cleanup(upSrv.Close)
		// The SOAP CRM logs in 005000000000001AAA.
		h := start(t, withUpstream(upSrv.URL), func(c *config.Config, _ *proxy.Options) {
			c.Identity.Principals = append(c.Identity.Principals, config.Principal{ID: "crm-analyst", Roles: []string{"analyst"},
				CRMUsers: []string{soapUser, "005000000000002AAA"}})
		})
		u := h.veil + "/services/Soap/u/62.0"
		unknown := soapDo(t, client, "POST", u, soapLoginEnvelope("mallory@acme.example", soapPassword))
		r := soapDo(t, client, "POST", u, soapLoginEnvelope(soapUser, soapPassword))
		sameRefusal(t, "another CRM user", r, unknown)
		// Nothing was bound: the session the CRM issued names nobody.
		q := soapDo(t, client, "POST", u, soapQueryEnvelope("00D000000000001!AQ1soapsession"))
		if q.status == 200 || q.header.Get("X-Veil-Error") != "unknown_principal" {
			t.Errorf("the unbound session: %d %q", q.status, q.header.Get("X-Veil-Error"))
		}
	})
}

// TestSessionsPerPrincipal: one principal's logins never evict another's
// bindings (identity.sessions.max_entries is per principal).
func TestSessionsPerPrincipal(t *testing.T) {
	h := start(t, func(c *config.Config, _ *proxy.Options) { c.Identity.Sessions.MaxEntries = 5 })
	tokenOf := func(user string) string {
		r := oauthLogin(t, h.veil, user, "pw")
		var tok tokenResponse
		if r.status != 200 || json.Unmarshal(r.body, &tok) != nil || tok.AccessToken == "" {
			t.Fatalf("%s: %d %s", user, r.status, r.body)
		}
		return tok.AccessToken
	}
	q := "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Name FROM Contact LIMIT 1")
	admin := tokenOf("admin@demo.example")
	var analyst []string
	for range 6 {
		analyst = append(analyst, tokenOf("analyst@demo.example"))
	}
	if r := do(t, "GET", h.veil+q, admin, ""); r.status != 200 {
		t.Errorf("the admin's binding after six analyst logins: %d %q", r.status, r.header.Get("X-Veil-Error"))
	}
	if r := do(t, "GET", h.veil+q, analyst[0], ""); r.status != 403 {
		t.Errorf("the analyst's oldest binding: %d, want evicted", r.status)
	}
	if r := do(t, "GET", h.veil+q, analyst[5], ""); r.status != 200 {
		t.Errorf("the analyst's newest binding: %d", r.status)
	}
}

// TestAuthFailuresAudited: unknown tokens and failed logins each leave an
// auth_failure event, with no credential in it, and feed the brute-force
// alert.
func TestAuthFailuresAudited(t *testing.T) {
	dir := t.TempDir()
	up := newSOAPCRM()
	upSrv := httptest.NewServer(up)
	t.Cleanup(upSrv.Close)
	h := start(t, withUpstream(upSrv.URL), withAuditFiles(dir), withCRMUser("crm-analyst", "analyst", soapUser),
		func(c *config.Config, _ *proxy.Options) { c.Watch.BruteForce.Failures = 10 })
	var secrets []string
	q := h.veil + "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Name FROM Contact")
	for i := range 30 {
		tok := "00DUnknownTok!" + strconv.Itoa(1000+i) + "zz"
		secrets = append(secrets, tok)
		if r := do(t, "GET", q, tok, ""); r.status != 403 {
			t.Fatalf("unknown token: %d", r.status)
		}
	}
	for i := range 15 { // unmapped users: Veil refuses
		user, pass := "mallory"+strconv.Itoa(i)+"@acme.example", "Pa55-oauth-"+strconv.Itoa(7000+i)
		secrets = append(secrets, user, pass)
		if r := oauthLogin(t, h.veil, user, pass); r.status != 400 {
			t.Fatalf("unmapped login: %d", r.status)
		}
	}
	for i := range 15 { // a mapped user, wrong passwords: the CRM refuses
		pass := "Pa55-soap-" + strconv.Itoa(8000+i)
		secrets = append(secrets, pass)
		if r := soapDo(t, client, "POST", h.veil+"/services/Soap/u/62.0", soapLoginEnvelope(soapUser, pass)); r.status != 500 {
			t.Fatalf("failed login: %d", r.status)
		}
	}
	secrets = append(secrets, soapUser)
	auditFile := filepath.Join(dir, "audit.jsonl")
	var evs []audit.Event
	eventually(t, "60 auth_failure events", func() bool {
		evs = evs[:0]
		for _, e := range readJSONL[audit.Event](t, auditFile) {
			if e.Kind == audit.KindAuthFailure {
				evs = append(evs, e)
			}
		}
		return len(evs) >= 60
	})
	codes := map[string]int{}
	for _, e := range evs {
		codes[e.Code]++
		if e.Outcome != audit.OutcomeBlocked || e.IP != "127.0.0.1" {
			t.Errorf("event %+v", e)
		}
		if e.Operation == "login" && e.UsernameHash == "" {
			t.Errorf("a login failure without username_hash: %+v", e)
		}
		if e.Code == "crm_login_failed" && e.Principal != "crm-analyst" {
			t.Errorf("a mapped user's failure names %q", e.Principal)
		}
	}
	if codes["unknown_principal"] < 45 || codes["crm_login_failed"] < 15 {
		t.Errorf("codes %v", codes)
	}
	raw, err := os.ReadFile(auditFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(string(raw), s) {
			t.Errorf("the audit trail holds %q", s)
		}
	}
	eventually(t, "a brute-force alert", func() bool {
		for _, a := range readJSONL[audit.Alert](t, filepath.Join(dir, "alerts.jsonl")) {
			if a.Kind == audit.AlertBruteForce && a.IP == "127.0.0.1" {
				return true
			}
		}
		return false
	})
	alerts, _ := os.ReadFile(filepath.Join(dir, "alerts.jsonl"))
	for _, s := range secrets {
		if strings.Contains(string(alerts), s) {
			t.Errorf("the alerts hold %q", s)
		}
	}
}

// TestAuthFailureUsernameHashKeyed: with identity.username_hash_key_file,
// a failed login's auth_failure event and the brute_force alert on its
// username carry the HMAC-SHA-256 under that key of the username's ASCII
// case fold, not the unkeyed SHA-256 a dictionary reverses, and Veil does
// not warn; without a key it warns once, with no value in the warning.
func TestAuthFailureUsernameHashKeyed(t *testing.T) {
	const user = "Mallory@ACME.example" // no principal holds it: its failures are counted per hashed username
	folded := "veil-username\x00mallory@acme.example"
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(0xa0 + i)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(folded))
	keyed := hex.EncodeToString(m.Sum(nil))
	sum := sha256.Sum256([]byte(folded))
	unkeyed := hex.EncodeToString(sum[:])

	dir := t.TempDir()
	keyFile := filepath.Join(dir, "username-hash.key")
	if err := os.WriteFile(keyFile, []byte("uh1 "+base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	up := newSOAPCRM()
	upSrv := httptest.NewServer(up)
	t.Cleanup(upSrv.Close)
	h := start(t, withUpstream(upSrv.URL), withAuditFiles(dir), func(c *config.Config, _ *proxy.Options) {
		c.Identity.UsernameHashKeyFile = keyFile
		c.Watch.BruteForce.Failures = 3
	})
	for i := range 2 {
		if r := oauthLogin(t, h.veil, user, "pw"); r.status != 400 {
			t.Fatalf("OAuth login %d: %d", i, r.status)
		}
		if r := soapDo(t, client, "POST", h.veil+"/services/Soap/u/62.0", soapLoginEnvelope(strings.ToLower(user), soapPassword)); r.status != 500 {
			t.Fatalf("SOAP login %d: %d", i, r.status)
		}
	}
	auditFile := filepath.Join(dir, "audit.jsonl")
	var evs []audit.Event
	eventually(t, "4 auth_failure events", func() bool {
		evs = evs[:0]
		for _, e := range readJSONL[audit.Event](t, auditFile) {
			if e.Kind == audit.KindAuthFailure {
				evs = append(evs, e)
			}
		}
		return len(evs) >= 4
	})
	for _, e := range evs {
		if e.UsernameHash != keyed {
			t.Errorf("%s %s: username_hash %s, want the HMAC under the key %s (unkeyed: %s)", e.Operation, e.Code, e.UsernameHash, keyed, unkeyed)
		}
	}
	eventually(t, "a brute_force alert on the username", func() bool {
		for _, a := range readJSONL[audit.Alert](t, filepath.Join(dir, "alerts.jsonl")) {
			if a.Kind == audit.AlertBruteForce && a.UsernameHash != "" {
				if a.UsernameHash != keyed {
					t.Errorf("the alert's username_hash %s, want %s", a.UsernameHash, keyed)
				}
				return true
			}
		}
		return false
	})
	for _, f := range []string{auditFile, filepath.Join(dir, "alerts.jsonl")} {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{unkeyed, base64.StdEncoding.EncodeToString(key), strings.ToLower(user)} {
			if strings.Contains(string(raw), s) {
				t.Errorf("%s holds %q", f, s)
			}
		}
	}
	const warning = "identity.username_hash_key_file is not set"
	if strings.Contains(h.logs.String(), warning) {
		t.Errorf("a keyed Veil warns: %s", h.logs.String())
	}
	if strings.Contains(h.logs.String(), base64.StdEncoding.EncodeToString(key)) {
		t.Error("the log holds the key")
	}

	plain := start(t)
	if n := strings.Count(plain.logs.String(), warning); n != 1 {
		t.Errorf("without a key: %d warnings, want 1:\n%s", n, plain.logs.String())
	}
	for _, l := range strings.Split(plain.logs.String(), "\n") {
		if strings.Contains(l, warning) && !strings.Contains(l, `"level":"warn"`) {
			t.Errorf("the warning is not at Warn: %s", l)
		}
	}
}
