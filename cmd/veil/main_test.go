package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy"
)

func TestServeCheck(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"serve", "-c", "../../testdata/config/invalid.yaml", "--check"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "15 problems") {
		t.Fatalf("invalid config: err = %v", err)
	}
	out.Reset()
	// example.yaml names its rules relative to itself: it checks from any
	// directory (here cmd/veil, and /), as `veil serve` would run it.
	example, err := filepath.Abs("../../testdata/config/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{".", "/"} {
		out.Reset()
		t.Chdir(dir)
		if err := run(context.Background(), []string{"serve", "-c", example, "--check"}, &out, &errb); err != nil || !strings.Contains(out.String(), ": ok (") {
			t.Fatalf("from %s: %v %q", dir, err, out.String())
		}
	}
}

func TestServeCheckValid(t *testing.T) {
	cfg := t.TempDir() + "/veil.yaml"
	writeFile(t, cfg, `
identity:
  principals: [{id: a, token: t, roles: [admin]}]
routes:
  - {name: sf, dialect: salesforce, prefix: /services/, upstream: "https://example.my.salesforce.com"}
`)
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"serve", "-c", cfg, "--check"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), ": ok (1 routes, 1 principals, policy revision ") {
		t.Fatalf("output %q", out.String())
	}
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"bogus"}, &out, &errb); !errors.Is(err, errUsage) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(errb.String(), "serve") || !strings.Contains(errb.String(), "demo") {
		t.Fatalf("usage: %s", errb.String())
	}
	if err := run(context.Background(), []string{"serve"}, &out, &errb); !errors.Is(err, errUsage) {
		t.Fatalf("serve without -c: %v", err)
	}
	if err := run(context.Background(), []string{"demo", "-h"}, &out, &errb); !errors.Is(err, errHelp) {
		t.Fatalf("demo -h: %v", err)
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestVersion: veil version and veil --version print the version make
// build stamps into proxy.Version.
func TestVersion(t *testing.T) {
	old := proxy.Version
	proxy.Version = "v1.2.3-test"
	t.Cleanup(func() { proxy.Version = old })
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		var out, errb bytes.Buffer
		if err := run(context.Background(), args, &out, &errb); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if out.String() != "veil v1.2.3-test\n" || errb.Len() != 0 {
			t.Errorf("%v: stdout %q, stderr %q", args, out.String(), errb.String())
		}
	}
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"version", "extra"}, &out, &errb); !errors.Is(err, errUsage) {
		t.Errorf("version with an argument: %v", err)
	}
}

// TestVersionStamped: the binary make build makes reports the version its
// -ldflags set.
func TestVersionStamped(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	bin := filepath.Join(t.TempDir(), "veil")
	build := exec.Command(goBin, "build", "-ldflags", "-X github.com/veil-proxy/veil/proxy.Version=v9.8.7-stamped", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, arg := range []string{"--version", "version"} {
		out, err := exec.Command(bin, arg).CombinedOutput()
		if err != nil || string(out) != "veil v9.8.7-stamped\n" {
			t.Errorf("veil %s: %v %q", arg, err, out)
		}
	}
}
