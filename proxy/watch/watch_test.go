package watch

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
)

// clock is a settable clock for the windows.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_800_000_000, 0)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// alerts collects the alerts of a Watch.
type alerts struct {
	mu sync.Mutex
	a  []audit.Alert
}

func (a *alerts) add(x audit.Alert) {
	a.mu.Lock()
	a.a = append(a.a, x)
	a.mu.Unlock()
}

func (a *alerts) list() []audit.Alert {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]audit.Alert(nil), a.a...)
}

func testCounters() Counters {
	return Counters{
		Alerts:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "alerts_total"}, []string{"kind", "severity"}),
		StoreErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "store_errors_total"}, []string{"op"}),
	}
}

func testConfig() config.Watch {
	return config.Watch{
		BruteForce: config.BruteForce{Window: time.Minute, Failures: 5},
		BulkExport: config.BulkExport{Window: time.Hour, Records: 100},
		Spike:      config.Spike{Window: 10 * time.Minute, Values: 10, Categories: []string{"us_ssn", "credit_card"}},
		Probe:      config.Probe{Window: 30 * time.Minute, Probes: 6},
	}
}

type fixture struct {
	w   *Watch
	clk *clock
	al  *alerts
	m   Counters
}

func newFixture(t testing.TB, c redis.UniversalClient, opts ...Option) *fixture {
	f := &fixture{clk: newClock(), al: &alerts{}, m: testCounters()}
	f.w = New(testConfig(), c, f.al.add, f.m, nil, append([]Option{WithClock(f.clk.now)}, opts...)...)
	t.Cleanup(func() { f.w.Close() })
	return f
}

// settle waits until the Redis writer has written what is queued.
func (f *fixture) settle() {
	if f.w.rs != nil {
		f.w.rs.flushed()
	}
}

var (
	fail    = Observation{Principal: "u-42", IP: "10.1.2.3", Route: "salesforce", Direction: "response", Status: 401}
	records = func(n int) Observation {
		return Observation{Principal: "u-42", IP: "10.1.2.3", Route: "salesforce", DecisionID: "d-1", Direction: "response", PIIRecords: n}
	}
	probes = func(n int) Observation {
		return Observation{Principal: "u-42", IP: "10.1.2.3", Direction: "request", Probes: n}
	}
	ssn = func(n int) Observation {
		return Observation{Principal: "u-42", IP: "10.1.2.3", Direction: "request", Categories: map[string]int{"us_ssn": n, "email": 100}}
	}
)

// detectorCase drives one detector to its threshold.
type detectorCase struct {
	name     string
	below    []Observation // stays under the threshold
	cross    Observation   // reaches it
	stat     string
	want     int64 // the stat once crossed
	kind     string
	severity string
	evidence map[string]int64
}

var detectorCases = []detectorCase{
	{
		name:  "brute_force",
		below: []Observation{fail, fail, {Principal: "u-42", IP: "10.1.2.3", Direction: "response", Status: 403}, fail},
		cross: fail, stat: StatPrincipalAuthFailures, want: 5,
		kind: audit.AlertBruteForce, severity: audit.SeverityHigh,
		evidence: map[string]int64{StatPrincipalAuthFailures: 5, StatIPAuthFailures: 5, "threshold": 5, "window_seconds": 60},
	},
	{
		name: "bulk_export",
		// requests and responses without personal data do not count
		below: []Observation{records(60), {Principal: "u-42", Direction: "request", PIIRecords: 500}, {Principal: "u-42", Direction: "response", Status: 200}, records(39)},
		cross: records(1), stat: StatPrincipalPIIRecords, want: 100,
		kind: audit.AlertBulkExport, severity: audit.SeverityHigh,
		evidence: map[string]int64{StatPrincipalPIIRecords: 100, "threshold": 100, "window_seconds": 3600},
	},
	{
		name:  "category_spike",
		below: []Observation{ssn(4), {Principal: "u-42", Direction: "response", Categories: map[string]int{"credit_card": 3, "email": 50}}},
		cross: ssn(3), stat: StatPrincipalSensitiveValues, want: 10,
		kind: audit.AlertCategorySpike, severity: audit.SeverityMedium,
		evidence: map[string]int64{StatPrincipalSensitiveValues: 10, "threshold": 10, "window_seconds": 600},
	},
	{
		name: "inference_probe",
		// another principal's probes do not count
		below: []Observation{probes(2), {Principal: "u-7", Direction: "request", Probes: 5}, probes(3)},
		cross: probes(1), stat: StatPrincipalProbes, want: 6,
		kind: audit.AlertInferenceProbe, severity: audit.SeverityHigh,
		evidence: map[string]int64{StatPrincipalProbes: 6, "threshold": 6, "window_seconds": 1800},
	},
}

