package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy/forward/ca"
)

func TestCAInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "veil-ca")
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"ca", "init", "--out", dir}, &out, &errb); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	cert, key := filepath.Join(dir, ca.CertFile), filepath.Join(dir, ca.KeyFile)
	for _, want := range []string{cert, key, "--cacert " + cert, "NODE_EXTRA_CA_CERTS=" + cert, "update-ca-certificates", "signs only for salesforce.com, force.com, hubapi.com, hubspot.com"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key: %v %v", fi.Mode(), err)
	}
	c, err := ca.Load(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Permits("api.hubapi.com") || c.Permits("example.org") {
		t.Error("default name constraints")
	}

	// A second init refuses to replace the CA clients trust.
	out.Reset()
	err = run(context.Background(), []string{"ca", "init", "--out", dir}, &out, &errb)
	var ie inputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second init: %v", err)
	}
	if err := run(context.Background(), []string{"ca", "init", "--out", dir, "--force", "--any-host", "--days", "30"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if c, err := ca.Load(cert, key); err != nil || !c.Permits("example.org") {
		t.Fatalf("--any-host: %v", err)
	}
}

func TestCAInitUsage(t *testing.T) {
	var out, errb bytes.Buffer
	for _, args := range [][]string{{"ca"}, {"ca", "init"}, {"ca", "bogus"}} {
		if err := run(context.Background(), args, &out, &errb); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v", args, err)
		}
	}
	err := run(context.Background(), []string{"ca", "init", "--out", t.TempDir(), "--permit", ""}, &out, &errb)
	if !errors.As(err, new(inputError)) {
		t.Errorf("empty --permit: %v", err)
	}
}

// TestServeCheckForward: a config with a forward section written as the
// README shows it, with a CA from veil ca init, passes serve --check.
func TestServeCheckForward(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"ca", "init", "--out", dir}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "veil.yaml")
	writeFile(t, cfg, `
identity:
  principals: [{id: a, token: t, roles: [admin]}]
routes:
  - {name: salesforce, dialect: salesforce, prefix: /services/, upstream: "https://example.my.salesforce.com"}
  - {name: hubspot, dialect: hubspot, prefix: /crm/, upstream: "https://api.hubapi.com"}
forward:
  listen: 127.0.0.1:3128
  ca_cert: `+filepath.Join(dir, "ca.crt")+`
  ca_key: `+filepath.Join(dir, "ca.key")+`
  mitm:
    - {host: "*.my.salesforce.com", route: salesforce}
    - {host: api.hubapi.com, route: hubspot}
  egress:
    allow: ["*.googleapis.com"]
    otherwise: refuse
  websocket: false
  leaf_cache: 1024
`)
	out.Reset()
	if err := run(context.Background(), []string{"serve", "-c", cfg, "--check"}, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), ": ok (") {
		t.Fatalf("output %q", out.String())
	}
	// A host the CA may not sign for is caught by --check, not at the first CONNECT.
	writeFile(t, cfg, strings.Replace(readFile(t, cfg), "api.hubapi.com, route", "crm.example.org, route", 1))
	err := run(context.Background(), []string{"serve", "-c", cfg, "--check"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "name constraints") {
		t.Fatalf("a host outside the CA: %v", err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
