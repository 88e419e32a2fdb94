package policy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/rules"
)

// TestRegoBundle is how `go test` runs the default bundle's *_test.rego.
func TestRegoBundle(t *testing.T) {
	results, err := policy.RunTests(context.Background(), rules.FS)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) < 20 {
		t.Fatalf("ran %d Rego tests, want the whole suite (at least 20)", len(results))
	}
	t.Logf("%d Rego tests", len(results))
	for _, r := range results {
		switch {
		case r.Skip:
			t.Logf("SKIP %s.%s", r.Package, r.Name)
		case !r.Pass:
			t.Errorf("FAIL %s.%s: %s", r.Package, r.Name, r.Fail)
		}
	}
}

// TestRegoFormatted keeps the bundle `opa fmt`-clean without the opa binary.
func TestRunTestsReportsFailures(t *testing.T) {
	results, err := policy.RunTests(context.Background(), dirFS(t, "failing"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]policy.TestResult{}
	for _, r := range results {
		got[r.Name] = r
	}
	cases := []struct {
		name       string
		pass, skip bool
		fail       string
	}{
		{name: "test_passes", pass: true},
		{name: "test_fails", fail: "failing_test.rego:"},
		{name: "test_errors", fail: "error:"},
		{name: "todo_test_later", skip: true},
	}
	if len(got) != len(cases) {
		t.Errorf("got %d results, want %d: %+v", len(got), len(cases), results)
	}
	for _, c := range cases {
		r, ok := got[c.name]
		if !ok {
			t.Errorf("%s: no result", c.name)
			continue
		}
		if r.Pass != c.pass || r.Skip != c.skip || !strings.Contains(r.Fail, c.fail) || (c.fail == "") != (r.Fail == "") {
			t.Errorf("%s: pass=%v skip=%v fail=%q, want pass=%v skip=%v fail containing %q", c.name, r.Pass, r.Skip, r.Fail, c.pass, c.skip, c.fail)
		}
		if r.Package != "data.failing_test" {
			t.Errorf("%s: package %q", c.name, r.Package)
		}
	}
}

func TestRunTestsRejectsBrokenBundles(t *testing.T) {
	for _, dir := range []string{"syntax", "httpsend"} {
		t.Run(dir, func(t *testing.T) {
			if _, err := policy.RunTests(context.Background(), dirFS(t, dir)); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