// runDetector checks one detector on f: silent below, exactly one alert
// with the evidence on crossing and after, and the count in Stats.
func runDetector(t *testing.T, f *fixture, tc detectorCase) {
	t.Helper()
	ctx := context.Background()
	for _, o := range tc.below {
		f.w.Observe(ctx, o)
	}
	f.settle()
	if got := f.al.list(); len(got) != 0 {
		t.Fatalf("alerts below the threshold: %+v", got)
	}
	if got := f.w.Stats(ctx, "u-42", "10.1.2.3")[tc.stat]; got != tc.want-tc.cross.count(tc.stat) {
		t.Fatalf("%s below: %d, want %d", tc.stat, got, tc.want-tc.cross.count(tc.stat))
	}
	f.w.Observe(ctx, tc.cross)
	f.settle()
	f.w.Observe(ctx, tc.cross) // over the threshold: still one alert
	f.settle()
	got := f.al.list()
	if len(got) != 1 {
		t.Fatalf("%d alerts, want 1: %+v", len(got), got)
	}
	a := got[0]
	if a.Kind != tc.kind || a.Severity != tc.severity || a.Principal != "u-42" || a.IP != "10.1.2.3" || a.Message == "" {
		t.Errorf("alert: %+v", a)
	}
	if fmt.Sprint(a.Evidence) != fmt.Sprint(tc.evidence) {
		t.Errorf("evidence %v, want %v", a.Evidence, tc.evidence)
	}
	if n := testutil.ToFloat64(f.m.Alerts.WithLabelValues(tc.kind, tc.severity)); n != 1 {
		t.Errorf("veil_alerts_total{%s}: %v", tc.kind, n)
	}
	if got := f.w.Stats(ctx, "u-42", "10.1.2.3")[tc.stat]; got != tc.want+tc.cross.count(tc.stat) {
		t.Errorf("%s after: %d, want %d", tc.stat, got, tc.want+tc.cross.count(tc.stat))
	}
}

// count is what o adds to stat for principal u-42 (test helper).
func (o Observation) count(stat string) int64 {
	switch stat {
	case StatPrincipalAuthFailures, StatIPAuthFailures:
		if o.Status == 401 || o.Status == 403 {
			return 1
		}
	case StatPrincipalPIIRecords:
		if o.Direction == "response" {
			return int64(o.PIIRecords)
		}
	case StatPrincipalSensitiveValues:
		return int64(o.Categories["us_ssn"] + o.Categories["credit_card"])
	case StatPrincipalProbes:
		return int64(o.Probes)
	}
	return 0
}

func TestDetectorsMemory(t *testing.T) {
	for _, tc := range detectorCases {
		t.Run(tc.name, func(t *testing.T) { runDetector(t, newFixture(t, nil), tc) })
	}
}

func TestStatsKeysAndEmptySubjects(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.w.Observe(ctx, Observation{IP: "10.0.0.9", Direction: "response", Status: 403, PIIRecords: 7})
	s := f.w.Stats(ctx, "", "10.0.0.9")
	want := map[string]int64{StatPrincipalPIIRecords: 0, StatPrincipalAuthFailures: 0, StatIPAuthFailures: 1, StatPrincipalSensitiveValues: 0, StatPrincipalProbes: 0}
	if fmt.Sprint(s) != fmt.Sprint(want) {
		t.Fatalf("stats %v, want %v", s, want)
	}
	if s := f.w.Stats(ctx, "", ""); len(s) != 5 || s[StatIPAuthFailures] != 0 {
		t.Fatalf("stats of nobody: %v", s)
	}
}

