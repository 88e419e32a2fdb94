package policy

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

func TestDecodeDecision(t *testing.T) {
	v := ast.MustParseTerm(`{
		"allow": true,
		"deny": [],
		"actions": {{"finding": 9, "action": "redact", "rule": "consent_email_opt_out"}, {"finding": 2, "action": "mask"}, {"finding": 9, "action": "mask"}},
		"default": {"email": "allow", "credit_card": "mask"},
		"drop": {"/records/1/Birthdate", "/records/0/Birthdate"},
		"alerts": [{"kind": "bulk_export", "severity": "high", "message": "many records"}],
		"rules": {"consent_email_opt_out", "pci_pan_last4"}
	}`).Value
	d, err := decodeDecision(v)
	if err != nil {
		t.Fatal(err)
	}
	want := &Decision{
		Allow: true,
		Deny:  []Reason{},
		Actions: []FindingAction{
			{Finding: 2, Action: "mask"},
			{Finding: 9, Action: "mask"},
			{Finding: 9, Action: "redact", Rule: "consent_email_opt_out"},
		},
		Default: map[string]string{"email": "allow", "credit_card": "mask"},
		Drop:    []string{"/records/0/Birthdate", "/records/1/Birthdate"},
		Alerts:  []Alert{{Kind: "bulk_export", Severity: "high", Message: "many records"}},
		Rules:   []string{"consent_email_opt_out", "pci_pan_last4"},
	}
	d.byFinding = nil
	if !reflect.DeepEqual(d, want) {
		t.Errorf("got  %+v\nwant %+v", d, want)
	}
}

func TestDecodeDenyForcesAllowFalse(t *testing.T) {
	d, err := decodeDecision(ast.MustParseTerm(`{"allow": true, "deny": {{"rule": "r"}}}`).Value)
	if err != nil {
		t.Fatal(err)
	}
	if d.Allow || len(d.Deny) != 1 || d.Deny[0].Rule != "r" {
		t.Errorf("%+v", d)
	}
}

func TestDecodeDecisionRejectsMalformed(t *testing.T) {
	cases := []struct{ name, output, want string }{
		{"not an object", `[true]`, "want an object"},
		{"allow missing", `{"default": {}}`, "allow: is missing"},
		{"allow not boolean", `{"allow": "yes"}`, "allow: is a string"},
		{"unknown key", `{"allow": true, "alow": false}`, `unknown key "alow"`},
		{"non-string key", `{"allow": true, 1: 2}`, "non-string key"},
		{"unknown default action", `{"allow": true, "default": {"email": "maks"}}`, `unknown action "maks" for category "email"`},
		{"default action not a string", `{"allow": true, "default": {"email": 1}}`, "want a string"},
		{"default not an object", `{"allow": true, "default": ["email"]}`, "default: is an array"},
		{"unknown finding action", `{"allow": true, "actions": [{"finding": 1, "action": "shred"}]}`, `unknown action "shred"`},
		{"finding not an integer", `{"allow": true, "actions": [{"finding": 1.5, "action": "mask"}]}`, "not an integer"},
		{"finding missing", `{"allow": true, "actions": [{"action": "mask"}]}`, `lacks "finding"`},
		{"action element not an object", `{"allow": true, "actions": ["mask"]}`, "element 0 is a string"},
		{"actions not a list", `{"allow": true, "actions": {"finding": 1}}`, "want an array or set"},
		{"unknown action key", `{"allow": true, "actions": [{"finding": 1, "action": "mask", "why": "x"}]}`, `unknown key "why"`},
		{"deny without rule", `{"allow": false, "deny": [{"message": "m"}]}`, `lacks "rule"`},
		{"deny with empty rule", `{"allow": false, "deny": [{"rule": ""}]}`, "empty rule"},
		{"deny rule not a string", `{"allow": false, "deny": [{"rule": 7}]}`, "rule is a number"},
		{"drop not a pointer", `{"allow": true, "drop": ["records/0"]}`, "not a JSON pointer"},
		{"drop of the root", `{"allow": true, "drop": [""]}`, "not a JSON pointer"},
		{"drop not a string", `{"allow": true, "drop": [1]}`, "element 0 is a number"},
		{"alert severity unknown", `{"allow": true, "alerts": [{"kind": "k", "severity": "urgent"}]}`, `unknown severity "urgent"`},
		{"alert without kind", `{"allow": true, "alerts": [{"severity": "low"}]}`, `lacks "kind"`},
		{"alert with empty kind", `{"allow": true, "alerts": [{"kind": "", "severity": "low"}]}`, "empty kind"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := decodeDecision(ast.MustParseTerm(c.output).Value)
			var de *decodeError
			if d != nil || !errors.As(err, &de) {
				t.Fatalf("decision %+v, err %v", d, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q lacks %q", err, c.want)
			}
		})
	}
}

