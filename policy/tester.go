package policy

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestResult is the outcome of one Rego test rule.
type TestResult struct {
	Package  string // e.g. data.veil_test
	Name     string // e.g. test_admin_sees_ssn
	Pass     bool
	Skip     bool   // a todo_test_ rule: neither pass nor failure
	Fail     string // why it failed: location, error and print output; empty on pass
	Duration time.Duration
}

// RunTests runs the bundle's *_test.rego files with OPA's tester, against the
// bundle's data and under the same capabilities as the engine (a test that
// calls http.send fails to compile, as the policy would). Results are sorted
// by package and name. A bundle that does not compile is an error.
func RunTests(ctx context.Context, fsys fs.FS) ([]TestResult, error) {
	res, modules, c, err := newCompiler(fsys, true)
	if err != nil {
		return nil, fmt.Errorf("load policy bundle: %w", err)
	}
	c = c.WithEnablePrintStatements(true)
	ch, err := tester.NewRunner().
		SetCompiler(c).
		SetStore(newStore(res)).
		SetDefaultRegoVersion(ast.RegoV1).
		RaiseBuiltinErrors(true).
		CapturePrintOutput(true).
		SetModules(modules).
		RunTests(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("compile policy tests: %w", err)
	}
	var out []TestResult
	for r := range ch {
		out = append(out, testResult(r))
	}
	slices.SortFunc(out, func(a, b TestResult) int {
		return cmp.Or(strings.Compare(a.Package, b.Package), strings.Compare(a.Name, b.Name))
	})
	return out, nil
}

func testResult(r *tester.Result) TestResult {
	t := TestResult{
		Package:  r.Package,
		Name:     r.Name,
		Pass:     r.Pass(),
		Skip:     r.Skip,
		Duration: r.Duration,
	}
	if t.Pass || t.Skip {
		return t
	}
	var b strings.Builder
	if r.Location != nil {
		fmt.Fprintf(&b, "%s: ", r.Location)
	}
	if r.Error != nil {
		fmt.Fprintf(&b, "error: %v", r.Error)
	} else {
		b.WriteString("fail")
	}
	if len(r.Output) > 0 {
		fmt.Fprintf(&b, "\n%s", strings.TrimRight(string(r.Output), "\n"))
	}
	t.Fail = b.String()
	return t
}
