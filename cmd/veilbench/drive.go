package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/veil-proxy/veil/proxy/benchdata"
)

// env is the processes of a run.
type env struct {
	cs         *children
	crm, bare  *child
	crmURL     string
	bareURL    string
	redis      *child
	redisAddr  string
	rdb        *redis.Client
	veil       *veilProc
	rulesDir   string
	veilBinary string
	pprof      bool // admin.pprof on (-profile)
}

var listeningRe = regexp.MustCompile(`veilbench \w+ listening on (\S+)`)

// startSelf runs this binary's subcommand sub and returns its base URL.
func startSelf(ctx context.Context, cs *children, sub string, args ...string) (*child, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	c, err := cs.start(sub, append([]string{self, sub}, args...)...)
	if err != nil {
		return nil, "", err
	}
	m, err := c.waitLog(ctx, listeningRe, 30*time.Second)
	if err != nil {
		return nil, "", err
	}
	if err := loopbackOnly(m[1]); err != nil {
		return nil, "", err
	}
	return c, "http://" + m[1], nil
}

// setup starts the CRM (serving the query results of records), the bare
// proxy, redis-server and Veil. The env it returns, even with an error,
// is to be closed.
func setup(ctx context.Context, cs *children, o options, records []int) (*env, error) {
	e := &env{cs: cs, pprof: o.profileDir != ""}
	var err error
	if e.veilBinary, err = filepath.Abs(o.veilBin); err != nil {
		return e, err
	}
	if _, err := os.Stat(e.veilBinary); err != nil {
		return e, fmt.Errorf("%w (build it: go build -o bin/veil ./cmd/veil)", err)
	}
	pages := make([]string, len(records))
	for k, n := range records {
		pages[k] = strconv.Itoa(n)
	}
	if e.crm, e.crmURL, err = startSelf(ctx, cs, "crm", "-pages", strings.Join(pages, ",")); err != nil {
		return e, err
	}
	if e.bare, e.bareURL, err = startSelf(ctx, cs, "bare", "-upstream", e.crmURL); err != nil {
		return e, err
	}
	if e.redis, e.redisAddr, err = startRedis(ctx, cs); err != nil {
		return e, err
	}
	e.rdb = redis.NewClient(&redis.Options{Addr: e.redisAddr})
	e.rulesDir = filepath.Join(cs.dir, "rules")
	if err := writeRules(e.rulesDir, o.rules); err != nil {
		return e, err
	}
	if e.veil, err = e.startVeil(ctx, "veil", 0); err != nil {
		return e, err
	}
	return e, nil
}

// startVeil runs a `veil serve` named name with the benchmark's
// configuration (timeouts.write = write when positive).
func (e *env) startVeil(ctx context.Context, name string, write time.Duration) (*veilProc, error) {
	cfg := veilConfig(e.cs.dir, e.rulesDir, e.crmURL, e.redisAddr, write, e.pprof)
	return startVeil(ctx, e.cs, e.veilBinary, name, cfg)
}

// close releases the Redis client (the processes are the children's).
func (e *env) close() {
	if e.rdb != nil {
		_ = e.rdb.Close()
	}
}

// alive fails when a server of the run has exited.
func (e *env) alive() error {
	list := []*child{e.crm, e.bare, e.redis}
	if e.veil != nil {
		list = append(list, e.veil.child)
	}
	for _, c := range list {
		if c == nil {
			continue
		}
		if err := c.alive(); err != nil {
			return err
		}
	}
	return nil
}

// queryPath is the Salesforce query of the first n Contacts.
func queryPath(n int) string {
	return "/services/data/v62.0/query?q=" + url.QueryEscape(benchdata.ContactSOQL+" LIMIT "+strconv.Itoa(n))
}

// sizeCase is one payload size and what the verification found in it.
type sizeCase struct {
	Label      string         `json:"size"`
	Records    int            `json:"records"`
	Bytes      int            `json:"bytes"`      // the CRM's body
	VeilBytes  int64          `json:"veil_bytes"` // the body Veil answers with
	Findings   int            `json:"findings"`   // in Veil's audit event of one response
	Categories map[string]int `json:"categories"` // the event's findings by category
	Actions    map[string]int `json:"actions"`    // the event's findings by action
	Rewritten  int            `json:"rewritten"`  // personal values the client saw changed
	Personal   int            `json:"personal"`   // personal values the CRM sent
	PerRecord  float64        `json:"findings_per_record"`
}

// verify fetches the size's page directly, through the bare proxy and
// through Veil, and fails unless the first two are the CRM's bytes and
// Veil answers 200 with every personal value rewritten. Veil's own count
// of what it found comes from the response's audit event in Redis.
func verify(ctx context.Context, e *env, size int) (sizeCase, error) {
	n := benchdata.RecordsFor(size)
	want := benchdata.QueryPage(n)
	sc := sizeCase{Label: sizeLabel(int64(size)), Records: n, Bytes: len(want), Personal: benchdata.PIIPerRecord * n}
	for _, base := range []string{e.crmURL, e.bareURL} {
		status, _, body, err := get(ctx, base+queryPath(n))
		if err != nil {
			return sc, err
		}
		if status != http.StatusOK || string(body) != string(want) {
			return sc, fmt.Errorf("%s: %s: status %d, %d bytes, not the CRM's page", sc.Label, base, status, len(body))
		}
	}
	after, err := lastAuditID(ctx, e.rdb)
	if err != nil {
		return sc, fmt.Errorf("audit stream: %w", err)
	}
	status, code, body, err := get(ctx, e.veil.url+queryPath(n))
	if err != nil {
		return sc, err
	}
	if status != http.StatusOK {
		return sc, fmt.Errorf("%s through Veil: status %d, X-Veil-Error %q: the benchmark must not measure refusals", sc.Label, status, code)
	}
	sc.VeilBytes = int64(len(body))
	if sc.Rewritten, err = countRewritten(body, n); err != nil {
		return sc, fmt.Errorf("%s through Veil: %w", sc.Label, err)
	}
	if sc.Rewritten != sc.Personal {
		return sc, fmt.Errorf("%s through Veil: %d of %d personal values rewritten: the policy does not transform what the benchmark claims", sc.Label, sc.Rewritten, sc.Personal)
	}
	ev, err := nextResponseEvent(ctx, e.rdb, after)
	if err != nil {
		return sc, err
	}
	if ev.Outcome != "transformed" || ev.Object != "Contact" || ev.Operation != "query" {
		return sc, fmt.Errorf("%s: audit event says %s %s %s, want a transformed query of Contact", sc.Label, ev.Outcome, ev.Operation, ev.Object)
	}
	sc.Findings, sc.Categories, sc.Actions = ev.findings(), ev.Categories, ev.Actions
	sc.PerRecord = float64(sc.Findings) / float64(n)
	return sc, nil
}

