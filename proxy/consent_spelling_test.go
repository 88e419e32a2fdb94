package proxy_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// An object named in another case, in the singular or by its type id is
// the same object to consent: marketing reads an opted-out contact's
// e-mail redacted however the URL spells it.
func TestConsentHoldsForEverySpellingOfTheObject(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(r.URL.Path, "/crm/") {
			// No hs_email_optout asked for: a contact is taken as opted out.
			_, _ = io.WriteString(w, `{"id":"101","properties":{"email":"jane.doe@example.com"},"archived":false}`)
			return
		}
		// No HasOptedOutOfEmail selected: a Contact is taken as opted out.
		_, _ = io.WriteString(w, `{"attributes":{"type":"Contact"},"Id":"003A000000hostile","Email":"jane.doe@example.com"}`)
	})
	h, _ := startHostile(t, u)
	for _, path := range []string{
		"/crm/v3/objects/contacts/101", "/crm/v3/objects/Contacts/101", "/crm/v3/objects/CONTACT/101", "/crm/v3/objects/0-1/101",
		"/crm/objects/2026-03/Contact/101",
		"/services/data/v62.0/sobjects/Contact/003A000000hostile", "/services/data/v62.0/sobjects/contact/003A000000hostile",
	} {
		res := send(t, "GET", h.veil+path, "demo-marketing", "", "")
		if res.status != 200 {
			t.Fatalf("%s: %d %s", path, res.status, res.body)
		}
		if strings.Contains(string(res.body), "jane.doe@example.com") || !strings.Contains(string(res.body), "[REDACTED:email]") {
			t.Errorf("%s: the opted-out e-mail reached marketing: %s", path, res.body)
		}
	}
}
