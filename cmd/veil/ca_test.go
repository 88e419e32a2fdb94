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
