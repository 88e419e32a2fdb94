package proxy_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/rules"
)

var roles = []struct{ token, role string }{
	{"demo-admin", "admin"},
	{"demo-sales", "sales_rep"},
	{"demo-support", "support_agent"},
	{"demo-marketing", "marketing"},
	{"demo-analyst", "analyst"},
}

const soql = "SELECT Id, Name, Email, Phone, Birthdate, SSN__c, Card_Number__c, Bank_IBAN__c, HasOptedOutOfEmail, Description FROM Contact"

// expectation says what a role must see of a raw value.
type expectation func(t *testing.T, raw, got string, optedOut bool)

func same(t *testing.T, raw, got string, _ bool) {
	t.Helper()
	if got != raw {
		t.Errorf("got %q, want it unchanged %q", got, raw)
	}
}

func redacted(category string) expectation {
	return func(t *testing.T, raw, got string, _ bool) {
		t.Helper()
		if want := "[REDACTED:" + category + "]"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

// masked: changed, shows '*', never the raw value; keepLast digits survive.
func masked(keepLast int) expectation {
	return func(t *testing.T, raw, got string, _ bool) {
		t.Helper()
		if got == raw || !strings.Contains(got, "*") {
			t.Errorf("got %q, want %q masked", got, raw)
		}
		if keepLast > 0 {
			d := digits(raw)
			if !strings.HasSuffix(digits(got), d[len(d)-keepLast:]) {
				t.Errorf("masked %q does not keep the last %d digits of %q", got, keepLast, raw)
			}
		}
	}
}

func redactedIfOptedOut(t *testing.T, raw, got string, optedOut bool) {
	t.Helper()
	if optedOut {
		redacted("email")(t, raw, got, optedOut)
	} else {
		same(t, raw, got, optedOut)
	}
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// salesforceRules is the default bundle's answer for each role, field by
// field (README "Policy").
var salesforceRules = map[string]map[string]expectation{
	"admin":         {"Name": same, "Email": same, "Birthdate": same, "SSN__c": same, "Card_Number__c": masked(4)},
	"sales_rep":     {"Name": same, "Email": same, "Birthdate": same, "SSN__c": masked(4), "Card_Number__c": masked(4), "Bank_IBAN__c": masked(0)},
	"support_agent": {"Name": same, "Email": same, "Birthdate": masked(0), "SSN__c": masked(4), "Card_Number__c": masked(4)},
	"marketing":     {"Name": same, "Email": redactedIfOptedOut, "Birthdate": redacted("date_of_birth"), "SSN__c": redacted("us_ssn"), "Card_Number__c": masked(4), "Bank_IBAN__c": redacted("iban")},
	"analyst":       {"Name": masked(0), "Email": masked(0), "Birthdate": redacted("date_of_birth"), "SSN__c": redacted("us_ssn"), "Card_Number__c": masked(4)},
}

type sfPage struct {
	TotalSize int              `json:"totalSize"`
	Done      bool             `json:"done"`
	Records   []map[string]any `json:"records"`
}

func TestRolesSeeSalesforceQuery(t *testing.T) {
	h := start(t)
	path := "/services/data/v62.0/query?q=" + url.QueryEscape(soql)
	truth := decodeJSON[sfPage](t, do(t, "GET", h.crm+path, "crm-token", "").body)
	if len(truth.Records) < 5 {
		t.Fatalf("fixtures hold %d contacts, want at least 5", len(truth.Records))
	}
	sawOptOut := false
	for _, r := range roles {
		t.Run(r.role, func(t *testing.T) {
			res := do(t, "GET", h.veil+path, r.token, "")
			if res.status != 200 {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			got := decodeJSON[sfPage](t, res.body)
			if len(got.Records) != len(truth.Records) || got.TotalSize != truth.TotalSize {
				t.Fatalf("got %d records (totalSize %d), want %d (%d)", len(got.Records), got.TotalSize, len(truth.Records), truth.TotalSize)
			}
			for i, raw := range truth.Records {
				optedOut, _ := raw["HasOptedOutOfEmail"].(bool)
				sawOptOut = sawOptOut || optedOut
				if got.Records[i]["Id"] != raw["Id"] {
					t.Errorf("record %d: Id %v, want %v", i, got.Records[i]["Id"], raw["Id"])
				}
				for field, want := range salesforceRules[r.role] {
					rv, ok := raw[field].(string)
					if !ok || rv == "" {
						continue // null in the fixture: nothing to protect
					}
					gv, _ := got.Records[i][field].(string)
					t.Run(fmt.Sprintf("%d/%s", i, field), func(t *testing.T) { want(t, rv, gv, optedOut) })
				}
			}
			assertNoFullCard(t, res.body, truth)
		})
	}
	if !sawOptOut {
		t.Error("fixtures have no opted-out contact: the consent rule is untested")
	}
}

// assertNoFullCard: no role ever reads a full card number, in card fields
// or in free text.
func assertNoFullCard(t *testing.T, body []byte, truth sfPage) {
	t.Helper()
	for _, r := range truth.Records {
		if c, ok := r["Card_Number__c"].(string); ok && c != "" && bytes.Contains(body, []byte(c)) {
			t.Errorf("full card number of %v leaked", r["Id"])
		}
	}
	for _, pan := range []string{"4111111111111111", "4111 1111 1111 1111", "5555555555554444", "378282246310005"} {
		if bytes.Contains(body, []byte(pan)) {
			t.Errorf("full card number %s… leaked", pan[:4])
		}
	}
}

type hsPage struct {
	Results []struct {
		ID         string            `json:"id"`
		Properties map[string]string `json:"properties"`
	} `json:"results"`
	Paging *struct {
		Next struct {
			After string `json:"after"`
		} `json:"next"`
	} `json:"paging"`
}

var hubspotRules = map[string]map[string]expectation{
	"admin":         {"email": same, "date_of_birth": same, "firstname": same},
	"sales_rep":     {"email": same, "date_of_birth": same, "firstname": same},
	"support_agent": {"email": same, "date_of_birth": masked(0), "firstname": same},
	"marketing":     {"email": redactedIfOptedOut, "date_of_birth": redacted("date_of_birth"), "firstname": same},
	"analyst":       {"email": masked(0), "date_of_birth": redacted("date_of_birth"), "firstname": masked(0)},
}

func TestRolesSeeHubSpotPage(t *testing.T) {
	h := start(t)
	path := "/crm/v3/objects/contacts?limit=100&properties=firstname,lastname,email,phone,date_of_birth,hs_email_optout"
	truth := decodeJSON[hsPage](t, do(t, "GET", h.crm+path, "crm-token", "").body)
	if len(truth.Results) < 5 {
		t.Fatalf("fixtures hold %d HubSpot contacts, want at least 5", len(truth.Results))
	}
	sawOptOut := false
	for _, r := range roles {
		t.Run(r.role, func(t *testing.T) {
			res := do(t, "GET", h.veil+path, r.token, "")
			if res.status != 200 {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			got := decodeJSON[hsPage](t, res.body)
			if len(got.Results) != len(truth.Results) {
				t.Fatalf("got %d results, want %d", len(got.Results), len(truth.Results))
			}
			for i, raw := range truth.Results {
				optedOut := raw.Properties["hs_email_optout"] == "true"
				sawOptOut = sawOptOut || optedOut
				for field, want := range hubspotRules[r.role] {
					if raw.Properties[field] == "" {
						continue
					}
					t.Run(fmt.Sprintf("%d/%s", i, field), func(t *testing.T) {
						want(t, raw.Properties[field], got.Results[i].Properties[field], optedOut)
					})
				}
			}
		})
	}
	if !sawOptOut {
		t.Error("fixtures have no opted-out HubSpot contact: the consent rule is untested")
	}
}

func TestHubSpotPagingPassesThrough(t *testing.T) {
	h := start(t)
	seen := map[string]bool{}
	after := ""
	for pages := 0; pages < 50; pages++ {
		res := do(t, "GET", h.veil+"/crm/v3/objects/contacts?limit=3&after="+url.QueryEscape(after), "demo-sales", "")
		if res.status != 200 {
			t.Fatalf("status %d: %s", res.status, res.body)
		}
		p := decodeJSON[hsPage](t, res.body)
		for _, r := range p.Results {
			if seen[r.ID] {
				t.Fatalf("contact %s seen twice", r.ID)
			}
			seen[r.ID] = true
		}
		if p.Paging == nil {
			all := decodeJSON[hsPage](t, do(t, "GET", h.crm+"/crm/v3/objects/contacts?limit=100", "crm-token", "").body)
			if len(seen) != len(all.Results) {
				t.Fatalf("paged through %d contacts, want %d", len(seen), len(all.Results))
			}
			return
		}
		after = p.Paging.Next.After
	}
	t.Fatal("paging did not end")
}

func TestCardInFreeTextIsBlocked(t *testing.T) {
	h := start(t)
	id := firstContactID(t, h)
	url := h.veil + "/services/data/v62.0/sobjects/Contact/" + id

	res := do(t, "PATCH", url, "demo-sales", `{"Description":"Customer paid with 4111 1111 1111 1111, exp 12/29"}`)
	if res.status != 403 {
		t.Fatalf("status %d, want 403: %s", res.status, res.body)
	}
	errs := decodeJSON[[]map[string]any](t, res.body)
	decision := res.header.Get("X-Veil-Decision-Id")
	if len(errs) != 1 || errs[0]["errorCode"] != "policy_denied" || decision == "" ||
		!strings.Contains(errs[0]["message"].(string), decision) {
		t.Fatalf("want a Salesforce-shaped policy_denied error naming decision %q, got %s", decision, res.body)
	}
	if bytes.Contains(res.shown(), []byte("4111")) {
		t.Error("the error body echoes the card number")
	}
	stored := do(t, "GET", h.crm+"/services/data/v62.0/sobjects/Contact/"+id+"?fields=Description", "crm-token", "")
	if bytes.Contains(stored.body, []byte("4111 1111 1111 1111")) {
		t.Fatal("the blocked write reached the CRM")
	}

	// The same card into the card field is a legitimate write.
	ok := do(t, "PATCH", url, "demo-sales", `{"Card_Number__c":"4111 1111 1111 1111"}`)
	if ok.status != 204 {
		t.Fatalf("write to the card field: status %d: %s", ok.status, ok.body)
	}
}

func firstContactID(t *testing.T, h *harness) string {
	t.Helper()
	p := decodeJSON[sfPage](t, do(t, "GET", h.crm+"/services/data/v62.0/query?q="+url.QueryEscape("SELECT Id FROM Contact LIMIT 1"), "crm-token", "").body)
	if len(p.Records) == 0 {
		t.Fatal("no contacts")
	}
	return p.Records[0]["Id"].(string)
}

func TestUnknownCallersGetTheCRMsErrorFormat(t *testing.T) {
	h := start(t)
	res := do(t, "GET", h.veil+"/crm/v3/objects/contacts", "nobody", "")
	hs := decodeJSON[map[string]any](t, res.body)
	if res.status != 403 || hs["status"] != "error" || hs["category"] != "unknown_principal" || hs["correlationId"] == "" {
		t.Errorf("HubSpot: %d %s", res.status, res.body)
	}
	res = do(t, "GET", h.veil+"/services/data/v62.0/query?q=SELECT+Id+FROM+Contact", "", "")
	sf := decodeJSON[[]map[string]any](t, res.body)
	if res.status != 403 || len(sf) != 1 || sf[0]["errorCode"] != "unauthenticated" {
		t.Errorf("Salesforce: %d %s", res.status, res.body)
	}
}

func TestGzipIsDecodedRewrittenAndReencoded(t *testing.T) {
	h := start(t)
	path := "/services/data/v62.0/query?q=" + url.QueryEscape(soql)
	res := do(t, "GET", h.veil+path, "demo-analyst", "", "Accept-Encoding", "gzip")
	if res.status != 200 || res.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("status %d encoding %q", res.status, res.header.Get("Content-Encoding"))
	}
	if cl := res.header.Get("Content-Length"); cl != fmt.Sprint(len(res.body)) {
		t.Fatalf("Content-Length %s, body %d bytes", cl, len(res.body))
	}
	zr, err := gzip.NewReader(bytes.NewReader(res.body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	p := decodeJSON[sfPage](t, plain)
	if len(p.Records) == 0 || !strings.Contains(p.Records[0]["Card_Number__c"].(string)+fmt.Sprint(p.Records[0]["Birthdate"]), "*") &&
		!strings.Contains(fmt.Sprint(p.Records[0]["Birthdate"]), "REDACTED") {
		t.Fatalf("gzip body not transformed: %.300s", plain)
	}
}

func TestHeadersPassAndETagWeakens(t *testing.T) {
	h := start(t)
	id := firstContactID(t, h)
	path := "/services/data/v62.0/sobjects/Contact/" + id
	raw := do(t, "GET", h.crm+path, "crm-token", "")
	res := do(t, "GET", h.veil+path, "demo-analyst", "")
	if res.status != 200 {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	if res.header.Get("Sforce-Limit-Info") == "" {
		t.Error("Sforce-Limit-Info was not passed through")
	}
	if et := raw.header.Get("ETag"); et != "" && res.header.Get("ETag") != "W/"+et {
		t.Errorf("ETag %q, want W/%s for a rewritten body", res.header.Get("ETag"), et)
	}
	if res.header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id")
	}
	hs := do(t, "GET", h.veil+"/crm/v3/objects/contacts?limit=1", "demo-sales", "")
	found := false
	for k := range hs.header {
		found = found || strings.HasPrefix(k, "X-Hubspot-Ratelimit")
	}
	if !found {
		t.Errorf("X-HubSpot-RateLimit-* headers were not passed through: %v", hs.header)
	}
}

// conflicting is a bundle whose decision fails at evaluation time on the
// response side (two complete rules, two values): Veil must fail closed.
var conflicting = fstest.MapFS{
	"policy.rego": {Data: []byte(`package veil

decision := {"allow": true, "deny": [], "actions": [], "default": {}, "drop": [], "alerts": []}

decision := {"allow": false, "deny": [], "actions": [], "default": {}, "drop": [], "alerts": []} if {
	input.direction == "response"
}
`)},
	"data.json": {Data: []byte(`{"veil_config": {}}`)},
}

func TestPolicyErrorFailsClosed(t *testing.T) {
	h := start(t, withRules(conflicting))
	res := do(t, "GET", h.veil+"/services/data/v62.0/query?q="+url.QueryEscape(soql), "demo-admin", "")
	if res.status != 502 || res.header.Get("X-Veil-Error") != "policy_error" {
		t.Fatalf("status %d code %q: %s", res.status, res.header.Get("X-Veil-Error"), res.body)
	}
	if bytes.Contains(res.body, []byte("@")) {
		t.Fatalf("a failed message leaked data: %s", res.body)
	}
}

func TestUndecodableResponseFailsClosed(t *testing.T) {
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"records":[{"Email":"jane@example.com",`)
	}))
	defer bad.Close()
	h := start(t, withUpstream(bad.URL))
	res := do(t, "GET", h.veil+"/services/data/v62.0/sobjects/Contact/003x", "demo-admin", "")
	if res.status != 502 || res.header.Get("X-Veil-Error") != "upstream_invalid_body" || bytes.Contains(res.body, []byte("jane")) {
		t.Fatalf("status %d code %q: %s", res.status, res.header.Get("X-Veil-Error"), res.body)
	}
}

func TestUninspectedBodiesStreamUntouched(t *testing.T) {
	csv := "Id,Email\n003A,jane@example.com\n"
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("ETag", `"abc"`)
		_, _ = io.WriteString(w, csv)
	}))
	defer up.Close()
	h := start(t, withUpstream(up.URL))
	res := do(t, "GET", h.veil+"/services/data/v62.0/sobjects/Document/015x/Body", "demo-sales", "")
	if res.status != 200 || string(res.body) != csv || res.header.Get("ETag") != `"abc"` {
		t.Fatalf("status %d etag %q body %q", res.status, res.header.Get("ETag"), res.body)
	}
}

func TestAdminEndpoints(t *testing.T) {
	h := start(t)
	do(t, "GET", h.veil+"/services/data/v62.0/query?q="+url.QueryEscape(soql), "demo-sales", "")
	for path, want := range map[string]string{
		"/healthz": "ok",
		"/readyz":  "ready",
		"/metrics": `veil_detect_findings_total{category="credit_card"`,
	} {
		res := do(t, "GET", h.admin+path, "", "")
		if res.status != 200 || !strings.Contains(string(res.body), want) {
			t.Errorf("%s: %d, want %q in %.200s", path, res.status, want, res.body)
		}
	}
	m := string(do(t, "GET", h.admin+"/metrics", "", "").body)
	for _, name := range []string{"veil_proxy_requests_total", "veil_pipeline_stage_duration_seconds", "veil_transform_actions_total", "veil_policy_evaluations_total"} {
		if !strings.Contains(m, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

func TestFailOpenIsCountedNotSilent(t *testing.T) {
	broken := `{"records":[{"Email":"jane@example.com",`
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, broken)
	}))
	defer bad.Close()
	h := start(t, withUpstream(bad.URL), func(c *config.Config, _ *proxy.Options) {
		for i := range c.Routes {
			c.Routes[i].OnError = config.OnErrorAllow
		}
	})
	res := do(t, "GET", h.veil+"/services/data/v62.0/sobjects/Contact/003x", "demo-admin", "")
	if res.status != 200 || string(res.body) != broken {
		t.Fatalf("status %d body %q, want the upstream's bytes", res.status, res.body)
	}
	m := string(do(t, "GET", h.admin+"/metrics", "", "").body)
	if !strings.Contains(m, `veil_proxy_fail_open_total{code="upstream_invalid_body",direction="response",route="salesforce"} 1`) {
		t.Errorf("fail-open not counted:\n%s", grepLines(m, "fail_open"))
	}
	if !strings.Contains(h.logs.String(), "forwarded uninspected") {
		t.Error("fail-open not logged")
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestRequestWithoutContentTypeIsInspected(t *testing.T) {
	h := start(t)
	id := firstContactID(t, h)
	req, _ := http.NewRequest("PATCH", h.veil+"/services/data/v62.0/sobjects/Contact/"+id, strings.NewReader(`{"Description":"pay with 4111 1111 1111 1111"}`))
	req.Header.Set("Authorization", "Bearer demo-sales")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 || res.Header.Get("X-Veil-Error") != "policy_denied" {
		t.Fatalf("a JSON body without Content-Type was not inspected: %d %q", res.StatusCode, res.Header.Get("X-Veil-Error"))
	}
}

type sfPaged struct {
	sfPage
	NextRecordsURL string `json:"nextRecordsUrl"`
}

func TestSalesforcePagingThroughVeil(t *testing.T) {
	h := start(t)
	next := "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id, Card_Number__c FROM Contact")
	seen, pages := 0, 0
	for next != "" && pages < 20 {
		res := do(t, "GET", h.veil+next, "demo-admin", "", "Sforce-Query-Options", "batchSize=5")
		if res.status != 200 {
			t.Fatalf("page %d: %d %s", pages, res.status, res.body)
		}
		p := decodeJSON[sfPaged](t, res.body)
		for _, r := range p.Records {
			if c, _ := r["Card_Number__c"].(string); !strings.Contains(c, "*") {
				t.Errorf("page %d: card %q not masked", pages, c)
			}
		}
		seen += len(p.Records)
		pages++
		if !p.Done && !strings.HasPrefix(p.NextRecordsURL, "/services/data/v62.0/query/") {
			t.Fatalf("page %d: nextRecordsUrl %q", pages, p.NextRecordsURL)
		}
		next = p.NextRecordsURL
	}
	if pages != 3 || seen != 12 {
		t.Fatalf("%d pages, %d records; want 3 pages of 12 contacts", pages, seen)
	}
}

// JSON under another label is read as JSON; a real form is read as a form
// (and here allowed through unchanged).
func TestMislabelledJSONIsInspectedAndFormsStream(t *testing.T) {
	h := start(t)
	id := firstContactID(t, h)
	for _, ct := range []string{"application/x-www-form-urlencoded", "text/plain", "application/octet-stream"} {
		req, _ := http.NewRequest("PATCH", h.veil+"/services/data/v62.0/sobjects/Contact/"+id, strings.NewReader(` {"Description":"pay with 4111 1111 1111 1111"}`))
		req.Header.Set("Authorization", "Bearer demo-sales")
		req.Header.Set("Content-Type", ct)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 403 || res.Header.Get("X-Veil-Error") != "policy_denied" {
			t.Errorf("JSON labelled %s was not inspected: %d %q", ct, res.StatusCode, res.Header.Get("X-Veil-Error"))
		}
	}
	// Real forms are inspected as forms: TestFormBodiesAreInspectedAndRewritten.
	// The OAuth token request is a login (TestLoginThroughVeil).
}

// urlWatcher redacts (so Veil must refuse) every finding of the request
// URL, and allows everything else: it proves which URL values reach the
// policy, under which field.
var urlWatcher = fstest.MapFS{
	"policy.rego": {Data: []byte(`package veil

decision := {"allow": true, "deny": [], "actions": actions, "default": {}, "drop": [], "alerts": []}

actions contains {"finding": f.id, "action": "redact", "rule": concat(":", [f["in"], f.pointer, f.field, f.category])} if {
	some f in input.findings
	f["in"] != "body"
}
`)},
	"data.json": {Data: []byte(`{"veil_config": {}}`)},
}

func TestRequestURLIsScanned(t *testing.T) {
	h := start(t, withRules(urlWatcher))
	id := firstContactID(t, h)
	for _, c := range []struct{ name, path, want string }{
		{"SOQL literal under its field", "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id FROM Contact WHERE Phone = '4155550143'"), "phone in the request URL"},
		{"SOSL search term", "/services/data/v62.0/search?q=" + url.QueryEscape("FIND {jane.doe@example.com} IN EMAIL FIELDS"), "email in the request URL"},
		{"HubSpot id by idProperty", "/crm/v3/objects/contacts/" + url.PathEscape("jane.doe@example.com") + "?idProperty=email", "email in the request URL"},
		{"a plain parameter", "/crm/v3/objects/contacts?email=" + url.QueryEscape("jane.doe@example.com"), "email in the request URL"},
	} {
		res := do(t, "GET", h.veil+c.path, "demo-admin", "")
		if res.status != 403 || !strings.Contains(string(res.body), c.want) {
			t.Errorf("%s: status %d, want 403 naming %q: %s", c.name, res.status, c.want, res.body)
		}
		if bytes.Contains(res.body, []byte("jane")) || bytes.Contains(res.body, []byte("4155550143")) {
			t.Errorf("%s: the refusal echoes the value: %s", c.name, res.body)
		}
	}
	// No personal data in the URL: the request goes through.
	res := do(t, "GET", h.veil+"/services/data/v62.0/sobjects/Contact/"+id+"?fields=Id", "demo-admin", "")
	if res.status != 200 {
		t.Errorf("clean URL: status %d: %s", res.status, res.body)
	}
}

// With the default bundle a search by email is a legitimate request, and a
// card number in a SOQL literal is card data in free text: refused.
func TestDefaultPolicyOnRequestURLs(t *testing.T) {
	h := start(t)
	q := "SELECT Id, Email FROM Contact WHERE Email = 'nobody@example.com'"
	if res := do(t, "GET", h.veil+"/services/data/v62.0/query?q="+url.QueryEscape(q), "demo-sales", ""); res.status != 200 {
		t.Errorf("search by email: status %d: %s", res.status, res.body)
	}
	q = "SELECT Id FROM Contact WHERE Description LIKE '%4111 1111 1111 1111%'"
	res := do(t, "GET", h.veil+"/services/data/v62.0/query?q="+url.QueryEscape(q), "demo-sales", "")
	if res.status != 403 || bytes.Contains(res.shown(), []byte("4111")) {
		t.Errorf("card in a SOQL literal: status %d: %s", res.status, res.body)
	}
}

// requestRedactor redacts every finding of a request, and allows the rest.
var requestRedactor = fstest.MapFS{
	"policy.rego": {Data: []byte(`package veil

decision := {"allow": true, "deny": [], "actions": actions, "default": {}, "drop": ["/drop_me", "/0/Secret"], "alerts": []}

actions contains {"finding": f.id, "action": "redact", "rule": "test"} if {
	input.direction == "request"
	some f in input.findings
}
`)},
	"data.json": {Data: []byte(`{"veil_config": {}}`)},
}

// echo answers every request with what it received, as JSON.
func echo(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"content_type": r.Header.Get("Content-Type"), "body": string(b)})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestFormBodiesAreInspectedAndRewritten(t *testing.T) {
	h := start(t, withRules(requestRedactor), withUpstream(echo(t)))
	send := func(form string) reply {
		return do(t, "POST", h.veil+"/services/data/v62.0/sobjects/Lead", "demo-admin", form, "Content-Type", "application/x-www-form-urlencoded")
	}
	res := send("LastName=Doe&Email=jane.doe%40example.com&Note=call+415-555-0143+today&drop_me=x&Company=Acme")
	got := decodeJSON[map[string]string](t, res.body)
	want := "LastName=%5BREDACTED%3Aperson_name%5D&Email=%5BREDACTED%3Aemail%5D&Note=call+%5BREDACTED%3Aphone%5D+today&Company=Acme"
	if res.status != 200 || got["body"] != want {
		t.Fatalf("status %d, the CRM received\n%s\nwant\n%s", res.status, got["body"], want)
	}
	// Personal data in a field name cannot be rewritten: refused.
	res = send("jane.doe%40example.com=1")
	if res.status != 403 || res.header.Get("X-Veil-Error") != "policy_denied" || bytes.Contains(res.body, []byte("jane")) {
		t.Errorf("PII in a form name: %d %s", res.status, res.body)
	}
	// A malformed form is refused, never forwarded unread.
	if res = send("a=%zz"); res.status != 400 {
		t.Errorf("malformed form: %d %s", res.status, res.body)
	}
}

func TestCSVBodiesAreInspectedBothWays(t *testing.T) {
	// Bulk API 2.0: an upload (request) and a query result (response).
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "PUT" {
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "text/csv")
			_, _ = w.Write(b) // what the CRM stored, as a result set
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=UTF-8")
		_, _ = io.WriteString(w, "Id,LastName,SSN__c\n003A,Doe,123-45-6789\n")
	}))
	t.Cleanup(up.Close)
	h := start(t, withUpstream(up.URL))
	res := do(t, "GET", h.veil+"/services/data/v62.0/jobs/query/750A/results", "demo-sales", "")
	if res.status != 200 || bytes.Contains(res.body, []byte("123-45-6789")) || !bytes.Contains(res.body, []byte("6789")) {
		t.Errorf("CSV result for sales_rep: %d %q, want the SSN masked", res.status, res.body)
	}
	// The default bundle blocks a card number in a free-text column.
	res = do(t, "PUT", h.veil+"/services/data/v62.0/jobs/ingest/750B/batches", "demo-sales", "LastName,Description\nDoe,card 4111 1111 1111 1111\n", "Content-Type", "text/csv")
	if res.status != 403 {
		t.Errorf("card in a CSV upload: %d %s", res.status, res.body)
	}
}

// A refused message names its decision; the admin port explains it
// without a value, and POST /admin/reload swaps in an edited bundle or
// refuses a broken one while the old one serves.
func TestAdminExplainsAndReloads(t *testing.T) {
	dir := t.TempDir()
	copyBundle(t, dir)
	h := start(t, func(c *config.Config, _ *proxy.Options) { c.Policy.Rules = dir })
	id := firstContactID(t, h)
	res := do(t, "PATCH", h.veil+"/services/data/v62.0/sobjects/Contact/"+id, "demo-sales", `{"Description":"Customer paid with 4111 1111 1111 1111"}`)
	decision := res.header.Get("X-Veil-Decision-Id")
	if res.status != 403 || decision == "" {
		t.Fatalf("status %d decision %q", res.status, decision)
	}
	x := do(t, "GET", h.admin+"/admin/decisions/"+decision, "", "")
	if x.status != 200 {
		t.Fatalf("explain: %d %s", x.status, x.body)
	}
	exp := decodeJSON[policy.Explanation](t, x.body)
	if exp.DecisionID != decision || exp.Result.Allow || exp.Input.Findings["credit_card"] != 1 || exp.Input.Principal != "demo-sales" ||
		!slices.Contains(exp.Rules, "pci_card_in_free_text") {
		t.Errorf("explanation: %s", x.body)
	}
	explained := bytes.ReplaceAll(x.body, []byte(decision), nil)
	// The card as written and as digits: "4111" alone turns up in a
	// timestamp's nanoseconds now and then.
	for _, leak := range []string{"4111 1111", "4111111111111111", id} {
		if bytes.Contains(explained, []byte(leak)) {
			t.Errorf("explanation holds %q: %s", leak, x.body)
		}
	}
	if r := do(t, "GET", h.admin+"/admin/decisions/nope", "", ""); r.status != 404 {
		t.Errorf("unknown decision: %d", r.status)
	}

	before := decodeJSON[map[string]string](t, do(t, "POST", h.admin+"/admin/reload", "", "").body)["revision"]
	if err := os.WriteFile(filepath.Join(dir, "decision.rego"), []byte("package veil\n\ndecision := {"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := do(t, "POST", h.admin+"/admin/reload", "", "")
	body := decodeJSON[map[string]string](t, r.body)
	if r.status != 422 || !strings.Contains(body["error"], "decision.rego") || body["revision"] != before {
		t.Errorf("broken reload: %d %s", r.status, r.body)
	}
	if res := do(t, "GET", h.veil+"/services/data/v62.0/sobjects/Contact/"+id, "demo-sales", ""); res.status != 200 {
		t.Errorf("the old bundle stopped serving: %d", res.status)
	}
	m := string(do(t, "GET", h.admin+"/metrics", "", "").body)
	if !strings.Contains(m, `veil_policy_reloads_total{result="error"}`) || !strings.Contains(m, `veil_policy_bundle_info{revision="`+before+`"`) {
		t.Errorf("reload metrics:\n%s", grepLines(m, "veil_policy_"))
	}
}

// copyBundle writes the default bundle (without tests) into dir.
func copyBundle(t *testing.T, dir string) {
	t.Helper()
	names, err := fs.Glob(rules.FS, "*")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if strings.HasSuffix(n, "_test.rego") {
			continue
		}
		b, err := rules.FS.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// A card security code is never stored and never shown: a write carrying
// one is refused whatever the field, and a read redacts it where a card
// number would only be masked (a mask keeps the last four characters, the
// whole of a CID).
func TestCardSecurityCodesAreNeverStoredNorShown(t *testing.T) {
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"attributes":{"type":"Contact"},"Id":"0035g00000A1b2cAAB","CVV__c":"4821","Description":"Amex, CVV 7314 on file"}`)
	}))
	t.Cleanup(crm.Close)
	h := start(t, withUpstream(crm.URL))
	url := h.veil + "/services/data/v62.0/sobjects/Contact/0035g00000A1b2cAAB"

	for _, body := range []string{`{"CVV__c":"482"}`, `{"Description":"card security code 4821"}`} {
		res := do(t, "PATCH", url, "demo-admin", body)
		if res.status != 403 || !bytes.Contains(res.body, []byte("pci_cvv_stored")) || bytes.Contains(res.shown(), []byte("482")) {
			t.Errorf("write %s: status %d %s", body, res.status, res.body)
		}
	}
	res := do(t, "GET", url, "demo-admin", "")
	got := decodeJSON[map[string]any](t, res.body)
	if res.status != 200 || got["CVV__c"] != "[REDACTED:credit_card]" || bytes.Contains(res.body, []byte("7314")) || bytes.Contains(res.body, []byte("4821")) {
		t.Errorf("read: status %d %s", res.status, res.body)
	}
}