func TestActionFor(t *testing.T) {
	decoded, err := decodeDecision(ast.MustParseTerm(`{"allow": true,
		"actions": [{"finding": 1, "action": "redact"}, {"finding": 1, "action": "mask"}, {"finding": 2, "action": "allow"}],
		"default": {"email": "mask", "phone": "allow"}}`).Value)
	if err != nil {
		t.Fatal(err)
	}
	handBuilt := &Decision{
		Actions: []FindingAction{{Finding: 1, Action: "mask"}, {Finding: 1, Action: "redact"}, {Finding: 2, Action: "allow"}},
		Default: map[string]string{"email": "mask", "phone": "allow"},
	}
	cases := []struct {
		name string
		f    Finding
		want string
	}{
		{"override, the stricter of two", Finding{ID: 1, Category: "phone"}, "redact"},
		{"override may allow", Finding{ID: 2, Category: "email"}, "allow"},
		{"category default", Finding{ID: 3, Category: "email"}, "mask"},
		{"unknown category fails closed", Finding{ID: 4, Category: "passport"}, "redact"},
	}
	for name, d := range map[string]*Decision{"decoded": decoded, "hand-built": handBuilt, "empty": {}} {
		for _, c := range cases {
			want := c.want
			if name == "empty" {
				want = "redact"
			}
			if got := d.ActionFor(c.f); got != want {
				t.Errorf("%s/%s: %s, want %s", name, c.name, got, want)
			}
		}
	}
	// AppendActions, which remembers each category's default, answers as
	// ActionFor does finding by finding: overrides among findings of a
	// remembered category, and past the categories it remembers.
	cats := []string{"email", "phone", "passport", "person_name", "iban", "us_ssn", "credit_card", "ip_address", "uk_nhs", "br_cpf", "secret", "email"}
	for _, c := range cats[:10] {
		decoded.Default[c] = ActionHash
	}
	decoded.Default["phone"], decoded.Default["br_cpf"] = ActionAllow, ActionMask
	var finds []Finding
	for id := range 60 {
		finds = append(finds, Finding{ID: id % 5, Category: cats[id%len(cats)]})
	}
	for name, d := range map[string]*Decision{"decoded": decoded, "hand-built": handBuilt, "empty": {}} {
		got := d.AppendActions([]string{"before"}, finds)
		if len(got) != len(finds)+1 || got[0] != "before" {
			t.Fatalf("%s: AppendActions gave %d actions after %q, want %d after \"before\"", name, len(got)-1, got[0], len(finds))
		}
		for i, f := range finds {
			if want := d.ActionFor(f); got[i+1] != want {
				t.Errorf("%s: finding %d (%d, %s): AppendActions says %s, ActionFor %s", name, i, f.ID, f.Category, got[i+1], want)
			}
		}
	}
}

func TestStricterTreatsUnknownAsMostRestrictive(t *testing.T) {
	if !stricter("bogus", ActionBlock) || stricter(ActionBlock, "bogus") || !stricter(ActionRedact, ActionMask) {
		t.Error("order broken")
	}
	for a := range actionRank {
		if !KnownAction(a) {
			t.Errorf("%s unknown", a)
		}
	}
	if KnownAction("") || KnownAction("Allow") {
		t.Error("KnownAction too lenient")
	}
}
