package proxy_test

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
)

const ssnGuess = "123-45-6789"

// A query that filters, sorts or searches by a field the caller may not
// read in clear is refused before it reaches the CRM, in the CRM's own
// error format, wherever the request states it: the URL, a Bulk job, a
// composite subrequest, a SOAP call, a Bulk API 1.0 batch, GraphQL, SOSL,
// parameterized search, a lookup by external id, HubSpot search and
// idProperty.
func TestQueriesOnProtectedFieldsAreRefused(t *testing.T) {
	u := newUpstream(t, nil)
	// HubSpot's legacy contacts API, routed as a whole-host HubSpot route
	// would route it.
	legacy := func(c *config.Config, _ *proxy.Options) {
		for _, r := range c.Routes {
			if r.Dialect == config.DialectHubSpot {
				r.Name, r.Prefix = "hubspot-legacy", "/contacts/"
				c.Routes = append(c.Routes, r)
				return
			}
		}
	}
	h, _ := startHostile(t, u, legacy)
	like := "SELECT Id FROM Contact WHERE SSN__c LIKE '1%'"
	guess := "SELECT Id FROM Contact WHERE SSN__c = '" + ssnGuess + "'"
	soap := `<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>` +
		`<query xmlns="urn:partner.soap.sforce.com"><queryString>` + like + `</queryString></query></soapenv:Body></soapenv:Envelope>`
	cases := []struct {
		name, token, method, path, ctype, body string
		status                                 int
		code                                   string
	}{
		{"url LIKE", "demo-analyst", "GET", "/services/data/v62.0/query?q=" + url.QueryEscape(like), "", "", 403, "policy_denied"},
		{"url guess tokenized for the rep", "demo-sales", "GET", "/services/data/v62.0/query?q=" + url.QueryEscape(guess), "", "", 403, "policy_denied"},
		{"order by e-mail", "demo-analyst", "GET", "/services/data/v62.0/queryAll?q=" + url.QueryEscape("SELECT Id FROM Contact ORDER BY Email"), "", "", 403, "policy_denied"},
		{"semi-join", "demo-analyst", "GET", "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE SSN__c LIKE '1%')"), "", "", 403, "policy_denied"},
		{"value tells the category", "demo-analyst", "GET", "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id FROM Contact WHERE Notes__c = '"+ssnGuess+"'"), "", "", 403, "policy_denied"},
		{"bulk 2.0 job", "demo-analyst", "POST", "/services/data/v62.0/jobs/query", "application/json", `{"operation":"query","query":"` + like + `"}`, 403, "policy_denied"},
		{"composite subrequest", "demo-analyst", "POST", "/services/data/v62.0/composite", "application/json",
			`{"compositeRequest":[{"method":"GET","referenceId":"r","url":"/services/data/v62.0/query?q=` + url.QueryEscape(like) + `"}]}`, 403, "policy_denied"},
		{"composite batch, relative URL", "demo-analyst", "POST", "/services/data/v62.0/composite/batch", "application/json",
			`{"batchRequests":[{"method":"GET","url":"v62.0/query?q=` + url.QueryEscape(like) + `"}]}`, 403, "policy_denied"},
		{"report run filter", "demo-analyst", "POST", "/services/data/v62.0/analytics/reports/00OD0000001cw27MAA", "application/json",
			`{"reportMetadata":{"reportFilters":[{"column":"EMAIL","operator":"startsWith","value":"jane.d"}]}}`, 403, "policy_denied"},
		{"report saved with a filter", "demo-analyst", "POST", "/services/data/v62.0/analytics/reports", "application/json",
			`{"reportMetadata":{"name":"probe","reportFormat":"TABULAR","reportFilters":[{"column":"Contact.SSN__c","operator":"startsWith","value":"1"}]}}`, 403, "policy_denied"},
		{"report changed to a filter", "demo-analyst", "PATCH", "/services/data/v62.0/analytics/reports/00OD0000001cw27MAA", "application/json",
			`{"reportMetadata":{"reportFilters":[{"column":"EMAIL","operator":"startsWith","value":"jane.d"}]}}`, 403, "policy_denied"},
		{"multipart part", "demo-analyst", "POST", "/services/data/v62.0/jobs/query", "multipart/form-data; boundary=b",
			"--b\r\nContent-Disposition: form-data; name=\"job\"\r\nContent-Type: application/json\r\n\r\n{\"operation\":\"query\",\"query\":\"" + like + "\"}\r\n--b\r\nContent-Disposition: form-data; name=\"soql\"\r\nContent-Type: text/plain\r\n\r\n" + guess + "\r\n--b--\r\n", 403, "policy_denied"},
		{"hubspot dynamic list", "demo-analyst", "POST", "/crm/v3/lists", "application/json",
			`{"name":"probe","objectTypeId":"0-1","processingType":"DYNAMIC","filterBranch":{"filterBranchType":"OR","filterBranches":[{"filterBranchType":"AND","filters":[{"filterType":"PROPERTY","property":"email","operation":{"operationType":"MULTISTRING","operator":"CONTAINS","values":["jane.d"]}}]}]}}`, 403, "policy_denied"},
		{"hubspot legacy search", "demo-analyst", "GET", "/contacts/v1/search/query?q=jane.d", "", "", 403, "policy_denied"},
		{"hubspot legacy e-mail lookup", "demo-analyst", "GET", "/contacts/v1/contact/email/jane.doe@example.com/profile", "", "", 403, "policy_denied"},
		{"bulk 1.0 batch", "demo-analyst", "POST", "/services/async/62.0/job/750x/batch", "text/csv", like, 403, "policy_denied"},
		{"graphql", "demo-analyst", "POST", "/services/data/v62.0/graphql", "application/json",
			`{"query":"query { uiapi { query { Contact(where: { SSN__c: { like: \"1%\" } }) { edges { node { Id } } } } } }"}`, 403, "policy_denied"},
		{"sosl term", "demo-analyst", "GET", "/services/data/v62.0/search?q=" + url.QueryEscape("FIND {"+ssnGuess+"} IN ALL FIELDS RETURNING Contact(Id)"), "", "", 403, "policy_denied"},
		{"sosl on masked e-mails", "demo-analyst", "GET", "/services/data/v62.0/search?q=" + url.QueryEscape("FIND {jane.d*} IN EMAIL FIELDS"), "", "", 403, "policy_denied"},
		{"parameterized search", "demo-analyst", "GET", "/services/data/v62.0/parameterizedSearch?q=jane&in=ALL", "", "", 403, "policy_denied"},
		{"external id lookup", "demo-analyst", "GET", "/services/data/v62.0/sobjects/Contact/SSN__c/" + ssnGuess, "", "", 403, "policy_denied"},
		{"apex rest parameter", "demo-sales", "GET", "/services/apexrest/ssnLookup?ssn=" + ssnGuess, "", "", 403, "policy_denied"},
		{"apex rest path", "demo-analyst", "GET", "/services/apexrest/contacts/jane.doe@example.com", "", "", 403, "policy_denied"},
		{"hubspot contains token", "demo-analyst", "POST", "/crm/v3/objects/contacts/search", "application/json",
			`{"filterGroups":[{"filters":[{"propertyName":"email","operator":"CONTAINS_TOKEN","value":"jane.d*"}]}]}`, 403, "policy_denied"},
		{"hubspot sort", "demo-analyst", "POST", "/crm/v3/objects/contacts/search", "application/json", `{"sorts":[{"propertyName":"email","direction":"ASCENDING"}]}`, 403, "policy_denied"},
		{"hubspot idProperty", "demo-analyst", "GET", "/crm/v3/objects/contacts/jane.doe%40example.com?idProperty=email", "", "", 403, "policy_denied"},
		{"hubspot batch read", "demo-analyst", "POST", "/crm/v3/objects/contacts/batch/read", "application/json",
			`{"idProperty":"email","inputs":[{"id":"jane.doe@example.com"}],"properties":["firstname"]}`, 403, "policy_denied"},
		{"unterminated literal", "demo-admin", "POST", "/services/data/v62.0/jobs/query", "application/json", `{"operation":"query","query":"SELECT Id FROM Contact WHERE Email = 'x"}`, 400, "invalid_query"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u.reset()
			res := send(t, c.method, h.veil+c.path, c.token, c.ctype, c.body, "SOAPAction", `""`)
			if c.ctype == "text/csv" { // Bulk API 1.0 answers in XML
				if res.status != c.status || res.header.Get("X-Veil-Error") != c.code || !strings.Contains(string(res.body), "<error") {
					t.Fatalf("got %d %q: %s", res.status, res.header.Get("X-Veil-Error"), res.body)
				}
			} else {
				refused(t, res, c.status, c.code)
			}
			if c.status == 403 && !strings.Contains(string(res.body), "protected_field_predicate") {
				t.Errorf("the refusal does not name the rule: %s", res.body)
			}
			if n := len(u.requests()); n != 0 {
				t.Errorf("the CRM got %d requests", n)
			}
			noLeak(t, h, res, ssnGuess, "jane.doe@example.com")
		})
	}
	t.Run("soap", func(t *testing.T) {
		u.reset()
		res := send(t, "POST", h.veil+"/services/Soap/u/62.0/00Dx", "demo-analyst", "text/xml; charset=utf-8", soap, "SOAPAction", `""`)
		if res.status != 500 || !strings.Contains(string(res.body), "faultcode") || !strings.Contains(string(res.body), "protected_field_predicate") {
			t.Fatalf("not a SOAP fault naming the rule: %d %s", res.status, res.body)
		}
		if n := len(u.requests()); n != 0 {
			t.Errorf("the CRM got %d requests", n)
		}
	})
}

