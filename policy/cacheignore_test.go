package policy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/rules"
)

// The default bundle leaves some input members out of the decision cache's
// key (veil_config.decision_cache.ignore). That is sound only if no rule
// reads them: two inputs that differ only there must get the same
// decision. TestCacheIgnoreIsSound evaluates, without the cache, a grid of
// messages over every profile, direction, role and purpose, each again
// with one ignored member changed, and wants identical decisions.
// TestCacheIgnoreCheckCatchesAReader shows the check fails for a bundle
// that reads a member it ignores.

// ignoredMembers is the default bundle's decision_cache.ignore list.
func ignoredMembers(t *testing.T) []string {
	t.Helper()
	b, err := rules.FS.ReadFile("data.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Config struct {
			Cache struct {
				Ignore []string `json:"ignore"`
			} `json:"decision_cache"`
		} `json:"veil_config"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Config.Cache.Ignore
}

// everyProfileBundle is the default bundle with a route "all" that
// switches every profile on, requires a purpose and is a sale route, and
// allows a multipart Contact update unread (uninspected.request_allow).
func everyProfileBundle(t *testing.T, extra ...string) fstest.MapFS {
	t.Helper()
	m := defaultBundle(t)
	var doc map[string]any
	if err := json.Unmarshal(m["data.json"].Data, &doc); err != nil {
		t.Fatal(err)
	}
	routes := doc["veil_config"].(map[string]any)["routes"].(map[string]any)
	routes["all"] = map[string]any{"profiles": []string{"gdpr", "ccpa", "hipaa", "pci"}, "require_purpose": true, "sale": true}
	doc["veil_config"].(map[string]any)["uninspected"] = map[string]any{"request_allow": []any{
		map[string]any{"route": "all", "object": "Contact", "operation": "update", "formats": []string{"multipart"}},
	}}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	m["data.json"] = &fstest.MapFile{Data: b}
	for i, src := range extra {
		m[fmt.Sprintf("extra%d.rego", i)] = &fstest.MapFile{Data: []byte(src)}
	}
	return m
}

// soundnessGrid is the messages the check evaluates: both directions, the
// default route and one with every profile, each matrix role alone, two
// together and an unknown one, every purpose and none (with MFA on every
// other one), over records with every consent flag and findings in a
// record's fields, outside records and in the request URL, once without
// and once with the card findings PCI refuses (a card and its code in one
// record, a card in free text); then bodies Veil could not read: a
// multipart write (allowed unread on "all") and a binary download, each
// also as a plain binary response.
func soundnessGrid() []*policy.Input {
	var grid []*policy.Input
	roleSets := [][]string{{"admin"}, {"sales_rep"}, {"support_agent"}, {"marketing"}, {"analyst"}, {"marketing", "support_agent"}, {"intern"}}
	purposes := []string{"", "support", "sales", "marketing", "analytics", "billing"}
	for _, direction := range []string{"request", "response"} {
		for _, route := range []string{"salesforce", "all"} {
			for _, roles := range roleSets {
				for i, purpose := range purposes {
					for _, cards := range []bool{false, true} {
						grid = append(grid, soundnessInput(direction, route, roles, purpose, i%2 == 0, cards))
					}
				}
			}
		}
	}
	unread := []policy.Body{
		{Format: policy.BodyMultipart, Reason: policy.ReasonUnsupportedFormat},
		{Format: policy.BodyBinary, Reason: policy.ReasonBinaryContent, Download: true},
		{Format: policy.BodyBinary, Reason: policy.ReasonBinaryContent},
	}
	for _, direction := range []string{"request", "response"} {
		for _, route := range []string{"salesforce", "all"} {
			for _, roles := range [][]string{{"sales_rep"}, {"intern"}} {
				for _, purpose := range []string{"", "support"} {
					for _, body := range unread {
						in := soundnessInput(direction, route, roles, purpose, true, false)
						in.Body = body
						grid = append(grid, in)
					}
				}
			}
		}
	}
	return grid
}

func soundnessInput(direction, route string, roles []string, purpose string, mfa, cards bool) *policy.Input {
	in := &policy.Input{
		Direction: direction, Route: route, Dialect: "salesforce", Method: "GET",
		Path: "/services/data/v62.0/query", Operation: "query", Object: "Contact",
		Principal: policy.Principal{ID: "u-1", Roles: roles, MFA: mfa, IP: "10.0.0.1"},
		Purpose:   purpose,
		Stats:     map[string]int64{"principal_pii_records_1h": 7},
		Body:      policy.Body{Format: policy.BodyJSON, Inspected: true},
	}
	if direction == "request" {
		in.Method, in.Path, in.Operation = "PATCH", "/services/data/v62.0/sobjects/Contact/003000000000001AAA", "update"
	}
	consents := []map[string]bool{
		{},
		{"email_opt_out": true, "call_opt_out": true},
		{"sale_opt_out": true, "fax_opt_out": true},
	}
	categories := []string{"person_name", "email", "phone", "street_address", "postal_code", "date_of_birth", "ip_address",
		"us_ssn", "us_itin", "iban", "bank_account", "uk_nino", "uk_nhs", "br_cpf", "ca_sin", "us_mbi", "us_npi", "passport", "secret", "veil_token"}
	add := func(record int, in_, pointer, field, category, detector string) {
		in.Findings = append(in.Findings, policy.Finding{ID: len(in.Findings), Record: record, In: in_, Pointer: pointer,
			Field: field, Category: category, Detector: detector, Confidence: 0.9})
	}
	for r, consent := range consents {
		in.Records = append(in.Records, policy.Record{Index: r, Object: "Contact", ID: fmt.Sprintf("003%015d", r),
			Pointer: fmt.Sprintf("/records/%d", r), Consent: consent})
		for i, c := range categories {
			if i%len(consents) == r || c == "email" || c == "phone" {
				add(r, "body", fmt.Sprintf("/records/%d/F%d", r, i), fmt.Sprintf("F%d", i), c, c)
			}
		}
	}
	add(0, "body", "/records/0/Card_Number__c", "Card_Number__c", "credit_card", "credit_card")
	add(-1, "body", "/notes/0/Body", "Body", "person_name", "person_name")
	add(-1, "query", "/q", "q", "email", "email")
	if cards {
		add(1, "body", "/records/1/CVV__c", "CVV__c", "credit_card", "card_verification")
		add(2, "body", "/records/2/Card_Number__c", "Card_Number__c", "credit_card", "credit_card")
		add(2, "body", "/records/2/CVV__c", "CVV__c", "credit_card", "card_verification")
		add(-1, "body", "/notes/0/Body", "Body", "credit_card", "credit_card")
	}
	return in
}

// perturb returns a copy of in with one ignored member changed, and false
// for a member it does not know.
func perturb(in *policy.Input, member string) (*policy.Input, bool) {
	out := *in
	out.Records = slices.Clone(in.Records)
	out.Findings = slices.Clone(in.Findings)
	switch member {
	case "path":
		out.Path = "/services/data/v58.0/sobjects/Lead/00Q000000000042AAA"
	case "principal.id":
		out.Principal.ID = "someone-else@example.com"
	case "principal.ip":
		out.Principal.IP = "2001:db8::7"
	case "records.id":
		for i := range out.Records {
			out.Records[i].ID = fmt.Sprintf("0035g%013d", 9000+i)
		}
	case "findings.confidence":
		for i := range out.Findings {
			out.Findings[i].Confidence = 0.31 + float64(i)/100
		}
	case "findings.pointer", "stats":
		return nil, false // read by the default bundle; never on its list
	default:
		name, ok := strings.CutPrefix(member, "stats.")
		if !ok {
			return nil, false
		}
		// From nothing to far past any threshold.
		out.Stats = maps.Clone(in.Stats)
		if out.Stats == nil {
			out.Stats = map[string]int64{}
		}
		out.Stats[name] = 1 << 40
	}
	return &out, true
}

// ignoreViolations evaluates every input and its perturbations on e and
// lists the members whose change changed a decision.
func ignoreViolations(t *testing.T, e *policy.Engine, inputs []*policy.Input, ignore []string) []string {
	t.Helper()
	ctx := context.Background()
	strip := func(d *policy.Decision) policy.Decision {
		c := *d
		c.ID = ""
		return c
	}
	var bad []string
	for _, in := range inputs {
		want, err := e.Decide(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, member := range ignore {
			changed, ok := perturb(in, member)
			if !ok {
				t.Fatalf("decision_cache.ignore lists %q, which this test cannot vary", member)
			}
			got, err := e.Decide(ctx, changed)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(strip(want), strip(got)) {
				bad = append(bad, fmt.Sprintf("%s (%s %s %v purpose %q): %+v, then %+v",
					member, in.Direction, in.Route, in.Principal.Roles, in.Purpose, strip(want), strip(got)))
			}
		}
	}
	return bad
}

func TestCacheIgnoreIsSound(t *testing.T) {
	ignore := ignoredMembers(t)
	if len(ignore) == 0 {
		t.Fatal("the default bundle ignores nothing: every user and page would be a new cache key")
	}
	for _, m := range ignore {
		if m == "findings.pointer" || m == "stats" {
			t.Fatalf("the default bundle reads %s (gdpr, ccpa, bulk export) but lists it in decision_cache.ignore", m)
		}
	}
	e, err := policy.New(context.Background(), policy.Options{FS: everyProfileBundle(t), NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	grid := soundnessGrid()
	for _, bad := range ignoreViolations(t, e, grid, ignore) {
		t.Error(bad)
	}
	// The grid must reach every kind of answer, or it proves little.
	fired := map[string]int{}
	for _, in := range grid {
		d, err := e.Decide(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range d.Rules {
			fired[r]++
		}
		if d.Allow {
			fired["(allowed)"]++
		}
		if len(d.Drop) > 0 {
			fired["(dropped)"]++
		}
	}
	for _, want := range []string{"(allowed)", "(dropped)", "unknown_role", "purpose_required", "pci_card_in_free_text",
		"pci_cvv_with_card", "pci_cvv_stored", "pci_cvv_redact", "gdpr_purpose_limitation", "ccpa_sale_opt_out", "hipaa_safe_harbor",
		"consent_email_opt_out", "consent_call_opt_out", "uninspected_body", "uninspected_download", "uninspected_upload"} {
		if fired[want] == 0 {
			t.Errorf("no message of the grid reached %s: %v", want, fired)
		}
	}
}

func TestCacheIgnoreCheckCatchesAReader(t *testing.T) {
	readers := map[string]string{
		"path": `package veil
deny contains {"rule": "lead_path", "message": "x"} if contains(input.path, "Lead")`,
		"principal.id": `package veil
alerts contains {"kind": "vip", "severity": "low"} if endswith(input.principal.id, "@example.com")`,
		"principal.ip": `package veil
deny contains {"rule": "v6", "message": "x"} if contains(input.principal.ip, ":")`,
		"records.id": `package veil
actions contains {"finding": f.id, "action": "drop", "rule": "r"} if {
	some f in input.findings
	some r in input.records
	r.index == f.record
	startswith(r.id, "0035g")
}`,
		"stats.principal_sensitive_values": `package veil
deny contains {"rule": "spike", "message": "m"} if input.stats.principal_sensitive_values > 1000
`,
		"findings.confidence": `package veil
actions contains {"finding": f.id, "action": "hash", "rule": "c"} if {
	some f in input.findings
	f.confidence < 0.5
}`,
	}
	grid := soundnessGrid()[:8]
	for member, module := range readers {
		t.Run(member, func(t *testing.T) {
			e, err := policy.New(context.Background(), policy.Options{FS: everyProfileBundle(t, module), NoCache: true})
			if err != nil {
				t.Fatal(err)
			}
			if bad := ignoreViolations(t, e, grid, []string{member}); len(bad) == 0 {
				t.Errorf("a rule reading %s went unnoticed", member)
			}
		})
	}
}

// With the default bundle the cache answers the same shape for another
// user on another page: what the ignore list is for.
func TestDefaultBundleCacheSpansUsersAndPages(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t)
	first := queryResponse([]string{"sales_rep"}, "support", 5)
	decide(t, e, first)
	other := *first
	other.Principal.ID, other.Principal.IP, other.Path = "u-77", "10.9.9.9", "/services/data/v62.0/query/01gD0000000001-2000"
	other.Records = slices.Clone(first.Records)
	for i := range other.Records {
		other.Records[i].ID = fmt.Sprintf("003%015d", 500+i)
	}
	if _, err := e.Decide(ctx, &other); err != nil {
		t.Fatal(err)
	}
	if s := e.Stats(); s.CacheHits != 1 || s.CacheMisses != 1 {
		t.Errorf("another user's next page was not answered from the cache: %+v", s)
	}
	// A member the bundle reads still makes a new key.
	moved := other
	moved.Records = slices.Clone(other.Records)
	moved.Records[0].Consent = map[string]bool{"email_opt_out": false, "call_opt_out": true}
	if _, err := e.Decide(ctx, &moved); err != nil {
		t.Fatal(err)
	}
	if s := e.Stats(); s.CacheMisses != 2 {
		t.Errorf("a changed consent flag was answered from the cache: %+v", s)
	}
}
