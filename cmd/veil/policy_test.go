package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestPolicyTest(t *testing.T) {
	ctx := context.Background()
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"policy", "test"}, &out, &errb); err != nil {
		t.Fatalf("built-in bundle: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "built-in bundle: ") || !strings.Contains(out.String(), " 0 failed") {
		t.Errorf("output: %s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"policy", "test", "-v", "../../rules"}, &out, &errb); err != nil || !strings.Contains(out.String(), "PASS data.veil_test.") {
		t.Errorf("-v on the rules directory: %v\n%s", err, out.String())
	}
	out.Reset()
	err := run(ctx, []string{"policy", "test", "../../policy/testdata/failing"}, &out, &errb)
	if !errors.Is(err, errFailed) || !strings.Contains(out.String(), "FAIL data.") || !strings.Contains(out.String(), "2 failed") {
		t.Errorf("failing bundle: %v\n%s", err, out.String())
	}
	if err := run(ctx, []string{"policy", "test", "/nonexistent"}, &out, &errb); !errors.As(err, new(inputError)) {
		t.Errorf("missing directory: %v", err)
	}
	if err := run(ctx, []string{"policy", "test", "../../policy/testdata/syntax"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "policy.rego") {
		t.Errorf("broken bundle: %v", err)
	}
	if err := run(ctx, []string{"policy"}, &out, &errb); !errors.Is(err, errUsage) {
		t.Errorf("no verb: %v", err)
	}
}

func TestPolicyEval(t *testing.T) {
	ctx := context.Background()
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"policy", "eval", "--input", "../../testdata/policy/sales_rep_query.json"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var d struct {
		ID      string            `json:"decision_id"`
		Allow   *bool             `json:"allow"`
		Default map[string]string `json:"default"`
		Rules   []string          `json:"rules"`
	}
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if len(d.ID) != 32 || d.Allow == nil || !*d.Allow || d.Default["us_ssn"] != "mask" || d.Default["credit_card"] != "mask" {
		t.Errorf("decision: %s", out.String())
	}
	dir := t.TempDir()
	bad := dir + "/in.json"
	writeFile(t, bad, `{"direction": "response", "principle": {"roles": ["admin"]}}`)
	if err := run(ctx, []string{"policy", "eval", "--input", bad}, &out, &errb); !errors.As(err, new(inputError)) || !strings.Contains(err.Error(), "principle") {
		t.Errorf("misspelt member: %v", err)
	}
	if err := run(ctx, []string{"policy", "eval"}, &out, &errb); !errors.Is(err, errUsage) {
		t.Errorf("no --input: %v", err)
	}
	if err := run(ctx, []string{"policy", "eval", "--input", "../../testdata/policy/sales_rep_query.json", "--rules", "../../policy/testdata/syntax"}, &out, &errb); err == nil {
		t.Error("a broken bundle evaluated")
	}
}
