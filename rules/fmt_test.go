package rules_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
)

// TestRegoFmt keeps every .rego file of the bundle (tests included) as
// `opa fmt` writes it, without the opa binary: the file must equal what
// OPA's formatter makes of it for Rego v1.
func TestRegoFmt(t *testing.T) {
	files, err := filepath.Glob("*.rego")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no .rego file in the bundle directory")
	}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		want, err := format.SourceWithOpts(name, src, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if string(want) != string(src) {
			line, got, fmtd := firstDiff(string(src), string(want))
			t.Errorf("%s is not opa fmt clean (run `opa fmt -w rules/`, or format.SourceWithOpts with RegoV1); first difference at line %d:\n  file:      %q\n  formatted: %q",
				name, line, got, fmtd)
		}
	}
}

// firstDiff returns the 1-based number of the first line where a and b
// differ, and that line in each ("" past the end).
func firstDiff(a, b string) (int, string, string) {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y || i >= len(al) || i >= len(bl) {
			return i + 1, x, y
		}
	}
	return 0, "", ""
}
