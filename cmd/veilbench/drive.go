package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
	return "/services/data/v62.0/query?q=" + url.QueryEscape(benchdata.ContactQuery(n))
}

// Payload formats: a query result in JSON, or the same records in
// Salesforce's REST XML (asked with Accept: application/xml).
const (
	formatJSON = "json"
	formatXML  = "xml"
)

// acceptOf is the Accept header that asks the CRM for format ("" for
// JSON: what the JSON runs always sent).
func acceptOf(format string) string {
	if format == formatXML {
		return "application/xml"
	}
	return ""
}

// caseLabel names a payload: its JSON page's size, and " XML" for the
// same records in XML ("10 KB", "10 KB XML").
func caseLabel(size int, format string) string {
	if format == formatXML {
		return sizeLabel(int64(size)) + " XML"
	}
	return sizeLabel(int64(size))
}

// newCase is the payload of the JSON page of about size bytes, in format,
// before its verification.
func newCase(size int, format string) sizeCase {
	n := benchdata.RecordsFor(size)
	doc := benchdata.QueryPage(n)
	if format == formatXML {
		doc = benchdata.QueryPageXML(n)
	}
	return sizeCase{Label: caseLabel(size, format), Page: sizeLabel(int64(size)), Format: format,
		Records: n, Bytes: len(doc), Personal: benchdata.PIIPerRecord * n}
}

// casesOf lists the payloads o asks for: each JSON size followed by the
// same page in XML when -xml-sizes names it, then the XML pages whose JSON
// size is not measured. A page's formats follow each other, so that the
// saturation rounds interleave them.
func casesOf(o options) []sizeCase {
	var out []sizeCase
	seen := map[int]bool{}
	for _, s := range o.sizes {
		out = append(out, newCase(s, formatJSON))
		if slices.Contains(o.xmlSizes, s) && !seen[s] {
			out = append(out, newCase(s, formatXML))
		}
		seen[s] = true
	}
	for _, s := range o.xmlSizes {
		if !seen[s] {
			out = append(out, newCase(s, formatXML))
			seen[s] = true
		}
	}
	return out
}

// pageOf is the body the CRM sends for sc.
func pageOf(sc sizeCase) []byte {
	if sc.Format == formatXML {
		return benchdata.QueryPageXML(sc.Records)
	}
	return benchdata.QueryPage(sc.Records)
}

// sizeCase is one payload size and what the verification found in it.
type sizeCase struct {
	Label      string         `json:"size"`
	Page       string         `json:"page"`   // the JSON page's size, which the XML page's records are those of
	Format     string         `json:"format"` // json or xml
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

// verify fetches the case's page directly, through the bare proxy and
// through Veil, and fails unless the first two are the CRM's bytes and
// Veil answers 200, in the page's format, with every record in place,
// every personal value rewritten and no e-mail, phone or street the CRM
// sent left in it. Veil's own count of what it found comes from the
// response's audit event in Redis.
func verify(ctx context.Context, e *env, sc sizeCase) (sizeCase, error) {
	n := sc.Records
	want := pageOf(sc)
	accept := acceptOf(sc.Format)
	for _, base := range []string{e.crmURL, e.bareURL} {
		status, _, body, err := get(ctx, base+queryPath(n), accept)
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
	status, code, body, err := get(ctx, e.veil.url+queryPath(n), accept)
	if err != nil {
		return sc, err
	}
	if status != http.StatusOK {
		return sc, fmt.Errorf("%s through Veil: status %d, X-Veil-Error %q: the benchmark must not measure refusals", sc.Label, status, code)
	}
	sc.VeilBytes = int64(len(body))
	count := countRewritten
	if sc.Format == formatXML {
		count = countRewrittenXML
	}
	if sc.Rewritten, err = count(body, n); err != nil {
		return sc, fmt.Errorf("%s through Veil: %w", sc.Label, err)
	}
	if left := leaked(body, n); len(left) > 0 {
		return sc, fmt.Errorf("%s through Veil: %d personal values the CRM sent are still in the answer, such as %q", sc.Label, len(left), left[0])
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

// get fetches u as the benchmark's principal, with the Accept header
// accept unless it is "".
func get(ctx context.Context, u, accept string) (int, string, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Authorization", "Bearer "+benchToken)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
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

// countRewrittenXML is countRewritten for a REST XML query result: read
// with encoding/xml, it must be a QueryResult of n records (and say so in
// its totalSize), each the CRM's record at its place (its Id); a personal
// value counts as rewritten when its field's text differs from the CRM's
// or is nil.
func countRewrittenXML(body []byte, n int) (int, error) {
	recs, total, err := readXMLRecords(body)
	if err != nil {
		return 0, fmt.Errorf("not a query result: %w", err)
	}
	if len(recs) != n || total != strconv.Itoa(n) {
		return 0, fmt.Errorf("%d records (totalSize %q), want %d", len(recs), total, n)
	}
	rewritten := 0
	for i, r := range recs {
		if r["Id"] != benchdata.ContactID(i) {
			return 0, fmt.Errorf("record %d is not the CRM's", i)
		}
		for _, f := range benchdata.PIIFields {
			if v, ok := r[f.Name]; !ok || v != f.Value(i) {
				rewritten++
			}
		}
	}
	return rewritten, nil
}

// readXMLRecords reads a REST XML query result: its records' fields (text
// by element name; a field with xsi:nil="true" is left out) and its
// totalSize.
func readXMLRecords(body []byte) ([]map[string]string, string, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	var (
		recs  []map[string]string
		total string
		path  []string
		text  []byte
		null  bool
		root  bool
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, "", err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			path = append(path, tok.Name.Local)
			text, null = text[:0], false
			for _, a := range tok.Attr {
				if a.Name.Local == "nil" && a.Value == "true" {
					null = true
				}
			}
			switch {
			case len(path) == 1 && (root || tok.Name.Local != "QueryResult"):
				return nil, "", fmt.Errorf("root element %s, want one QueryResult", tok.Name.Local)
			case len(path) == 1:
				root = true
			case len(path) == 2 && tok.Name.Local == "records":
				recs = append(recs, map[string]string{})
			}
		case xml.CharData:
			text = append(text, tok...)
		case xml.EndElement:
			switch {
			case len(path) == 2 && path[1] == "totalSize":
				total = string(text)
			case len(path) == 3 && path[1] == "records" && !null:
				recs[len(recs)-1][path[2]] = string(text)
			}
			path = path[:len(path)-1]
		}
	}
	if !root {
		return nil, "", errors.New("no QueryResult")
	}
	return recs, total, nil
}

// leaked lists the e-mails, phone numbers and streets of the first n
// Contacts that appear in body as the CRM wrote them (in JSON and in XML
// alike: none of them holds a character either format escapes).
func leaked(body []byte, n int) []string {
	var out []string
	for i := range n {
		for _, v := range []string{benchdata.Email(i), benchdata.Phone(i), benchdata.Street(i)} {
			if bytes.Contains(body, []byte(v)) {
				out = append(out, v)
			}
		}
	}
	return out
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
