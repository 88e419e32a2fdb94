package policy_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/rules"
)

// bundleWith is a tiny bundle: the given module and data.json.
func bundleWith(module, data string) fstest.MapFS {
	m := fstest.MapFS{"policy.rego": {Data: []byte(module)}}
	if data != "" {
		m["data.json"] = &fstest.MapFile{Data: []byte(data)}
	}
	return m
}

const echoPolicy = `package veil

decision := {"allow": true, "default": {c: "mask" | some f in input.findings; c := f.category}, "rules": {"echo"}}
`

func TestDecisionCache(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t)
	in := queryResponse([]string{"sales_rep"}, "support", 5)
	first := decide(t, e, in)
	second := decide(t, e, in)
	if s := e.Stats(); s.CacheMisses != 1 || s.CacheHits != 1 {
		t.Fatalf("stats after the same input twice: %+v", s)
	}
	if first.ID == second.ID {
		t.Error("a cached decision reused the decision id")
	}
	a, b := *first, *second
	a.ID, b.ID = "", ""
	if !reflect.DeepEqual(a, b) {
		t.Errorf("cached decision differs:\n%+v\n%+v", a, b)
	}
	// Another shape is evaluated.
	other := queryResponse([]string{"marketing"}, "support", 5)
	if d := decide(t, e, other); d.Default["us_ssn"] == first.Default["us_ssn"] && reflect.DeepEqual(d.Default, first.Default) {
		t.Error("another role got the cached answer")
	}
	if s := e.Stats(); s.CacheMisses != 2 {
		t.Errorf("a new shape was not evaluated: %+v", s)
	}
	_ = ctx
}