// What the caller reads in clear, it may query by; the default bundle
// lets the analyst sort by the names it reads masked; a presence test
// passes.
func TestQueriesOnReadableFieldsPass(t *testing.T) {
	u := newUpstream(t, nil)
	h, _ := startHostile(t, u)
	for _, c := range []struct{ name, token, method, path, ctype, body string }{
		{"rep by e-mail", "demo-sales", "GET", "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id FROM Contact WHERE Email LIKE 'jane%' ORDER BY LastName"), "", ""},
		{"admin by SSN", "demo-admin", "GET", "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id FROM Contact WHERE SSN__c LIKE '1%'"), "", ""},
		{"analyst sorts by name", "demo-analyst", "GET", "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id, Name FROM Contact ORDER BY Name"), "", ""},
		{"analyst tests presence", "demo-analyst", "GET", "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id FROM Contact WHERE Phone != null"), "", ""},
		{"analyst by a field without personal data", "demo-analyst", "POST", "/crm/v3/objects/contacts/search", "application/json",
			`{"filterGroups":[{"filters":[{"propertyName":"lifecyclestage","operator":"EQ","value":"lead"}]}],"sorts":["createdate"]}`},
		{"analyst calls an apex rest service by status and id", "demo-analyst", "GET", "/services/apexrest/cases/500000000000001AAA?status=open", "", ""},
		{"admin looks up by SSN through apex rest", "demo-admin", "GET", "/services/apexrest/ssnLookup?ssn=" + ssnGuess, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			u.reset()
			res := send(t, c.method, h.veil+c.path, c.token, c.ctype, c.body)
			if res.status != 200 {
				t.Fatalf("%d %s", res.status, res.body)
			}
			if n := len(u.requests()); n != 1 {
				t.Errorf("the CRM got %d requests", n)
			}
		})
	}
}

