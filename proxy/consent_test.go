package proxy_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy/audit"
)

// The opted-out contact the upstream answers with, as Salesforce writes
// one.
const optedOut = `{"attributes":{"type":"Contact","url":"/services/data/v62.0/sobjects/Contact/003000000000001AAA"},"Id":"003000000000001AAA","Email":"opted.out@example.com","HasOptedOutOfEmail":true}`

// Consent applies wherever a record is: a marketing principal reading an
// opted-out contact through a composite GET, a composite query, a graph,
// a batch or an Account's subquery gets its e-mail redacted, as with a
// plain query.
func TestConsentAppliesToNestedRecords(t *testing.T) {
	bodies := map[string]string{
		"/services/data/v62.0/query": `{"totalSize":1,"done":true,"records":[` + optedOut + `]}`,
		"/services/data/v62.0/composite": `{"compositeResponse":[{"body":` + optedOut + `,"httpHeaders":{},"httpStatusCode":200,"referenceId":"c"},
			{"body":{"totalSize":1,"done":true,"records":[` + optedOut + `]},"httpHeaders":{},"httpStatusCode":200,"referenceId":"q"}]}`,
		"/services/data/v62.0/composite/graph":            `{"graphs":[{"graphId":"1","graphResponse":{"compositeResponse":[{"body":` + optedOut + `,"httpStatusCode":200,"referenceId":"c"}]},"isSuccessful":true}]}`,
		"/services/data/v62.0/composite/batch":            `{"hasErrors":false,"results":[{"statusCode":200,"result":` + optedOut + `}]}`,
		"/services/data/v62.0/composite/sobjects/Contact": `[` + optedOut + `]`,
		"/services/data/v62.0/queryAll": `{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Account"},"Id":"001000000000001AAA","Name":"Acme",
			"Contacts":{"totalSize":1,"done":true,"records":[` + optedOut + `]}}]}`,
	}
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(bodies[r.URL.Path]))
	})
	h, _ := startHostile(t, u)
	for path := range bodies {
		method, body := "GET", ""
		switch path {
		case "/services/data/v62.0/composite", "/services/data/v62.0/composite/graph", "/services/data/v62.0/composite/batch":
			method, body = "POST", `{}`
		}
		res := send(t, method, h.veil+path+"?q=SELECT+Id,Email+FROM+Contact", "demo-marketing", "application/json", body, "X-Veil-Purpose", "marketing")
		if res.status != 200 {
			t.Fatalf("%s: %d %s", path, res.status, res.body)
		}
		if strings.Contains(string(res.body), "opted.out@example.com") {
			t.Errorf("%s: the opted-out e-mail went through: %s", path, res.body)
		}
		if !strings.Contains(string(res.body), "003000000000001AAA") {
			t.Errorf("%s: the record itself is gone: %s", path, res.body)
		}
	}
	// An admin is not bound by the rule: the same composite read is whole.
	res := send(t, "POST", h.veil+"/services/data/v62.0/composite", "demo-admin", "application/json", `{}`)
	if res.status != 200 || !strings.Contains(string(res.body), "opted.out@example.com") {
		t.Errorf("admin: %d %s", res.status, res.body)
	}
}

// A path segment the detectors miss is never written verbatim into the
// audit trail: only the route's known segments are.
func TestAuditPathKeepsOnlyKnownSegments(t *testing.T) {
	dir := t.TempDir()
	u := newUpstream(t, nil)
	h, _ := startHostile(t, u, withAuditFiles(dir))
	send(t, "GET", h.veil+"/crm/v3/objects/contacts/secret-name-xyz", "demo-admin", "", "")
	send(t, "PATCH", h.veil+"/crm/v3/objects/contacts/secret-name-xyz", "demo-admin", "application/json", `{"properties":{"firstname":"x"}}`)
	send(t, "GET", h.veil+"/services/data/v62.0/sobjects/Contact/003000000000001AAA", "demo-admin", "", "")
	file := filepath.Join(dir, "audit.jsonl")
	var events []audit.Event
	eventually(t, "the audit events", func() bool {
		events = readJSONL[audit.Event](t, file)
		n := 0
		for _, e := range events {
			if strings.HasPrefix(e.Path, "/crm/v3/objects/contacts/") || strings.HasPrefix(e.Path, "/services/data/v62.0/sobjects/Contact/") {
				n++
			}
		}
		return n >= 6
	})
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "secret-name-xyz") {
		t.Fatalf("the audit trail holds the segment:\n%s", raw)
	}
	paths := map[string]bool{}
	for _, e := range events {
		paths[e.Path] = true
	}
	for _, want := range []string{"/crm/v3/objects/contacts/[segment]", "/services/data/v62.0/sobjects/Contact/003000000000001AAA"} {
		if !paths[want] {
			t.Errorf("no event with path %s: %v", want, paths)
		}
	}
}
