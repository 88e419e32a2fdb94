package policy_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/rules"
)

func newEngine(t testing.TB) *policy.Engine {
	t.Helper()
	e, err := policy.New(context.Background(), policy.Options{FS: rules.FS})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// sfFields are the Salesforce Contact fields of the fixture and the
// category the detectors report for each.
var sfFields = []struct{ field, category string }{
	{"Name", "person_name"},
	{"Email", "email"},
	{"Phone", "phone"},
	{"Birthdate", "date_of_birth"},
	{"SSN__c", "us_ssn"},
	{"Card_Number__c", "credit_card"},
	{"Bank_IBAN__c", "iban"},
}

// queryResponse is a realistic input: a SOQL query response of n Contacts
// with every field above, records 1 and 3 opted out of email, and a card
// number pasted into record 2's Description.
func queryResponse(roles []string, purpose string, n int) *policy.Input {
	in := &policy.Input{
		Direction: "response", Route: "salesforce", Dialect: "salesforce", Method: "GET",
		Path: "/services/data/v62.0/query", Operation: "query", Object: "Contact",
		Principal: policy.Principal{ID: "u-42", Roles: roles, MFA: true, IP: "10.1.2.3"},
		Purpose:   purpose,
		Stats:     map[string]int64{"principal_pii_records_1h": 12},
		Body:      jsonBody,
	}
	for r := range n {
		in.Records = append(in.Records, policy.Record{
			Index: r, Object: "Contact", ID: fmt.Sprintf("003%015d", r),
			Consent: map[string]bool{"email_opt_out": r == 1 || r == 3, "call_opt_out": false},
		})
		for _, f := range sfFields {
			in.Findings = append(in.Findings, finding(len(in.Findings), r, f.field, f.category))
		}
		if r == 2 {
			in.Findings = append(in.Findings, finding(len(in.Findings), r, "Description", "credit_card"))
		}
	}
	return in
}

// jsonBody is the body of the fixtures: JSON the detectors read whole.
var jsonBody = policy.Body{Format: policy.BodyJSON, Inspected: true}

func finding(id, record int, field, category string) policy.Finding {
	return policy.Finding{
		ID: id, Record: record, Field: field, Category: category, Detector: category, Confidence: 0.99,
		Pointer: fmt.Sprintf("/records/%d/%s", record, field),
	}
}

func decide(t *testing.T, e *policy.Engine, in *policy.Input) *policy.Decision {
	t.Helper()
	d, err := e.Decide(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDecideDemoRoles(t *testing.T) {
	e := newEngine(t)
	cases := []struct {
		role string
		want map[string]string // category -> default action
		// emailOptOut is the action for the email of an opted-out record.
		emailOptOut string
	}{
		{"admin", map[string]string{"person_name": "allow", "email": "allow", "phone": "allow", "date_of_birth": "allow", "us_ssn": "allow", "credit_card": "mask", "iban": "allow"}, "allow"},
		{"sales_rep", map[string]string{"person_name": "allow", "email": "allow", "phone": "allow", "date_of_birth": "allow", "us_ssn": "mask", "credit_card": "mask", "iban": "mask"}, "allow"},
		{"support_agent", map[string]string{"person_name": "allow", "email": "allow", "phone": "allow", "date_of_birth": "mask", "us_ssn": "mask", "credit_card": "mask", "iban": "mask"}, "allow"},
		{"marketing", map[string]string{"person_name": "allow", "email": "allow", "phone": "mask", "date_of_birth": "redact", "us_ssn": "redact", "credit_card": "mask", "iban": "redact"}, "redact"},
		{"analyst", map[string]string{"person_name": "mask", "email": "mask", "phone": "mask", "date_of_birth": "redact", "us_ssn": "redact", "credit_card": "mask", "iban": "redact"}, "mask"},
	}
	for _, c := range cases {
		for _, purpose := range []string{"support", "marketing"} {
			t.Run(c.role+"/"+purpose, func(t *testing.T) {
				in := queryResponse([]string{c.role}, purpose, 5)
				d := decide(t, e, in)
				if !d.Allow || len(d.Deny) != 0 {
					t.Fatalf("denied: %+v", d.Deny)
				}
				if !maps.Equal(d.Default, c.want) {
					t.Errorf("default = %v\nwant      %v", d.Default, c.want)
				}
				for _, f := range in.Findings {
					want := c.want[f.Category]
					if f.Category == "email" && in.Records[f.Record].Consent["email_opt_out"] {
						want = c.emailOptOut
					}
					if got := d.ActionFor(f); got != want {
						t.Errorf("%s of record %d: %s, want %s", f.Field, f.Record, got, want)
					}
				}
			})
		}
	}
}

func TestDecideConsentOverridesNameTheRule(t *testing.T) {
	d := decide(t, newEngine(t), queryResponse([]string{"marketing"}, "marketing", 5))
	if len(d.Actions) != 2 {
		t.Fatalf("actions = %+v, want the emails of records 1 and 3", d.Actions)
	}
	for i, a := range d.Actions {
		want := policy.FindingAction{Finding: []int{8, 23}[i], Action: "redact", Rule: "consent_email_opt_out"}
		if a != want {
			t.Errorf("action %d = %+v, want %+v", i, a, want)
		}
	}
}

func TestDecideMultipleRoles(t *testing.T) {
	e := newEngine(t)
	cases := []struct {
		name    string
		roles   []string
		want    map[string]string
		actions int // consent overrides
	}{
		{"most permissive wins", []string{"analyst", "marketing"},
			map[string]string{"person_name": "allow", "email": "allow", "phone": "mask", "date_of_birth": "redact", "us_ssn": "redact", "credit_card": "mask", "iban": "redact"}, 0},
		{"unknown roles are ignored", []string{"ghost", "support_agent"},
			map[string]string{"person_name": "allow", "email": "allow", "phone": "allow", "date_of_birth": "mask", "us_ssn": "mask", "credit_card": "mask", "iban": "mask"}, 0},
		{"consent binds when every known role is bound", []string{"marketing", "ghost"},
			map[string]string{"person_name": "allow", "email": "allow", "phone": "mask", "date_of_birth": "redact", "us_ssn": "redact", "credit_card": "mask", "iban": "redact"}, 2},
		{"admin with another role still never sees a full card", []string{"admin", "sales_rep"},
			map[string]string{"person_name": "allow", "email": "allow", "phone": "allow", "date_of_birth": "allow", "us_ssn": "allow", "credit_card": "mask", "iban": "allow"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := decide(t, e, queryResponse(c.roles, "support", 5))
			if !d.Allow {
				t.Fatalf("denied: %+v", d.Deny)
			}
			if !maps.Equal(d.Default, c.want) {
				t.Errorf("default = %v\nwant      %v", d.Default, c.want)
			}
			if len(d.Actions) != c.actions {
				t.Errorf("actions = %+v, want %d", d.Actions, c.actions)
			}
		})
	}
}

func TestDecideDenies(t *testing.T) {
	e := newEngine(t)
	write := func(roles []string, fields ...string) *policy.Input {
		in := &policy.Input{
			Direction: "request", Route: "salesforce", Dialect: "salesforce", Method: "PATCH",
			Path: "/services/data/v62.0/sobjects/Contact/003A", Operation: "update", Object: "Contact",
			Principal: policy.Principal{ID: "u-7", Roles: roles}, Purpose: "sales",
			Records: []policy.Record{{Index: 0, Object: "Contact", ID: "003A"}},
			Body:    jsonBody,
		}
		for i, f := range fields {
			in.Findings = append(in.Findings, finding(i, 0, f, "credit_card"))
		}
		return in
	}
	cases := []struct {
		name  string
		in    *policy.Input
		rules []string // deny rules; none means allowed
	}{
		{"card into a free-text field", write([]string{"sales_rep"}, "Description"), []string{"pci_card_in_free_text"}},
		{"card into the card field", write([]string{"sales_rep"}, "Card_Number__c"), nil},
		{"card field names are case-insensitive", write([]string{"admin"}, "CARD_NUMBER"), nil},
		{"one stray card is enough", write([]string{"admin"}, "Card_Number__c", "Notes__c"), []string{"pci_card_in_free_text"}},
		{"unknown role on a response", queryResponse([]string{"intern"}, "support", 1), []string{"unknown_role"}},
		{"no roles at all", queryResponse(nil, "support", 1), []string{"unknown_role"}},
		{"unknown role on a request", write([]string{"intern"}), []string{"unknown_role"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := decide(t, e, c.in)
			var got []string
			for _, r := range d.Deny {
				got = append(got, r.Rule)
				if r.Message == "" {
					t.Errorf("%s: no message", r.Rule)
				}
			}
			if strings.Join(got, ",") != strings.Join(c.rules, ",") || d.Allow != (len(c.rules) == 0) {
				t.Fatalf("allow=%v deny=%v, want deny %v", d.Allow, got, c.rules)
			}
			for _, rule := range c.rules {
				if !hasAlert(d, rule) {
					t.Errorf("no %s alert: %+v", rule, d.Alerts)
				}
			}
		})
	}
}

func hasAlert(d *policy.Decision, kind string) bool {
	for _, a := range d.Alerts {
		if a.Kind == kind {
			return true
		}
	}
	return false
}

// The default bundle's IPS limits: a principal past the bulk-export limit
// reads no more personal data; an address past the brute-force limit
// sends no more requests.
func TestDecideBehaviourLimits(t *testing.T) {
	e := newEngine(t)
	for _, c := range []struct {
		records int64
		allow   bool
	}{{0, true}, {19999, true}, {20000, false}, {1 << 40, false}} {
		in := queryResponse([]string{"analyst"}, "analytics", 1)
		in.Stats["principal_pii_records"] = c.records
		d := decide(t, e, in)
		if d.Allow != c.allow || !c.allow && !hasAlert(d, "bulk_export_limit") {
			t.Errorf("%d records: allow %v alerts %v, want allow %v", c.records, d.Allow, d.Alerts, c.allow)
		}
	}
}

// stats_levels rounds the counters down to the bundle's limits: the
// decision cache sees one shape per side of each limit, and the rounding
// never changes a decision. The reference is the same bundle without
// stats_levels, evaluated without the cache, on the exact counts.
func TestStatsLevelsKeepDecisions(t *testing.T) {
	ctx := context.Background()
	rounded := newEngine(t)
	m := defaultBundle(t)
	var doc map[string]any
	if err := json.Unmarshal(m["data.json"].Data, &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc["veil_config"].(map[string]any)["decision_cache"].(map[string]any), "stats_levels")
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	m["data.json"] = &fstest.MapFile{Data: b}
	exact, err := policy.New(ctx, policy.Options{FS: m, NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	values := []int64{0, 1, 99, 100, 101, 19999, 20000, 20001, 1 << 40}
	for _, dir := range []string{"request", "response"} {
		for _, records := range values {
			for _, fails := range values {
				in := func() *policy.Input {
					in := queryResponse([]string{"sales_rep"}, "", 2)
					in.Direction = dir
					in.Stats = map[string]int64{"principal_pii_records": records, "ip_auth_failures": fails, "other": records}
					return in
				}
				r, x := in(), in()
				a, b := decide(t, rounded, r), decide(t, exact, x)
				if a.Allow != b.Allow || !slices.Equal(a.Rules, b.Rules) {
					t.Errorf("%s records=%d fails=%d: rounded %v %v, exact %v %v", dir, records, fails, a.Allow, a.Rules, b.Allow, b.Rules)
				}
				if r.Stats["other"] != records || r.Stats["principal_pii_records"] > records || x.Stats["principal_pii_records"] != records {
					t.Errorf("rounding: %v from %d", r.Stats, records)
				}
			}
		}
	}
	// Below, at and far above the limit: two shapes, two evaluations.
	before := rounded.Stats()
	for _, n := range []int64{5, 6, 7, 20000, 30000, 1 << 40} {
		in := queryResponse([]string{"analyst"}, "analytics", 1)
		in.Stats["principal_pii_records"] = n
		decide(t, rounded, in)
	}
	if s := rounded.Stats(); s.CacheMisses-before.CacheMisses != 2 {
		t.Errorf("cache misses %d over two shapes of counters", s.CacheMisses-before.CacheMisses)
	}
}

func TestDecideIDsAndRevision(t *testing.T) {
	e := newEngine(t)
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	seen := map[string]bool{}
	for range 100 {
		d := decide(t, e, queryResponse([]string{"admin"}, "", 0))
		if !hex32.MatchString(d.ID) || seen[d.ID] {
			t.Fatalf("decision id %q: not fresh 128-bit hex", d.ID)
		}
		seen[d.ID] = true
		if d.Revision != e.Revision() || d.Revision == "" {
			t.Fatalf("revision %q, engine %q", d.Revision, e.Revision())
		}
	}
	if again := newEngine(t); again.Revision() != e.Revision() {
		t.Errorf("the same bundle got revisions %s and %s", e.Revision(), again.Revision())
	}
}

func TestDecideEmptyMessage(t *testing.T) {
	d := decide(t, newEngine(t), &policy.Input{Direction: "response", Principal: policy.Principal{Roles: []string{"analyst"}},
		Body: policy.Body{Format: policy.BodyNone, Inspected: true}})
	if !d.Allow || len(d.Default) != 0 || len(d.Actions) != 0 || d.Deny == nil || d.Drop == nil || d.Alerts == nil {
		t.Fatalf("%+v", d)
	}
}

func TestDecideErrorsFailClosed(t *testing.T) {
	const secret = "jane.doe@example.com" // an input value that must not reach the error
	cases := []struct{ dir, want string }{
		{"conflict", "eval_conflict_error at policy.rego:"},
		{"undefined", "data.veil.decision is undefined"},
		{"builtinerror", "eval_builtin_error at policy.rego:5"},
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			e, err := policy.New(context.Background(), policy.Options{FS: dirFS(t, c.dir)})
			if err != nil {
				t.Fatal(err)
			}
			in := queryResponse([]string{"admin"}, "support", 1)
			in.Principal.ID = secret
			d, err := e.Decide(context.Background(), in)
			if d != nil || !errors.Is(err, policy.ErrEvaluation) {
				t.Fatalf("decision %+v, err %v", d, err)
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), secret) {
				t.Errorf("error %q: want %q and no input value", err, c.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newEngine(t).Decide(ctx, queryResponse([]string{"admin"}, "", 3)); !errors.Is(err, policy.ErrEvaluation) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := newEngine(t).Decide(context.Background(), nil); !errors.Is(err, policy.ErrEvaluation) {
		t.Errorf("nil input: %v", err)
	}
}

// writeBundle writes the default bundle with data.json replaced.
func writeBundle(t *testing.T, dir, data string) {
	t.Helper()
	files := map[string]string{"data.json": data}
	modules, err := fs.Glob(rules.FS, "*.rego")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range modules {
		if strings.HasSuffix(name, "_test.rego") {
			continue
		}
		b, err := rules.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = string(b)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// withAnalystEmail is data.json with the analyst's email action replaced.
func withAnalystEmail(t *testing.T, data []byte, action string) string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	matrix := doc["veil_config"].(map[string]any)["matrix"].(map[string]any)
	row := matrix["response"].(map[string]any)["analyst"].(map[string]any)["*"].(map[string]any)
	row["email"] = action
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReload(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	orig, err := rules.FS.ReadFile("data.json")
	if err != nil {
		t.Fatal(err)
	}
	writeBundle(t, dir, string(orig))
	e, err := policy.New(ctx, policy.Options{FS: os.DirFS(dir)})
	if err != nil {
		t.Fatal(err)
	}
	rev1 := e.Revision()
	analystEmail := func() string {
		return decide(t, e, queryResponse([]string{"analyst"}, "analytics", 1)).Default["email"]
	}
	if got := analystEmail(); got != "mask" {
		t.Fatalf("analyst email %s", got)
	}

	// A broken bundle is refused and the old one keeps serving.
	if err := os.WriteFile(filepath.Join(dir, "broken.rego"), []byte("package veil\n\nx := {\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.Reload(ctx); err == nil || !strings.Contains(err.Error(), "broken.rego:") {
		t.Fatalf("reload of a broken bundle: %v", err)
	}
	if e.Revision() != rev1 || analystEmail() != "mask" {
		t.Fatal("a failed reload changed the serving bundle")
	}

	// A fixed bundle with new data is swapped in.
	if err := os.Remove(filepath.Join(dir, "broken.rego")); err != nil {
		t.Fatal(err)
	}
	writeBundle(t, dir, withAnalystEmail(t, orig, "redact"))
	if err := e.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if e.Revision() == rev1 {
		t.Error("revision unchanged after a data change")
	}
	if got := analystEmail(); got != "redact" {
		t.Errorf("after reload, analyst email %s, want redact", got)
	}
}

// TestConcurrentDecideAndReload is for -race: decisions keep flowing while
// the bundle is swapped.
func TestConcurrentDecideAndReload(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				d, err := e.Decide(ctx, queryResponse([]string{"sales_rep"}, "sales", 3))
				if err != nil || d.Default["us_ssn"] != "mask" {
					t.Errorf("decision %+v, err %v", d, err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 5 {
			if err := e.Reload(ctx); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
}
