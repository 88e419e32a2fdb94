package policy_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/rules"
)

func dirFS(t testing.TB, name string) fstest.MapFS {
	t.Helper()
	dir := filepath.Join("testdata", name)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := fstest.MapFS{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = &fstest.MapFile{Data: b}
	}
	return m
}

func TestNewRejectsBrokenBundles(t *testing.T) {
	cases := []struct {
		dir  string
		want []string // substrings of the error
	}{
		{"syntax", []string{"policy.rego:7", "rego_parse_error"}},
		{"httpsend", []string{"policy.rego:5", "http.send"}},
		{"nodecision", []string{"data.veil.decision"}},
		{"veildata", []string{"veil_config"}},
		{"failing", []string{"no .rego module"}}, // tests only: no policy
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			_, err := policy.New(context.Background(), policy.Options{FS: dirFS(t, c.dir)})
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if _, err := policy.New(context.Background(), policy.Options{FS: fstest.MapFS{}}); err == nil {
		t.Error("an empty bundle loaded")
	}
	if _, err := policy.New(context.Background(), policy.Options{}); err == nil {
		t.Error("a nil FS loaded")
	}
}

// defaultBundle is a copy of the default bundle's files, to change.
func defaultBundle(t testing.TB) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	entries, err := rules.FS.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := rules.FS.ReadFile(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = &fstest.MapFile{Data: b}
	}
	return m
}

// withModule is the default bundle plus one more module.
func withModule(t *testing.T, name, src string) fstest.MapFS {
	t.Helper()
	m := defaultBundle(t)
	m[name] = &fstest.MapFile{Data: []byte(src)}
	return m
}

// The input schema makes a misspelt input reference a load error instead
// of a rule that silently never fires.
func TestInputSchemaCatchesTypos(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"unknown member", "package veil\n\ntypo if \"admin\" in input.principal.rolez\n", "typo.rego:3"},
		{"wrong type", "package veil\n\ntypo if input.truncated == \"yes\"\n", "typo.rego:3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := withModule(t, "typo.rego", c.src)
			_, err := policy.New(context.Background(), policy.Options{FS: fsys})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "rego_type_error") {
				t.Errorf("New: %v, want a type error at %s", err, c.want)
			}
			if _, err := policy.RunTests(context.Background(), fsys); err == nil {
				t.Error("RunTests compiled it")
			}
		})
	}
	ok := withModule(t, "extra.rego", "package veil\n\nfine if \"admin\" in input.principal.roles\n")
	if _, err := policy.New(context.Background(), policy.Options{FS: ok}); err != nil {
		t.Errorf("a correct reference was refused: %v", err)
	}
}