// get fetches u as the benchmark's principal.
func get(ctx context.Context, u string) (int, string, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Authorization", "Bearer "+benchToken)
	tr := newTransport(1)
	defer tr.CloseIdleConnections()
	res, err := tr.RoundTrip(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("X-Veil-Error"), b, err
}

// countRewritten counts the personal values of a query result through
// Veil that differ from what the CRM sent; a record out of place (its Id
// changed) is an error.
func countRewritten(body []byte, n int) (int, error) {
	var page struct {
		Records []map[string]any `json:"records"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return 0, fmt.Errorf("not a query result: %w", err)
	}
	if len(page.Records) != n {
		return 0, fmt.Errorf("%d records, want %d", len(page.Records), n)
	}
	rewritten := 0
	for i, r := range page.Records {
		if r["Id"] != benchdata.ContactID(i) {
			return 0, fmt.Errorf("record %d is not the CRM's", i)
		}
		for _, f := range benchdata.PIIFields {
			if v, _ := r[f.Name].(string); v != f.Value(i) {
				rewritten++
			}
		}
	}
	return rewritten, nil
}

// target is one of the three things measured.
type target struct {
	name  string
	base  string
	procs map[string]int // role → pid, whose CPU is read
}

// targets are the CRM directly, the bare proxy and Veil.
func (e *env) targets() []target {
	return []target{
		// redis-server idles but for Veil's runs; read anyway, so that
		// "other" is what else ran on the machine.
		{"direct", e.crmURL, map[string]int{"crm": e.crm.pid(), "redis": e.redis.pid()}},
		{"bare", e.bareURL, map[string]int{"proxy": e.bare.pid(), "crm": e.crm.pid(), "redis": e.redis.pid()}},
		{"veil", e.veil.url, map[string]int{"proxy": e.veil.pid(), "crm": e.crm.pid(), "redis": e.redis.pid()}},
	}
}

// expectLen is the body length target's answers must have.
func (t target) expectLen(sc sizeCase) int64 {
	if t.name == "veil" {
		return sc.VeilBytes
	}
	return int64(sc.Bytes)
}

// measured is one measured target × size.
type measured struct {
	Size   string     `json:"size"`
	Target string     `json:"target"`
	Result loadResult `json:"result"`
	// Attempts is how many times the run was measured (-quiet-wait runs
	// again one that other programs disturbed; the least disturbed is kept).
	Attempts int `json:"attempts"`
	// Round is the saturation round (-rounds), 0 when there is one.
	Round int `json:"round,omitempty"`
	// Veil only, from its /metrics over the run (warm-up included).
	FindingsPerResponse float64 `json:"findings_per_response,omitempty"`
	CacheHitRatio       float64 `json:"policy_cache_hit_ratio,omitempty"`
	AuditWritten        float64 `json:"audit_events_written,omitempty"`
}

// measure runs f against t, and for Veil checks its counters over the
// run: every response transformed, none refused, no audit event dropped.
func measure(ctx context.Context, e *env, t target, f func(*cpuWatch) (loadResult, error)) (measured, error) {
	r := measured{Target: t.name}
	var before veilCounters
	if t.name == "veil" {
		m, err := scrape(ctx, e.veil.admin)
		if err != nil {
			return r, err
		}
		before = countersOf(m)
	}
	res, err := f(newCPUWatch(t.procs))
	if err != nil {
		if aerr := e.alive(); aerr != nil {
			err = errors.Join(err, aerr)
		}
		return r, fmt.Errorf("%s: %w", t.name, err)
	}
	r.Result = res
	if t.name != "veil" {
		return r, nil
	}
	m, err := scrape(ctx, e.veil.admin)
	if err != nil {
		return r, err
	}
	d := countersOf(m).sub(before)
	switch {
	case d.responses == 0:
		return r, errors.New("veil: no response counted in its metrics")
	case d.blocked != 0:
		return r, fmt.Errorf("veil refused %.0f messages during the run", d.blocked)
	case d.transformed != d.responses:
		return r, fmt.Errorf("veil transformed %.0f of %.0f responses", d.transformed, d.responses)
	case d.auditDropped != 0:
		return r, fmt.Errorf("veil dropped %.0f audit events", d.auditDropped)
	}
	r.FindingsPerResponse = d.findings / d.responses
	if lookups := d.cacheHit + d.cacheMiss; lookups > 0 {
		r.CacheHitRatio = d.cacheHit / lookups
	}
	r.AuditWritten = d.auditWritten
	return r, nil
}
