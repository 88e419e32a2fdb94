package rules_test

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/rules"
)

// The input has three descriptions that must agree: policy.Input (what
// Veil sends), input.schema.json (what the compiler type-checks the
// bundle against) and README.md (what a security team reads). These
// tests hold them together, and the hand-written inputs of
// testdata/policy (veil policy eval) to all three.

func inputSchema(t *testing.T) map[string]any {
	t.Helper()
	b, err := rules.FS.ReadFile("input.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// matchSchema validates doc against the input schema with OPA's
// json.match_schema, and returns the errors (none when it matches).
func matchSchema(t *testing.T, schema map[string]any, doc any) []any {
	t.Helper()
	rs, err := rego.New(
		rego.Query("r := json.match_schema(input.doc, input.schema)"),
		rego.Input(map[string]any{"doc": doc, "schema": schema}),
	).Eval(context.Background())
	if err != nil || len(rs) != 1 {
		t.Fatalf("json.match_schema: %v %v", rs, err)
	}
	r := rs[0].Bindings["r"].([]any)
	if r[0] == true {
		return nil
	}
	errs, _ := r[1].([]any)
	if len(errs) == 0 {
		errs = []any{"no match"}
	}
	return errs
}

// asJSON is v as a generic JSON document.
func asJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// decodeStrict decodes an input the way `veil policy eval` does: a
// member policy.Input does not have is an error.
func decodeStrict(t *testing.T, raw []byte) *policy.Input {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var in policy.Input
	if err := dec.Decode(&in); err != nil {
		t.Fatalf("not a policy.Input: %v", err)
	}
	return &in
}

// fullInput sets every member of policy.Input, omitempty ones included.
func fullInput() *policy.Input {
	return &policy.Input{
		Direction: "response", Route: "salesforce", Dialect: "salesforce", Method: "GET",
		Path: "/services/data/v62.0/sobjects/ContentVersion/068A/VersionData", Operation: "retrieve", Object: "ContentVersion",
		Principal: policy.Principal{ID: "u-1", Roles: []string{"sales_rep"}, MFA: true, IP: "10.0.0.1"},
		Purpose:   "support",
		Records:   []policy.Record{{Index: 0, Object: "Contact", ID: "003A", Pointer: "/records/0", Consent: map[string]bool{"email_opt_out": true}}},
		Findings: []policy.Finding{{ID: 0, Record: 0, In: "body", Pointer: "/records/0/Email", Field: "Email",
			Category: "veil_token", Detector: "veil_token", Confidence: 0.9, TokenCategory: "email"}},
		Stats:      map[string]int64{"principal_pii_records": 3},
		Truncated:  true,
		Body:       policy.Body{Format: policy.BodyBinary, Reason: policy.ReasonBinaryContent, Download: true},
		Predicates: []policy.Predicate{{Object: "Contact", Field: "SSN__c", Clause: "where", Op: "like", Categories: []string{"us_ssn"}}},
	}
}

// sameMembers walks doc and its schema together and reports every object
// whose members are not exactly the schema's properties.
func sameMembers(t *testing.T, at string, doc any, schema map[string]any) {
	t.Helper()
	switch d := doc.(type) {
	case map[string]any:
		props, ok := schema["properties"].(map[string]any)
		if !ok {
			return // a map (consent, stats): its keys are data
		}
		have, want := slices.Sorted(maps.Keys(d)), slices.Sorted(maps.Keys(props))
		if !slices.Equal(have, want) {
			t.Errorf("%s: policy.Input has %v, the schema %v", at, have, want)
		}
		for k, v := range d {
			if p, ok := props[k].(map[string]any); ok {
				sameMembers(t, at+"."+k, v, p)
			}
		}
	case []any:
		items, _ := schema["items"].(map[string]any)
		for _, v := range d {
			sameMembers(t, at+"[]", v, items)
		}
	}
}

func TestInputSchemaDescribesInput(t *testing.T) {
	schema := inputSchema(t)
	full := asJSON(t, fullInput())
	sameMembers(t, "input", full, schema)
	if errs := matchSchema(t, schema, full); errs != nil {
		t.Errorf("a full policy.Input does not match the schema: %v", errs)
	}
	// Every member policy.Input always sends is required.
	var required []string
	for _, r := range schema["required"].([]any) {
		required = append(required, r.(string))
	}
	zero := asJSON(t, &policy.Input{}).(map[string]any)
	if have := slices.Sorted(maps.Keys(zero)); !slices.Equal(have, slices.Sorted(slices.Values(required))) {
		t.Errorf("policy.Input always sends %v, the schema requires %v", have, required)
	}
	body := schema["properties"].(map[string]any)["body"].(map[string]any)
	if got := body["required"]; !slices.Equal(asStrings(got), []string{"format", "inspected"}) {
		t.Errorf("body requires %v", got)
	}
	// body is required, and so are its format and inspected.
	for name, change := range map[string]func(m map[string]any){
		"no body":          func(m map[string]any) { delete(m, "body") },
		"no inspected":     func(m map[string]any) { delete(m["body"].(map[string]any), "inspected") },
		"no format":        func(m map[string]any) { delete(m["body"].(map[string]any), "format") },
		"unknown format":   func(m map[string]any) { m["body"].(map[string]any)["format"] = "pdf" },
		"unknown reason":   func(m map[string]any) { m["body"].(map[string]any)["reason"] = "lazy" },
		"unknown member":   func(m map[string]any) { m["body"].(map[string]any)["size"] = 3 },
		"inspected string": func(m map[string]any) { m["body"].(map[string]any)["inspected"] = "true" },
	} {
		doc := asJSON(t, fullInput()).(map[string]any)
		change(doc)
		if matchSchema(t, schema, doc) == nil {
			t.Errorf("%s: matches the schema", name)
		}
	}
}

func asStrings(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, s := range l {
		str, _ := s.(string)
		out = append(out, str)
	}
	return out
}

// The input example of README.md's Input section is a valid input.
func TestReadmeInputExample(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Input\n")
	if !ok {
		t.Fatal("README.md has no Input section")
	}
	_, block, ok := strings.Cut(section, "```json\n")
	if !ok {
		t.Fatal("the Input section has no json example")
	}
	block, _, _ = strings.Cut(block, "```")
	block = strings.ReplaceAll(block, "…", "") // "003…": an elided id
	var doc any
	if err := json.Unmarshal([]byte(block), &doc); err != nil {
		t.Fatalf("the example is not JSON: %v\n%s", err, block)
	}
	if errs := matchSchema(t, inputSchema(t), doc); errs != nil {
		t.Errorf("the example does not match input.schema.json: %v", errs)
	}
	decodeStrict(t, []byte(block))
}

// testdata/policy holds inputs for `veil policy eval`: each matches the
// schema, decodes strictly and is allowed by the default bundle.
func TestPolicyTestdataInputs(t *testing.T) {
	files, err := filepath.Glob("../testdata/policy/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no testdata/policy inputs")
	}
	schema := inputSchema(t)
	e, err := policy.New(context.Background(), policy.Options{FS: rules.FS, Recent: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			raw, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			if errs := matchSchema(t, schema, doc); errs != nil {
				t.Errorf("does not match input.schema.json: %v", errs)
			}
			d, err := e.Decide(context.Background(), decodeStrict(t, raw))
			if err != nil {
				t.Fatal(err)
			}
			if !d.Allow {
				t.Errorf("denied: %+v", d.Deny)
			}
		})
	}
}
