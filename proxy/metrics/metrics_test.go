package metrics

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
)

var update = flag.Bool("update", false, "rewrite testdata/metrics.golden")

const golden = "testdata/metrics.golden"

// observed returns a registry holding a Metrics that has seen one
// transformed response, one blocked request and an upstream timeout.
func observed(t *testing.T) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	m := New(reg, "v1.2.3")
	m.InitRoute("salesforce")
	m.Requests.WithLabelValues("salesforce", "response", "transformed").Add(2)
	m.Requests.WithLabelValues("salesforce", "request", "blocked").Inc()
	m.Blocks.WithLabelValues("salesforce", "request", "policy_denied").Inc()
	m.FailOpen.WithLabelValues("hubspot", "response", "body_too_large").Inc()
	m.UpstreamErrors.WithLabelValues("salesforce", "timeout").Inc()
	for stage, secs := range map[string]float64{"decode": 40e-6, "detect": 300e-6, "decide": 0.0012, "transform": 60e-6, "encode": 30e-6} {
		m.StageDuration.WithLabelValues("salesforce", "response", stage).Observe(secs)
	}
	m.Findings.WithLabelValues("email", "email").Add(3)
	m.Findings.WithLabelValues("credit_card", "credit_card").Inc()
	m.Actions.WithLabelValues("mask", "credit_card").Inc()
	m.Actions.WithLabelValues("tokenize", "email").Add(3)
	m.PolicyEvals.WithLabelValues("allow").Add(2)
	m.PolicyEvals.WithLabelValues("deny").Inc()
	m.PolicyDuration.Observe(450e-6)
	m.PolicyDuration.Observe(33e-6)
	m.PolicyDuration.Observe(2)
	m.BodyBytes.WithLabelValues("salesforce", "response").Observe(3000)
	m.BodyBytes.WithLabelValues("salesforce", "request").Observe(180)
	m.Inflight.Inc()
	return reg
}

// goldenNames are the families compared with the golden file: all but
// veil_build_info, whose goversion label changes with the toolchain.
var goldenNames = []string{
	"veil_proxy_requests_total", "veil_pipeline_stage_duration_seconds",
	"veil_detect_findings_total", "veil_transform_actions_total",
	"veil_policy_evaluations_total", "veil_policy_evaluation_duration_seconds",
	"veil_proxy_blocked_total", "veil_proxy_fail_open_total", "veil_upstream_errors_total",
	"veil_proxy_inspected_body_bytes", "veil_proxy_inflight_requests",
}

func TestGolden(t *testing.T) {
	reg := observed(t)
	if *update {
		writeGolden(t, reg)
	}
	f, err := os.Open(golden)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := testutil.GatherAndCompare(reg, f, goldenNames...); err != nil {
		t.Fatalf("%v\n(run go test ./proxy/metrics -update to accept a deliberate change)", err)
	}
}

