package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Veil as it runs in production: the real binary (`veil serve`), a
// generated configuration, a copy of the default policy bundle whose
// bulk-export limits the benchmark cannot reach, and a real redis-server
// for the audit streams.

// benchToken is the bearer token of the benchmark's principal, an
// analyst: the default bundle masks an analyst's reads of names, e-mails
// and phones and redacts street addresses, so every personal value of
// the payloads is rewritten.
const benchToken = "bench-analyst"

// noLimit stands for "never reached" in the bundle and the watch
// (2^50 records).
const noLimit = int64(1) << 50

// auditStream is Veil's default audit stream.
const auditStream = "veil:audit"

// writeRules copies the policy bundle in src to dst without its Go files
// (the embedding package and its test), and raises the bulk-export limit
// and its decision-cache level out of reach: one principal reads the same
// pages hundreds of thousands of times, which is what the limit exists to
// refuse and not what is measured.
func writeRules(dst, src string) error {
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		return fmt.Errorf("copy the policy bundle: %w", err)
	}
	gofiles, _ := filepath.Glob(filepath.Join(dst, "*.go"))
	for _, f := range gofiles {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	path := filepath.Join(dst, "data.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := raiseLimits(b)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, out, 0o600)
}

// raiseLimits sets veil_config.limits.bulk_export_records and
// veil_config.decision_cache.stats_levels.principal_pii_records of a
// bundle's data.json to noLimit, leaving every other number as written.
func raiseLimits(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	cfg, ok := doc["veil_config"].(map[string]any)
	if !ok {
		return nil, errors.New("no veil_config object")
	}
	limits, ok := cfg["limits"].(map[string]any)
	if !ok {
		return nil, errors.New("no veil_config.limits object")
	}
	cache, _ := cfg["decision_cache"].(map[string]any)
	levels, ok := cache["stats_levels"].(map[string]any)
	if !ok {
		return nil, errors.New("no veil_config.decision_cache.stats_levels object")
	}
	limits["bulk_export_records"] = noLimit
	levels["principal_pii_records"] = []int64{noLimit}
	return json.MarshalIndent(doc, "", "  ")
}

// veilConfig is the `veil serve` configuration of the benchmark: every
// listener on loopback with a free port, one Salesforce route to the bench
// CRM, the analyst principal, audit events to Redis (spool in dir), the
// memory vault, and the watch's bulk-export alert out of reach. write is
// timeouts.write (0: Veil's default); pprof turns on admin.pprof (the
// admin listener is on loopback without a token).
func veilConfig(dir, rules, crmURL, redisAddr string, write time.Duration, pprof bool) string {
	timeouts := ""
	if write > 0 {
		timeouts = fmt.Sprintf("timeouts:\n  write: %s\n", write)
	}
	// listen and admin.listen must differ as written, both port 0: Veil
	// logs where it listens ("veil serving").
	return fmt.Sprintf(`listen: localhost:0
admin:
  listen: 127.0.0.1:0
  pprof: %t
log:
  level: info
policy:
  rules: %q
  watch: false
identity:
  principals:
    - {id: bench-analyst, token: %s, roles: [analyst]}
routes:
  - {name: salesforce, dialect: salesforce, prefix: /services/, upstream: %q, purpose: support}
redis:
  addrs: [%q]
vault:
  backend: memory
audit:
  spool_dir: %q
watch:
  bulk_export: {window: 1h, records: %d}
%s`, pprof, rules, benchToken, crmURL, redisAddr, filepath.Join(dir, "spool"), noLimit, timeouts)
}

// veilProc is a running `veil serve`.
type veilProc struct {
	*child
	url, admin string
	version    string // as it logs it: the Makefile's git describe --dirty
}

// servingRe reads the line Veil logs once it serves: its addresses and
// version.
var servingRe = regexp.MustCompile(`"msg":"veil serving".*"listen":"([^"]+)".*"admin":"([^"]+)".*"version":"([^"]*)"`)

// startVeil writes cfg into the run's directory as name.yaml and runs
// `bin serve -c` on it until it logs that it serves.
func startVeil(ctx context.Context, cs *children, bin, name, cfg string) (*veilProc, error) {
	path := filepath.Join(cs.dir, name+".yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	c, err := cs.start(name, bin, "serve", "-c", path)
	if err != nil {
		return nil, err
	}
	m, err := c.waitLog(ctx, servingRe, 60*time.Second)
	if err != nil {
		return nil, err
	}
	for _, a := range m[1:3] {
		if err := loopbackOnly(a); err != nil {
			return nil, err
		}
	}
	return &veilProc{child: c, url: "http://" + m[1], admin: "http://" + m[2], version: m[3]}, nil
}

// loopbackOnly fails unless addr is a loopback host:port.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address", addr)
	}
	return nil
}

// startRedis runs redis-server on a free 127.0.0.1 port without
// persistence, in the run's directory, and waits until it is ready.
func startRedis(ctx context.Context, cs *children) (*child, string, error) {
	ready := regexp.MustCompile(`Ready to accept connections`)
	var lastErr error
	// A free port can be taken between finding it and binding it: retry.
	for attempt := range 5 {
		port, err := freePort()
		if err != nil {
			return nil, "", err
		}
		c, err := cs.start(fmt.Sprintf("redis-%d", attempt), "redis-server",
			"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", cs.dir)
		if err != nil {
			return nil, "", err
		}
		if _, err := c.waitLog(ctx, ready, 10*time.Second); err != nil {
			lastErr = err
			c.stop(time.Second)
			if ctx.Err() != nil {
				return nil, "", ctx.Err()
			}
			continue
		}
		return c, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil
	}
	return nil, "", lastErr
}