func TestDecisionCacheIgnoresWhatTheBundleSays(t *testing.T) {
	ctx := context.Background()
	e, err := policy.New(ctx, policy.Options{FS: bundleWith(echoPolicy,
		`{"veil_config": {"decision_cache": {"size": 8, "ignore": ["principal.id", "records.id"]}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	in := queryResponse([]string{"sales_rep"}, "support", 2)
	decide(t, e, in)
	in2 := queryResponse([]string{"sales_rep"}, "support", 2)
	in2.Principal.ID = "u-43"
	in2.Records[0].ID = "003000000000000999"
	decide(t, e, in2)
	if s := e.Stats(); s.CacheHits != 1 {
		t.Errorf("ignored members changed the key: %+v", s)
	}
	in3 := queryResponse([]string{"sales_rep"}, "support", 2)
	in3.Principal.IP = "10.9.9.9" // not ignored
	decide(t, e, in3)
	if s := e.Stats(); s.CacheHits != 1 || s.CacheMisses != 2 {
		t.Errorf("a member not ignored did not change the key: %+v", s)
	}
}

func TestDecisionCacheOff(t *testing.T) {
	ctx := context.Background()
	for name, fsys := range map[string]fstest.MapFS{
		"size 0": bundleWith(echoPolicy, `{"veil_config": {"decision_cache": {"size": 0}}}`),
		// A policy reading the clock answers differently for the same input.
		"nondeterministic": bundleWith(`package veil

decision := {"allow": time.now_ns() > 0}
`, ""),
	} {
		e, err := policy.New(ctx, policy.Options{FS: fsys})
		if err != nil {
			t.Fatal(name, err)
		}
		in := queryResponse([]string{"sales_rep"}, "", 1)
		decide(t, e, in)
		decide(t, e, in)
		if s := e.Stats(); s.CacheHits != 0 || s.CacheMisses != 0 {
			t.Errorf("%s: cache used: %+v", name, s)
		}
	}
}

func TestDecisionCacheConfigErrors(t *testing.T) {
	for _, data := range []string{
		`{"veil_config": {"decision_cache": {"ignore": ["principal.roles"]}}}`,
		`{"veil_config": {"decision_cache": {"size": -1}}}`,
		`{"veil_config": {"decision_cache": {"sise": 5}}}`,
		`{"veil_config": {"decision_cache": []}}`,
	} {
		_, err := policy.New(context.Background(), policy.Options{FS: bundleWith(echoPolicy, data)})
		if err == nil || !strings.Contains(err.Error(), "decision_cache") {
			t.Errorf("%s: %v", data, err)
		}
	}
}

func TestExplain(t *testing.T) {
	e := newEngine(t)
	in := queryResponse([]string{"marketing"}, "marketing", 4)
	in.Path = "/services/data/v62.0/sobjects/Contact/003000000000000001"
	d := decide(t, e, in)
	x, ok := e.Explain(d.ID)
	if !ok {
		t.Fatal("a fresh decision is not kept")
	}
	if x.Revision != d.Revision || x.Cached || x.Input.Records != 4 || x.Input.Findings["email"] != 4 ||
		x.Input.OptedOut["email_opt_out"] != 2 || x.Input.Principal != "u-42" || x.Result.Allow != d.Allow {
		t.Errorf("explanation: %+v", x)
	}
	total := 0
	for _, n := range x.Result.Actions {
		total += n
	}
	if total != len(in.Findings) {
		t.Errorf("actions cover %d findings of %d", total, len(in.Findings))
	}
	b, _ := json.Marshal(x)
	for _, leak := range []string{in.Path, in.Principal.IP, in.Records[0].ID, "/records/0/Email"} {
		if strings.Contains(string(b), leak) {
			t.Errorf("explanation holds %q: %s", leak, b)
		}
	}
	if _, ok := e.Explain("0123"); ok {
		t.Error("an unknown id was explained")
	}
	// Only the last n are kept.
	small, err := policy.New(context.Background(), policy.Options{FS: rules.FS, Recent: 2})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{decide(t, small, in).ID, decide(t, small, in).ID, decide(t, small, in).ID}
	if _, ok := small.Explain(ids[0]); ok {
		t.Error("the oldest of three decisions is still kept with room for two")
	}
	if x, ok := small.Explain(ids[2]); !ok || !x.Cached {
		t.Errorf("the newest decision: %+v %v", x, ok)
	}
}

func TestShadowBundle(t *testing.T) {
	ctx := context.Background()
	shadow := bundleWith(`package veil

decision := {"allow": false, "deny": {{"rule": "shadow_says_no", "message": "dry run"}}}
`, "")
	e, err := policy.New(ctx, policy.Options{FS: rules.FS, ShadowFS: shadow})
	if err != nil {
		t.Fatal(err)
	}
	if e.ShadowRevision() == "" || e.ShadowRevision() == e.Revision() {
		t.Errorf("shadow revision %q", e.ShadowRevision())
	}
	in := queryResponse([]string{"admin"}, "support", 2)
	d := decide(t, e, in)
	if !d.Allow {
		t.Fatal("the shadow bundle was enforced")
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.Stats().ShadowEvaluations == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	s := e.Stats()
	if s.ShadowEvaluations != 1 || s.ShadowDifferences != 1 {
		t.Fatalf("stats: %+v", s)
	}
	x, _ := e.Explain(d.ID)
	if x.Shadow == nil || !x.Shadow.Differs || !strings.Contains(strings.Join(x.Shadow.Differences, "\n"), "deny: +shadow_says_no") {
		t.Errorf("shadow diff: %+v", x.Shadow)
	}
	// A broken shadow bundle keeps the engine from starting: a dry run
	// nobody can see is worse than none.
	if _, err := policy.New(ctx, policy.Options{FS: rules.FS, ShadowFS: bundleWith("package veil\n\ndecision := {", "")}); err == nil {
		t.Error("a broken shadow bundle loaded")
	}
}

func TestWatchReloadsChangedBundle(t *testing.T) {
	dir := t.TempDir()
	orig, err := rules.FS.ReadFile("data.json")
	if err != nil {
		t.Fatal(err)
	}
	writeBundle(t, dir, string(orig))
	e := watching(t, dir)
	rev := e.Revision()
	// A broken change is refused and counted; the bundle keeps serving.
	if err := os.WriteFile(filepath.Join(dir, "decision.rego"), []byte("package veil\n\ndecision := {"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the failed reload", func() bool { return e.Stats().ReloadFailures > 0 })
	if e.Revision() != rev {
		t.Fatal("a broken bundle replaced the serving one")
	}
	decide(t, e, queryResponse([]string{"admin"}, "", 1))
	// Fixed, with a changed matrix: reloaded.
	writeBundle(t, dir, withAnalystEmail(t, orig, "redact"))
	waitFor(t, "the reload", func() bool { return e.Revision() != rev })
	if d := decide(t, e, queryResponse([]string{"analyst"}, "", 1)); d.Default["email"] != "redact" {
		t.Errorf("reloaded bundle not serving: %v", d.Default)
	}
}

// A bundle mounted from a Kubernetes ConfigMap is a directory of symlinks
// into ..data, itself a symlink the kubelet swaps atomically to a new
// timestamped directory: the watch sees the swap and reloads.
func TestWatchFollowsConfigMapSwap(t *testing.T) {
	dir := t.TempDir()
	orig, err := rules.FS.ReadFile("data.json")
	if err != nil {
		t.Fatal(err)
	}
	version := func(name, data string) {
		t.Helper()
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		writeBundle(t, filepath.Join(dir, name), data)
		// The kubelet's atomic writer: a new ..data link renamed over the old.
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(name, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	version("..2026_11_29_00_00_00.1", string(orig))
	entries, err := os.ReadDir(filepath.Join(dir, "..data"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range entries {
		if err := os.Symlink(filepath.Join("..data", f.Name()), filepath.Join(dir, f.Name())); err != nil {
			t.Fatal(err)
		}
	}
	e := watching(t, dir)
	rev := e.Revision()
	if d := decide(t, e, queryResponse([]string{"analyst"}, "", 1)); d.Default["email"] == "redact" {
		t.Fatalf("the first bundle already redacts: %v", d.Default)
	}
	version("..2026_11_29_00_01_00.2", withAnalystEmail(t, orig, "redact"))
	waitFor(t, "the swap of ..data", func() bool { return e.Revision() != rev })
	if d := decide(t, e, queryResponse([]string{"analyst"}, "", 1)); d.Default["email"] != "redact" {
		t.Errorf("the swapped bundle is not serving: %v", d.Default)
	}
}

// watching is an engine on the bundle in dir, watching it every 5 ms until
// the test ends.
func watching(t *testing.T, dir string) *policy.Engine {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e, err := policy.New(ctx, policy.Options{FS: os.DirFS(dir)})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { e.Watch(ctx, 5*time.Millisecond, 20*time.Millisecond); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

// waitFor polls ok for up to 5 s.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