// Repeated probes of a field the principal cannot read raise one
// inference_probe alert (the watch counts them per principal), refused or
// let through by predicates.allow.
func TestRepeatedProbesRaiseAnInferenceAlert(t *testing.T) {
	dir := t.TempDir()
	u := newUpstream(t, nil)
	allowEmail := bundleWith(t, func(cfg map[string]any) {
		cfg["predicates"] = map[string]any{"allow": map[string]any{"analyst": []any{"person_name:sort", "email"}}}
	})
	h, _ := startHostile(t, u, withAuditFiles(dir), withRules(allowEmail), func(c *config.Config, _ *proxy.Options) {
		c.Watch.Probe = config.Probe{Window: config.DefaultProbeWindow, Probes: 5}
	})
	for i := range 3 {
		q := "SELECT Id FROM Contact WHERE SSN__c LIKE '" + string(rune('1'+i)) + "%'"
		if res := send(t, "GET", h.veil+"/services/data/v62.0/query?q="+url.QueryEscape(q), "demo-analyst", "", ""); res.status != 403 {
			t.Fatalf("probe %d: %d %s", i, res.status, res.body)
		}
	}
	// Allowed by predicates.allow, still probes of a masked field.
	for i := range 2 {
		q := "SELECT Id FROM Contact WHERE Email = 'guess" + string(rune('a'+i)) + "@example.com'"
		if res := send(t, "GET", h.veil+"/services/data/v62.0/query?q="+url.QueryEscape(q), "demo-analyst", "", ""); res.status != http.StatusOK {
			t.Fatalf("allowed probe %d: %d %s", i, res.status, res.body)
		}
	}
	alerts := filepath.Join(dir, "alerts.jsonl")
	var got []audit.Alert
	eventually(t, "an inference_probe alert", func() bool {
		got = nil
		for _, a := range readJSONL[audit.Alert](t, alerts) {
			if a.Kind == audit.AlertInferenceProbe {
				got = append(got, a)
			}
		}
		return len(got) > 0
	})
	a := got[0]
	if a.Principal != "demo-analyst" || a.Severity != audit.SeverityHigh || a.Evidence["principal_probes"] != 5 || a.Evidence["threshold"] != 5 {
		t.Errorf("alert: %+v", a)
	}
	if len(got) != 1 {
		t.Errorf("%d inference_probe alerts, want one per window", len(got))
	}
}

// A field whose name hints nothing is protected once traffic has shown it
// holds personal data: the data map (inventory) tells the predicates what
// a field holds.
func TestQueriesOnFieldsLearnedToHoldPersonalData(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(r.URL.Path, "/sobjects/") {
			_, _ = w.Write([]byte(`{"attributes":{"type":"Contact"},"Id":"003A000000hostile","PayRef__c":"4111 1111 1111 1111"}`))
			return
		}
		_, _ = w.Write([]byte(`{"totalSize":0,"done":true,"records":[]}`))
	})
	h, _ := startHostile(t, u)
	probe := "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id FROM Contact WHERE PayRef__c LIKE '4111%'")
	if res := send(t, "GET", h.veil+probe, "demo-analyst", "", ""); res.status != 200 {
		t.Fatalf("before Veil saw what PayRef__c holds: %d %s", res.status, res.body)
	}
	if res := send(t, "GET", h.veil+"/services/data/v62.0/sobjects/Contact/003A000000hostile", "demo-analyst", "", ""); res.status != 200 ||
		strings.Contains(string(res.body), "4111 1111 1111 1111") {
		t.Fatalf("the read: %d %s", res.status, res.body)
	}
	eventually(t, "the probe refused once PayRef__c is known to hold card numbers", func() bool {
		res := send(t, "GET", h.veil+probe, "demo-analyst", "", "")
		return res.status == 403 && strings.Contains(string(res.body), "protected_field_predicate")
	})
}