// freePort returns a TCP port free on 127.0.0.1 a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// auditEvent is what the benchmark reads of Veil's audit events (never a
// value: Veil writes none).
type auditEvent struct {
	Direction  string         `json:"direction"`
	Outcome    string         `json:"outcome"`
	Object     string         `json:"object"`
	Operation  string         `json:"operation"`
	Categories map[string]int `json:"categories"`
	Actions    map[string]int `json:"actions"`
}

// findings is how many personal values the event counts.
func (e auditEvent) findings() int {
	n := 0
	for _, c := range e.Categories {
		n += c
	}
	return n
}

// lastAuditID is the id of the newest entry of the audit stream ("0" when
// empty).
func lastAuditID(ctx context.Context, rdb *redis.Client) (string, error) {
	msgs, err := rdb.XRevRangeN(ctx, auditStream, "+", "-", 1).Result()
	if err != nil {
		return "", err
	}
	if len(msgs) == 0 {
		return "0", nil
	}
	return msgs[0].ID, nil
}

// nextResponseEvent waits for the first response event written to the
// audit stream after entry after: the one of the exchange the caller just
// made, when nothing else runs.
func nextResponseEvent(ctx context.Context, rdb *redis.Client, after string) (auditEvent, error) {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		msgs, err := rdb.XRange(ctx, auditStream, "("+after, "+").Result()
		if err != nil {
			return auditEvent{}, err
		}
		for _, m := range msgs {
			raw, _ := m.Values["event"].(string)
			var e auditEvent
			if err := json.Unmarshal([]byte(raw), &e); err != nil {
				return auditEvent{}, fmt.Errorf("audit entry %s: %w", m.ID, err)
			}
			if e.Direction == "response" {
				return e, nil
			}
		}
		select {
		case <-ctx.Done():
			return auditEvent{}, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return auditEvent{}, errors.New("no response event reached the audit stream within 10s")
}

// metricSample is one line of Prometheus' text format.
type metricSample struct {
	name   string
	labels map[string]string
	value  float64
}

// parseMetrics reads the samples of Prometheus' text exposition format
// (comments skipped). Label values are read as Veil writes them: no
// escaped quotes in the series the benchmark reads.
func parseMetrics(r io.Reader) ([]metricSample, error) {
	var out []metricSample
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		s := metricSample{labels: map[string]string{}}
		series, value, ok := cutLast(line, ' ')
		if !ok {
			return nil, fmt.Errorf("metrics: no value in %q", line)
		}
		if i := strings.IndexByte(series, '{'); i >= 0 {
			s.name = series[:i]
			body := strings.TrimSuffix(series[i+1:], "}")
			for pair := range strings.SplitSeq(body, ",") {
				k, v, ok := strings.Cut(pair, "=")
				if !ok {
					continue
				}
				s.labels[k] = strings.Trim(v, `"`)
			}
		} else {
			s.name = series
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return nil, fmt.Errorf("metrics: %q: %w", line, err)
		}
		s.value = v
		out = append(out, s)
	}
	return out, sc.Err()
}

// cutLast splits s around its last sep.
func cutLast(s string, sep byte) (string, string, bool) {
	i := strings.LastIndexByte(s, sep)
	if i < 0 {
		return s, "", false
	}
	return strings.TrimSpace(s[:i]), s[i+1:], true
}

// metrics is a scrape of Veil's /metrics.
type metrics []metricSample

// sum adds the samples of name whose labels include every pair of match.
func (m metrics) sum(name string, match map[string]string) float64 {
	total := 0.0
	for _, s := range m {
		if s.name != name {
			continue
		}
		ok := true
		for k, v := range match {
			if s.labels[k] != v {
				ok = false
				break
			}
		}
		if ok {
			total += s.value
		}
	}
	return total
}

// scrape reads Veil's /metrics from its admin listener.
func scrape(ctx context.Context, admin string) (metrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, admin+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s/metrics: status %d", admin, res.StatusCode)
	}
	return parseMetrics(res.Body)
}

// veilCounters are the counters a run reads before and after.
type veilCounters struct {
	responses, transformed, blocked, findings float64
	cacheHit, cacheMiss                       float64
	auditQueued, auditWritten, auditDropped   float64
}

// countersOf picks the counters out of a scrape.
func countersOf(m metrics) veilCounters {
	resp := map[string]string{"direction": "response"}
	return veilCounters{
		responses:    m.sum("veil_proxy_requests_total", resp),
		transformed:  m.sum("veil_proxy_requests_total", map[string]string{"direction": "response", "outcome": "transformed"}),
		blocked:      m.sum("veil_proxy_blocked_total", nil),
		findings:     m.sum("veil_detect_findings_total", nil),
		cacheHit:     m.sum("veil_policy_cache_lookups_total", map[string]string{"result": "hit"}),
		cacheMiss:    m.sum("veil_policy_cache_lookups_total", map[string]string{"result": "miss"}),
		auditQueued:  m.sum("veil_audit_events_queued_total", map[string]string{"stream": "audit"}),
		auditWritten: m.sum("veil_audit_events_written_total", map[string]string{"stream": "audit"}),
		auditDropped: m.sum("veil_audit_events_dropped_total", nil),
	}
}

// sub is the change between two readings.
func (c veilCounters) sub(b veilCounters) veilCounters {
	return veilCounters{
		responses: c.responses - b.responses, transformed: c.transformed - b.transformed,
		blocked: c.blocked - b.blocked, findings: c.findings - b.findings,
		cacheHit: c.cacheHit - b.cacheHit, cacheMiss: c.cacheMiss - b.cacheMiss,
		auditQueued: c.auditQueued - b.auditQueued, auditWritten: c.auditWritten - b.auditWritten,
		auditDropped: c.auditDropped - b.auditDropped,
	}
}