func TestWindowsSlideAndExpire(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.w.Observe(ctx, records(30))
	f.clk.add(30 * time.Minute)
	f.w.Observe(ctx, records(20))
	if got := f.w.Stats(ctx, "u-42", "")[StatPrincipalPIIRecords]; got != 50 {
		t.Fatalf("within the window: %d", got)
	}
	f.clk.add(31 * time.Minute) // the first observation is out, the second in
	if got := f.w.Stats(ctx, "u-42", "")[StatPrincipalPIIRecords]; got != 20 {
		t.Fatalf("after the first left the window: %d", got)
	}
	f.clk.add(time.Hour)
	if got := f.w.Stats(ctx, "u-42", "")[StatPrincipalPIIRecords]; got != 0 {
		t.Fatalf("after the window: %d", got)
	}
}

func TestAlertAgainInANewWindow(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	for range 5 {
		f.w.Observe(ctx, fail)
	}
	f.clk.add(30 * time.Second)
	for range 5 {
		f.w.Observe(ctx, fail) // same window: deduplicated
	}
	if n := len(f.al.list()); n != 1 {
		t.Fatalf("%d alerts in one window", n)
	}
	f.clk.add(2 * time.Minute)
	for range 5 {
		f.w.Observe(ctx, fail)
	}
	if n := len(f.al.list()); n != 2 {
		t.Fatalf("%d alerts after a new window, want 2", n)
	}
}

func TestBruteForceIPAndPrincipalApart(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	// one IP, many principals: the IP crosses, no principal does
	for i := range 5 {
		f.w.Observe(ctx, Observation{Principal: fmt.Sprintf("u-%d", i), IP: "10.9.9.9", Direction: "response", Status: 401})
	}
	got := f.al.list()
	if len(got) != 1 || got[0].Kind != audit.AlertBruteForce || got[0].Evidence[StatIPAuthFailures] != 5 || got[0].Evidence[StatPrincipalAuthFailures] != 1 {
		t.Fatalf("alerts: %+v", got)
	}
}

func TestMemoryBound(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 100_000 {
		f.w.Observe(ctx, Observation{Principal: fmt.Sprintf("p-%d", i), IP: fmt.Sprintf("10.%d.%d.%d", i>>16, i>>8&255, i&255), Direction: "response", Status: 401, PIIRecords: 1})
	}
	if n := f.w.Len(); n > DefaultMaxSubjects {
		t.Fatalf("%d units held, bound %d", n, DefaultMaxSubjects)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d units, heap grown by %d bytes (%d per unit)", f.w.Len(), grown, grown/int64(f.w.Len()))
	if grown > DefaultMaxSubjects*600 {
		t.Fatalf("heap grew by %d bytes for %d units", grown, f.w.Len())
	}
	// the most recent subjects are still counted
	if s := f.w.Stats(ctx, "p-99999", "10.1.134.159"); s[StatPrincipalPIIRecords] != 1 || s[StatIPAuthFailures] != 1 {
		t.Fatalf("recent subject lost: %v", s)
	}
}

func TestDisabled(t *testing.T) {
	al := &alerts{}
	w := New(config.Watch{Disabled: true}, nil, al.add, Counters{}, nil)
	ctx := context.Background()
	for range 100 {
		w.Observe(ctx, fail)
	}
	if s := w.Stats(ctx, "u-42", "10.1.2.3"); s != nil {
		t.Fatalf("stats when disabled: %v", s)
	}
	if len(al.list()) != 0 || w.Len() != 0 || w.Close() != nil {
		t.Fatal("disabled watch counted or alerted")
	}
	var none *Watch
	none.Observe(ctx, fail)
	if none.Stats(ctx, "u", "ip") != nil || none.Close() != nil {
		t.Fatal("nil watch")
	}
}

func TestRing(t *testing.T) {
	var r ring
	r.add(100, 1)
	r.add(105, 2)
	r.add(90, 4) // older than the window head but inside it
	r.add(70, 8) // out of the window: ignored
	if s := r.sum(105); s != 7 {
		t.Fatalf("sum %d", s)
	}
	if s := r.sum(110); s != 3 { // 90 left ((110-20, 110])
		t.Fatalf("sum after 90 left: %d", s)
	}
	if s := r.sum(125); s != 0 {
		t.Fatalf("sum after all left: %d", s)
	}
	r.add(200, 5)
	if s := r.sum(200); s != 5 {
		t.Fatalf("sum after jump: %d", s)
	}
}
