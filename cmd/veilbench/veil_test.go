package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veil-proxy/veil/proxy/config"
)

// The copy of the bundle gets limits the benchmark cannot reach, and
// keeps every other value as written (no float rounding of numbers).
func TestRaiseLimits(t *testing.T) {
	in := `{"veil_config": {"limits": {"bulk_export_records": 20000, "ip_auth_failures": 100},
	  "decision_cache": {"size": 4096, "stats_levels": {"principal_pii_records": [20000], "ip_auth_failures": [100]}},
	  "big": 12345678901234567890}, "other": {"x": 1}}`
	out, err := raiseLimits([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		VeilConfig struct {
			Limits        map[string]int64 `json:"limits"`
			DecisionCache struct {
				Size        int                `json:"size"`
				StatsLevels map[string][]int64 `json:"stats_levels"`
			} `json:"decision_cache"`
			Big json.Number `json:"big"`
		} `json:"veil_config"`
		Other map[string]int `json:"other"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	c := got.VeilConfig
	if c.Limits["bulk_export_records"] != noLimit || c.Limits["ip_auth_failures"] != 100 {
		t.Errorf("limits: %v", c.Limits)
	}
	if l := c.DecisionCache.StatsLevels; len(l["principal_pii_records"]) != 1 || l["principal_pii_records"][0] != noLimit || l["ip_auth_failures"][0] != 100 {
		t.Errorf("stats levels: %v", l)
	}
	if c.DecisionCache.Size != 4096 || c.Big != "12345678901234567890" || got.Other["x"] != 1 {
		t.Errorf("other values changed: %s", out)
	}
	if _, err := raiseLimits([]byte(`{"veil_config": {}}`)); err == nil {
		t.Error("a bundle without limits must be an error")
	}
}

// The generated configuration is one `veil serve` accepts (decoded
// strictly and validated by Veil's own config package) and says what the
// benchmark relies on.
func TestVeilConfigLoads(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	if err := writeRules(rules, "../../rules"); err != nil {
		t.Fatal(err)
	}
	if gofiles, _ := filepath.Glob(filepath.Join(rules, "*.go")); len(gofiles) != 0 {
		t.Errorf("Go files copied: %v", gofiles)
	}
	if _, err := os.Stat(filepath.Join(rules, "data.json")); err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse([]byte(veilConfig(dir, rules, "http://127.0.0.1:1", "127.0.0.1:2", 15*time.Minute, true)))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Routes) != 1 || c.Routes[0].Dialect != config.DialectSalesforce || c.Routes[0].Prefix != "/services/" || c.Routes[0].Upstream != "http://127.0.0.1:1" {
		t.Errorf("routes: %+v", c.Routes)
	}
	if p := c.Identity.Principals; len(p) != 1 || p[0].Token != benchToken || len(p[0].Roles) != 1 || p[0].Roles[0] != "analyst" {
		t.Errorf("principals: %+v", p)
	}
	if len(c.Redis.Addrs) != 1 || c.Redis.Addrs[0] != "127.0.0.1:2" || c.Vault.Backend != "memory" {
		t.Errorf("redis %v, vault %q", c.Redis.Addrs, c.Vault.Backend)
	}
	if int64(c.Watch.BulkExport.Records) != noLimit || c.Timeouts.Write != 15*time.Minute || c.Policy.Rules != rules || !c.Admin.Pprof {
		t.Errorf("bulk export %d, write timeout %v, rules %q, pprof %t", c.Watch.BulkExport.Records, c.Timeouts.Write, c.Policy.Rules, c.Admin.Pprof)
	}
	def, err := config.Parse([]byte(veilConfig(dir, rules, "http://127.0.0.1:1", "127.0.0.1:2", 0, false)))
	if err != nil {
		t.Fatal(err)
	}
	if def.Timeouts.Write != config.Demo("127.0.0.1:0", "127.0.0.1:1", "http://x").Timeouts.Write {
		t.Errorf("without a write timeout Veil's default must apply, got %v", def.Timeouts.Write)
	}
	if def.Admin.Pprof {
		t.Error("admin.pprof on without -profile")
	}
}

func TestServingLine(t *testing.T) {
	line := `{"level":"info","ts":"2026-11-29T06:35:41.013Z","caller":"proxy/server.go:298","msg":"veil serving",` +
		`"listen":"127.0.0.1:44953","admin":"127.0.0.1:35559","policy_revision":"16ed80938f7d65e5","version":"ca37e3b-dirty"}`
	m := servingRe.FindStringSubmatch(line)
	if m == nil || m[1] != "127.0.0.1:44953" || m[2] != "127.0.0.1:35559" || m[3] != "ca37e3b-dirty" {
		t.Fatalf("got %q", m)
	}
}

const scrapeText = `# HELP veil_proxy_requests_total Messages by outcome.
# TYPE veil_proxy_requests_total counter
veil_proxy_requests_total{direction="request",outcome="allowed",route="salesforce"} 120
veil_proxy_requests_total{direction="response",outcome="transformed",route="salesforce"} 118
veil_proxy_requests_total{direction="response",outcome="allowed",route="salesforce"} 2
veil_detect_findings_total{category="email",detector="email"} 118
veil_detect_findings_total{category="person_name",detector="field_hint"} 236
veil_policy_cache_lookups_total{result="hit"} 238
veil_policy_cache_lookups_total{result="miss"} 2
veil_audit_events_queued_total{stream="audit"} 240
veil_audit_events_queued_total{stream="alerts"} 3
veil_audit_events_written_total{sink="redis",stream="audit"} 239
veil_audit_events_dropped_total{reason="queue_full",stream="audit"} 1
veil_pipeline_stage_duration_seconds_bucket{direction="response",route="salesforce",stage="detect",le="+Inf"} 118
go_goroutines 42
`

func TestParseMetricsAndCounters(t *testing.T) {
	m, err := parseMetrics(strings.NewReader(scrapeText))
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 13 {
		t.Fatalf("%d samples, want 13", len(m))
	}
	if v := metrics(m).sum("go_goroutines", nil); v != 42 {
		t.Errorf("go_goroutines = %v", v)
	}
	if v := metrics(m).sum("veil_pipeline_stage_duration_seconds_bucket", map[string]string{"le": "+Inf"}); v != 118 {
		t.Errorf("+Inf bucket = %v", v)
	}
	c := countersOf(m)
	want := veilCounters{responses: 120, transformed: 118, findings: 354, cacheHit: 238, cacheMiss: 2,
		auditQueued: 240, auditWritten: 239, auditDropped: 1}
	if c != want {
		t.Fatalf("got  %+v\nwant %+v", c, want)
	}
	if d := c.sub(veilCounters{responses: 20, transformed: 18, findings: 54}); d.responses != 100 || d.transformed != 100 || d.findings != 300 {
		t.Errorf("sub: %+v", d)
	}
	if _, err := parseMetrics(strings.NewReader("veil_x{a=\"b\"} notanumber\n")); err == nil {
		t.Error("a value that is not a number must be an error")
	}
}
