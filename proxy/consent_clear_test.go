package proxy_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy/audit"
)

// A write that clears a consent opt-out (HasOptedOutOfEmail, HubSpot's
// hs_email_optout set to false) is refused for a role the flag binds, and
// the CRM never sees it; setting an opt-out passes. The write carries no
// personal data: the record reaches the policy for its flag alone.
func TestConsentClearRefusedThroughVeil(t *testing.T) {
	dir := t.TempDir()
	u := newUpstream(t, nil)
	h, _ := startHostile(t, u, withAuditFiles(dir))
	const sfJSON, hsJSON = "application/json", "application/json"

	for _, c := range []struct {
		name, path, body string
		hdr              []string
	}{
		{"salesforce", sfContact, `{"HasOptedOutOfEmail": false}`, nil},
		{"salesforce DoNotCall", sfContact, `{"DoNotCall": false, "Title": "VP"}`, nil},
		{"hubspot", hsContact, `{"properties":{"hs_email_optout":"false"}}`, nil},
		{"hubspot empty", hsContact, `{"properties":{"hs_email_optout":""}}`, nil},
		// The purpose is the client's word: it never authorizes alone.
		{"salesforce purpose", sfContact, `{"HasOptedOutOfEmail": false}`, []string{"X-Veil-Purpose", "consent_management"}},
		{"hubspot purpose", hsContact, `{"properties":{"hs_email_optout":"false"}}`, []string{"X-Veil-Purpose", "consent_management"}},
		{"salesforce composite", "/services/data/v62.0/composite/sobjects", `{"records":[{"attributes":{"type":"Contact"},"Id":"003A000000hostile","HasOptedOutOfEmail":true},{"attributes":{"type":"Contact"},"Id":"003A000000other1","HasOptedOutOfEmail":false}]}`, nil},
		{"hubspot batch", "/crm/v3/objects/contacts/batch/update", `{"inputs":[{"id":"101","properties":{"hs_email_optout":"false"}}]}`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			method := "PATCH"
			if strings.Contains(c.path, "batch/update") {
				method = "POST"
			}
			res := send(t, method, h.veil+c.path, "demo-marketing", sfJSON, c.body, c.hdr...)
			refused(t, res, http.StatusForbidden, "policy_denied")
			if !strings.Contains(string(res.body), "consent_opt_out_cleared") {
				t.Errorf("the refusal does not say why: %s", res.body)
			}
			if n := len(u.requests()); n != 0 {
				t.Fatalf("the CRM received %d requests", n)
			}
		})
	}
	// Alerts of one kind and principal are aggregated (the first is
	// written at once, the rest as a count later): one is enough here.
	eventually(t, "the high alert", func() bool {
		n := 0
		for _, a := range readJSONL[audit.Alert](t, filepath.Join(dir, "alerts.jsonl")) {
			if a.Kind == "consent_opt_out_cleared" && a.Severity == "high" && a.Principal == "demo-marketing" {
				n++
			}
		}
		return n > 0
	})

	// Setting an opt-out is always allowed.
	for _, c := range []struct{ path, body string }{
		{sfContact, `{"HasOptedOutOfEmail": true}`},
		{hsContact, `{"properties":{"hs_email_optout":"true"}}`},
	} {
		res := send(t, "PATCH", h.veil+c.path, "demo-marketing", hsJSON, c.body)
		if res.status != http.StatusOK {
			t.Fatalf("setting an opt-out: %d %s", res.status, res.body)
		}
	}
	if n := len(u.requests()); n != 2 {
		t.Fatalf("the CRM received %d requests, want the 2 opt-outs", n)
	}
}

// A role of consent_clear (support_agent) declaring the consent_management
// purpose clears an opt-out: the write passes unchanged, and the clearing
// is alerted at medium severity.
func TestConsentClearAllowedForConsentManagement(t *testing.T) {
	dir := t.TempDir()
	u := newUpstream(t, nil)
	h, _ := startHostile(t, u, withAuditFiles(dir))

	sf := `{"HasOptedOutOfEmail": false}`
	res := send(t, "PATCH", h.veil+sfContact, "demo-support", "application/json", sf, "X-Veil-Purpose", "consent_management")
	if res.status != http.StatusOK {
		t.Fatalf("got %d: %s", res.status, res.body)
	}
	hs := `{"properties":{"hs_email_optout":"false"}}`
	res = send(t, "PATCH", h.veil+hsContact, "demo-support", "application/json", hs, "X-Veil-Purpose", "consent_management")
	if res.status != http.StatusOK {
		t.Fatalf("got %d: %s", res.status, res.body)
	}
	reqs := u.requests()
	if len(reqs) != 2 || string(reqs[0].body) != sf || string(reqs[1].body) != hs {
		t.Fatalf("the CRM received %+v", reqs)
	}
	eventually(t, "the medium alert", func() bool {
		n := 0
		for _, a := range readJSONL[audit.Alert](t, filepath.Join(dir, "alerts.jsonl")) {
			if a.Kind == "consent_opt_out_cleared" && a.Severity == "medium" && a.Principal == "demo-support" && a.DecisionID != "" {
				n++
			}
		}
		return n > 0
	})

	// The same role without the purpose is refused.
	res = send(t, "PATCH", h.veil+sfContact, "demo-support", "application/json", sf)
	refused(t, res, http.StatusForbidden, "policy_denied")
}
