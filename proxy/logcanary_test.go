package proxy_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/config"
)

// TestNoPersonalDataInLogs sends canary personal data through every path a
// value can take (query string, URL path, request body, a broken body, a
// blocked write, response bodies) with debug logging on, and asserts that
// none of it reaches the log while the access log itself is there.
func TestNoPersonalDataInLogs(t *testing.T) {
	const token = "tok-canary-7f3a9e51"
	h := start(t, func(c *config.Config, _ *proxy.Options) {
		c.Identity.Principals = append(c.Identity.Principals, config.Principal{ID: "canary-user", Token: token, Roles: []string{"sales_rep"}})
	})
	canaries := []string{
		token,
		"canary.person@example.com",
		"4111 1111 1111 1111", "4111111111111111",
		"078-05-1120",
		"GB82 WEST 1234 5698 7654 32",
	}
	q := url.QueryEscape("SELECT Id, Email FROM Contact WHERE Email = 'canary.person@example.com'")
	do(t, "GET", h.veil+"/services/data/v62.0/query?q="+q, token, "")
	do(t, "GET", h.veil+"/crm/v3/objects/contacts/canary.person@example.com?idProperty=email", token, "")
	do(t, "POST", h.veil+"/services/data/v62.0/sobjects/Contact", token,
		`{"LastName":"Canary","Email":"canary.person@example.com","SSN__c":"078-05-1120","Bank_IBAN__c":"GB82 WEST 1234 5698 7654 32"}`)
	do(t, "PATCH", h.veil+"/services/data/v62.0/sobjects/Contact/003000000000000AAA", token,
		`{"Description":"card 4111 1111 1111 1111 for canary.person@example.com"}`)
	do(t, "POST", h.veil+"/crm/v3/objects/contacts", token, `{"properties":{"email":"canary.person@example.com", 4111111111111111`)
	do(t, "GET", h.veil+"/services/data/v62.0/query?q="+url.QueryEscape(soql), token, "")

	// The access-log line is written after the response: wait for the last.
	logs := h.logs.String()
	for deadline := time.Now().Add(5 * time.Second); strings.Count(logs, `"msg":"request"`) < 6 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		logs = h.logs.String()
	}
	if n := strings.Count(logs, `"msg":"request"`); n < 6 {
		t.Fatalf("want an access-log line per request, got %d in:\n%s", n, logs)
	}
	for _, c := range canaries {
		if strings.Contains(logs, c) {
			t.Errorf("log contains canary %q", c)
		}
	}
	if strings.Contains(logs, "SELECT") || strings.Contains(logs, "idProperty") {
		t.Error("log contains a query string")
	}
}
