package proxy_test

import (
	"io"
	"net/http"
	"testing"
	"time"
)

// A login Veil refuses itself (a username no principal holds) takes as
// long as one the CRM refuses: the answers are the same bytes
// (TestLoginUsernamesExact), and their speed must not tell the usernames
// Veil maps either. The CRM here takes 150 ms to refuse a password.
func TestLoginRefusalsKeepTheCRMsPace(t *testing.T) {
	const crmTime = 150 * time.Millisecond
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(crmTime)
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"invalid_grant","error_description":"authentication failure"}`)
	})
	h, _ := startHostile(t, u, withCRMUser("crm-analyst", "analyst", "analyst@acme.example"))
	mapped := oauthLogin(t, h.veil, "analyst@acme.example", "wrong-password")
	if len(u.requests()) != 1 {
		t.Fatalf("the mapped user's login reached the CRM %d times", len(u.requests()))
	}
	for _, user := range []string{"mallory@acme.example", "analyst@acme.example ", "ANALYST@acme.exampIe"} {
		t0 := time.Now()
		unmapped := oauthLogin(t, h.veil, user, "wrong-password")
		took := time.Since(t0)
		sameRefusal(t, user, mapped, unmapped)
		if took < crmTime {
			t.Errorf("%q: refused in %s, faster than the CRM's %s: a username oracle", user, took, crmTime)
		}
	}
	if n := len(u.requests()); n != 1 {
		t.Errorf("unmapped logins reached the CRM: %d requests", n)
	}
}