func writeGolden(t *testing.T, reg *prometheus.Registry) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, mf := range mfs {
		if mf.GetName() == "veil_build_info" {
			continue
		}
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBuildInfo(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	New(reg, "v1.2.3")
	want := `
# HELP veil_build_info Always 1; the labels say which build is running.
# TYPE veil_build_info gauge
veil_build_info{goversion="` + runtime.Version() + `",version="v1.2.3"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "veil_build_info"); err != nil {
		t.Fatal(err)
	}
}

func TestLint(t *testing.T) {
	problems, err := testutil.GatherAndLint(observed(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

func TestLabelsAreBounded(t *testing.T) {
	allowed := map[string]bool{"route": true, "direction": true, "outcome": true, "stage": true, "category": true,
		"detector": true, "action": true, "code": true, "result": true, "op": true, "kind": true, "version": true, "goversion": true,
		"stream": true, "sink": true, "reason": true, "severity": true}
	mfs, err := observed(t).Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "veil_") {
			t.Errorf("%s: outside the veil namespace", mf.GetName())
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if !allowed[l.GetName()] {
					t.Errorf("%s: unbounded label %q", mf.GetName(), l.GetName())
				}
			}
		}
	}
}

func TestHistogramsAreNativeToo(t *testing.T) {
	mfs, err := observed(t).Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if h := m.GetHistogram(); h != nil && (h.Schema == nil || len(h.GetBucket()) == 0) {
				t.Errorf("%s: want classic and native buckets", mf.GetName())
			}
		}
	}
}

func TestDoubleRegistrationPanics(t *testing.T) {
	reg := prometheus.NewRegistry()
	New(reg, "a")
	defer func() {
		if recover() == nil {
			t.Fatal("second New on one registry did not panic")
		}
	}()
	New(reg, "b")
}

// TestOwnRegistryOnly: New registers on the registry it is given and
// nowhere else. Two instances live side by side, each registry holds its
// own collectors (its version, its counts), and the default registry gains
// nothing.
func TestOwnRegistryOnly(t *testing.T) {
	before := familyNames(t, prometheus.DefaultGatherer)
	regA, regB := prometheus.NewRegistry(), prometheus.NewRegistry()
	a := New(regA, "a")
	b := New(regB, "b") // would panic if New touched the default registry
	a.Requests.WithLabelValues("salesforce", "response", "allowed").Add(3)
	b.Requests.WithLabelValues("salesforce", "response", "allowed").Inc()

	if after := familyNames(t, prometheus.DefaultGatherer); !slices.Equal(after, before) {
		t.Errorf("the default registry changed: %v, then %v", before, after)
	}
	for _, c := range []struct {
		reg      *prometheus.Registry
		version  string
		requests float64
	}{{regA, "a", 3}, {regB, "b", 1}} {
		names := familyNames(t, c.reg)
		for _, want := range []string{"veil_build_info", "veil_proxy_requests_total", "veil_audit_events_queued_total"} {
			if !slices.Contains(names, want) {
				t.Errorf("registry %s lacks %s: %v", c.version, want, names)
			}
		}
		build := "\n# HELP veil_build_info Always 1; the labels say which build is running.\n# TYPE veil_build_info gauge\n" +
			`veil_build_info{goversion="` + runtime.Version() + `",version="` + c.version + `"} 1` + "\n"
		if err := testutil.GatherAndCompare(c.reg, strings.NewReader(build), "veil_build_info"); err != nil {
			t.Errorf("registry %s: %v", c.version, err)
		}
		requests := "\n# HELP veil_proxy_requests_total Messages handled, by route, direction and outcome (allowed, transformed, blocked, passthrough).\n# TYPE veil_proxy_requests_total counter\n" +
			`veil_proxy_requests_total{direction="response",outcome="allowed",route="salesforce"} ` + strconv.FormatFloat(c.requests, 'g', -1, 64) + "\n"
		if err := testutil.GatherAndCompare(c.reg, strings.NewReader(requests), "veil_proxy_requests_total"); err != nil {
			t.Errorf("registry %s: %v", c.version, err)
		}
	}
}

// familyNames gathers g and returns its metric family names, sorted.
func familyNames(t *testing.T, g prometheus.Gatherer) []string {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	slices.Sort(names)
	return names
}

func TestPolicyEngine(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	RegisterPolicyEngine(reg, func() PolicyEngineStats {
		return PolicyEngineStats{CacheHits: 7, CacheMisses: 3, Reloads: 2, ReloadFailures: 1,
			ShadowEvaluations: 10, ShadowDifferences: 2, ShadowErrors: 1, ShadowSkipped: 4,
			Revision: "abc", ShadowRevision: "def"}
	})
	want := `
# HELP veil_policy_bundle_info Always 1; the labels are the revisions of the enforced and the shadow bundle (empty without one).
# TYPE veil_policy_bundle_info gauge
veil_policy_bundle_info{revision="abc",shadow_revision="def"} 1
# HELP veil_policy_cache_lookups_total Decision cache lookups: hit (answered without evaluating) or miss.
# TYPE veil_policy_cache_lookups_total counter
veil_policy_cache_lookups_total{result="hit"} 7
veil_policy_cache_lookups_total{result="miss"} 3
# HELP veil_policy_reloads_total Policy bundle reloads: ok (swapped in) or error (refused; the previous bundle keeps serving).
# TYPE veil_policy_reloads_total counter
veil_policy_reloads_total{result="error"} 1
veil_policy_reloads_total{result="ok"} 2
# HELP veil_policy_shadow_decisions_total Dry-run decisions of the shadow bundle compared with the enforced ones: same, different, error, or skipped (queue full).
# TYPE veil_policy_shadow_decisions_total counter
veil_policy_shadow_decisions_total{result="different"} 2
veil_policy_shadow_decisions_total{result="error"} 1
veil_policy_shadow_decisions_total{result="same"} 7
veil_policy_shadow_decisions_total{result="skipped"} 4
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// PairCounts adds each pair's events up and writes each pair once, its
// labels in the order given.
func TestPairCounts(t *testing.T) {
	v := &CounterVec{CounterVec: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pairs_total"}, []string{"a", "b"})}
	var c PairCounts
	for _, p := range [][2]string{{"email", "regex"}, {"ssn", "ssn"}, {"email", "regex"}, {"regex", "email"}} {
		c.Inc(p[0], p[1])
	}
	c.Add(v)
	for _, want := range []struct {
		a, b string
		n    float64
	}{{"email", "regex", 2}, {"ssn", "ssn", 1}, {"regex", "email", 1}} {
		if got := testutil.ToFloat64(v.WithLabelValues(want.a, want.b)); got != want.n {
			t.Errorf("%s/%s: %v, want %v", want.a, want.b, got, want.n)
		}
	}
	if n := testutil.CollectAndCount(v); n != 3 {
		t.Errorf("%d series, want 3", n)
	}
}

// A message's handful of pairs costs one allocation, not one per doubling.
func TestPairCountsAllocateOnce(t *testing.T) {
	n := testing.AllocsPerRun(100, func() {
		var c PairCounts
		for _, a := range []string{"email", "phone", "person_name", "street_address", "email", "phone"} {
			c.Inc(a, "mask")
		}
	})
	if n > 1 {
		t.Errorf("%v allocations for four pairs, want 1", n)
	}
}
