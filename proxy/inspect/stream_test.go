package inspect

// Responses over limits.max_body_bytes, inspected a chunk at a time
// (stream.go), held to what the in-memory path does with the same body:
// the same bytes out, the same counts in the one audit event, the same
// records counted by the watch; refusals before the headers in the CRM's
// format, after them as a broken transfer.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/identity"
	"github.com/veil-proxy/veil/proxy/metrics"
	"github.com/veil-proxy/veil/proxy/pipeline"
	"github.com/veil-proxy/veil/proxy/record"
	"github.com/veil-proxy/veil/proxy/scope"
	"github.com/veil-proxy/veil/proxy/watch"
)

// memRecorder keeps the audit events and alerts.
type memRecorder struct {
	mu     sync.Mutex
	events []audit.Event
	alerts []audit.Alert
}

func (r *memRecorder) Record(e audit.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return nil
}

func (r *memRecorder) Alert(a audit.Alert) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.alerts = append(r.alerts, a)
	return nil
}

func (r *memRecorder) Healthy() bool { return true }

// memWatch keeps the observations and answers stats of its own.
type memWatch struct {
	mu    sync.Mutex
	seen  []watch.Observation
	stats func() map[string]int64
}

func (w *memWatch) Stats(context.Context, string, string) map[string]int64 {
	if w.stats == nil {
		return nil
	}
	return w.stats()
}

func (w *memWatch) Observe(_ context.Context, o watch.Observation) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = append(w.seen, o)
}

func (w *memWatch) piiRecords() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, o := range w.seen {
		n += o.PIIRecords
	}
	return n
}

// rig is an Inspector with a recorder, a watch and metrics of its own.
type rig struct {
	in  *Inspector
	rec *memRecorder
	w   *memWatch
	m   *metrics.Metrics
}

// newRig streams responses over maxBody in chunks of chunk bytes; a
// maxBody of 0 holds every body in memory (the reference).
func newRig(d pipeline.Decider, maxBody int64, chunk int) *rig {
	m := metrics.New(prometheus.NewRegistry(), "t")
	r := &rig{rec: &memRecorder{}, w: &memWatch{}, m: m}
	p := pipeline.New(pipeline.Options{Scanner: detectors.NewScanner(detectors.Default()), Decider: d, Metrics: m, Log: zap.NewNop(), Limits: config.Limits{MaxJSONDepth: 64}, Stats: r.w})
	lim := streamLimits{chunk: chunk, records: streamChunkRecords, max: 1 << 40, stall: 5 * time.Second, maxIDs: streamRecordIDs}
	if maxBody == 0 {
		maxBody, lim.max = 1<<30, 0
	}
	r.in = &Inspector{pipe: p, maxBody: maxBody, log: zap.NewNop(), streaming: lim, metrics: m,
		rec: record.New(record.Options{Audit: r.rec, Watch: r.w, Metrics: m, Log: zap.NewNop()})}
	return r
}

// exchange is a response as the listener hands it to InspectResponse.
type exchange struct {
	route       *config.Route
	call        crm.Call
	path, ctype string
	enc         string // Content-Encoding of the wire body
	status      int
}

// served is what the client got.
type served struct {
	res     *http.Response
	body    []byte // decoded
	readErr error
	sc      *scope.Scope
}

func (r *rig) serve(t *testing.T, x exchange, wire []byte) served {
	t.Helper()
	return r.serveFrom(t, x, io.NopCloser(bytes.NewReader(wire)), int64(len(wire)))
}

func (r *rig) serveFrom(t *testing.T, x exchange, b io.ReadCloser, n int64) served {
	t.Helper()
	got := r.serveNoRead(t, x, b)
	wire, readErr := io.ReadAll(got.res.Body)
	_ = got.res.Body.Close()
	got.body, got.readErr = wire, readErr
	if x.enc != "" && got.res.Header.Get("Content-Encoding") != "" && readErr == nil {
		d, err := decodeGzip(wire)
		if err != nil {
			t.Fatalf("the answer does not decode: %v", err)
		}
		got.body = d
	}
	return got
}

// serveNoRead runs InspectResponse over a response with body b and
// leaves its body unread.
func (r *rig) serveNoRead(t *testing.T, x exchange, b io.ReadCloser) served {
	t.Helper()
	sc := &scope.Scope{RequestID: "req-1", Route: x.route, Call: x.call, Principal: scopePrincipal(), Purpose: "support", ClientIP: "127.0.0.1"}
	req := httptest.NewRequest("GET", x.path, nil)
	req = req.WithContext(scope.With(req.Context(), sc))
	status := x.status
	if status == 0 {
		status = 200
	}
	res := &http.Response{StatusCode: status, Header: http.Header{}, Body: b, ContentLength: -1, Request: req}
	res.Header.Set("Content-Type", x.ctype)
	res.Header.Set("ETag", `"v1"`)
	res.Header.Set("Sforce-Locator", "MTAwMDA")
	if x.enc != "" {
		res.Header.Set("Content-Encoding", x.enc)
	}
	if err := r.in.InspectResponse(res); err != nil {
		t.Fatalf("InspectResponse: %v", err)
	}
	return served{res: res, sc: sc}
}

func decodeGzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

func (r *rig) events() []audit.Event {
	r.rec.mu.Lock()
	defer r.rec.mu.Unlock()
	return slices.Clone(r.rec.events)
}

// testPolicy masks e-mail addresses and phone numbers, redacts the rest,
// empties the e-mail of a record opted out of e-mail and drops a record
// whose owner asked not to be called; a card number anywhere denies the
// message. Each decision has its own id.
func testPolicy() *decider {
	var mu sync.Mutex
	n := 0
	return &decider{make: func(in *policy.Input) (*policy.Decision, error) {
		mu.Lock()
		n++
		id := fmt.Sprintf("dec-%d", n)
		mu.Unlock()
		dec := &policy.Decision{ID: id, Revision: "rev", Allow: true,
			Default: map[string]string{"email": "mask", "phone": "mask", "person_name": "allow"}}
		for _, f := range in.Findings {
			if f.Category == "credit_card" {
				dec.Allow = false
				dec.Deny = []policy.Reason{{Rule: "no_cards", Message: "no card numbers"}}
				dec.Alerts = []policy.Alert{{Kind: "no_cards", Severity: "high"}}
			}
		}
		for _, r := range in.Records {
			if r.Consent["email_opt_out"] {
				dec.Drop = append(dec.Drop, r.Pointer+"/Email")
			}
			if r.Consent["call_opt_out"] {
				dec.Drop = append(dec.Drop, r.Pointer)
			}
		}
		if len(in.Findings) > 0 {
			dec.Alerts = append(dec.Alerts, policy.Alert{Kind: "pii_read", Severity: "low"})
		}
		return dec, nil
	}}
}

var (
	sfQuery    = crm.Call{Operation: crm.OpQuery, Object: "Contact", Collection: true}
	bulkResult = exchange{route: sfRoute, call: crm.Call{Operation: crm.OpQuery, Collection: true},
		path: "/services/data/v62.0/jobs/query/750x/results", ctype: "text/csv"}
	hsRoute = &config.Route{Name: "hubspot", Dialect: config.DialectHubSpot}
)

// bulkCSV is a Bulk API result of n rows: quoted fields holding the
// delimiter, quotes and line ends, rows of uneven length, consent
// columns, personal data in every row.
func bulkCSV(n int, delim, eol string, card int) []byte {
	var b bytes.Buffer
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	fmt.Fprint(&b, strings.Join([]string{q("Id"), q("Name"), q("Email"), q("Phone"), q("HasOptedOutOfEmail"), q("DoNotCall"), q("Description")}, delim), eol)
	for i := range n {
		desc := fmt.Sprintf("note %d%s with %s, \"quotes\" and%sa second line %s", i, strings.Repeat("x", i%37), delim, eol, strings.Repeat("y", i%13))
		if i == card {
			desc = "paid with 4111 1111 1111 1111"
		}
		row := []string{
			q(fmt.Sprintf("003A%011d", i)), q(fmt.Sprintf("Person %d", i)), q(fmt.Sprintf("person.%d@example.com", i)),
			q(fmt.Sprintf("+1 206 555 %04d", 100+i%9000)), q(fmt.Sprint(i%5 == 0)), q(fmt.Sprint(i%11 == 3)), q(desc),
		}
		if i%7 == 0 {
			row[3] = "" // an empty, unquoted cell
		}
		fmt.Fprint(&b, strings.Join(row, delim), eol)
	}
	return b.Bytes()
}

func gzipped(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return out.Bytes()
}

// sameEvent holds a streamed message's event to the in-memory one.
func sameEvent(t *testing.T, streamed, whole audit.Event) {
	t.Helper()
	if streamed.Outcome != whole.Outcome || !maps.Equal(streamed.Categories, whole.Categories) || !maps.Equal(streamed.Actions, whole.Actions) ||
		!slices.Equal(streamed.RecordIDs, whole.RecordIDs) || streamed.Status != whole.Status || streamed.DecisionID == "" {
		t.Errorf("streamed event\n%+v\nwhole\n%+v", streamed, whole)
	}
	if streamed.Chunks < 2 || whole.Chunks != 0 {
		t.Errorf("chunks: streamed %d, whole %d", streamed.Chunks, whole.Chunks)
	}
}

// Every row of a CSV over the limit is inspected and transformed as it
// would be in memory: the same bytes come out, whatever the chunk size,
// the delimiter, the line ends and the encoding; one event holds the
// counts, the watch counts every record the caller got.
func TestStreamedCSVMatchesTheWholeBody(t *testing.T) {
	for _, c := range []struct {
		name, delim, eol, enc string
		chunk                 int
	}{
		{"comma LF", ",", "\n", "", 1024},
		{"comma CRLF, small chunks", ",", "\r\n", "", 300},
		{"semicolon", ";", "\n", "", 4096},
		{"tab CRLF gzip", "\t", "\r\n", "gzip", 2048},
		{"pipe gzip", "|", "\n", "gzip", 700},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := bulkCSV(400, c.delim, c.eol, -1)
			wire := doc
			if c.enc != "" {
				wire = gzipped(doc)
			}
			x := bulkResult
			x.enc = c.enc
			ref := newRig(testPolicy(), 0, 0)
			whole := ref.serve(t, x, wire)
			if whole.readErr != nil || whole.res.StatusCode != 200 {
				t.Fatalf("in memory: %d %v", whole.res.StatusCode, whole.readErr)
			}
			r := newRig(testPolicy(), int64(len(doc)/3), c.chunk)
			got := r.serve(t, x, wire)
			if got.readErr != nil || got.res.StatusCode != 200 {
				t.Fatalf("streamed: %d %v", got.res.StatusCode, got.readErr)
			}
			if !bytes.Equal(got.body, whole.body) {
				t.Fatalf("the streamed body differs from the whole one (%d and %d bytes)", len(got.body), len(whole.body))
			}
			if bytes.Equal(whole.body, doc) || bytes.Contains(got.body, []byte("person.3@example.com")) {
				t.Fatal("nothing was transformed")
			}
			h := got.res.Header
			if got.res.ContentLength != -1 || h.Get("Content-Length") != "" || h.Get("ETag") != `W/"v1"` ||
				h.Get("Sforce-Locator") != "MTAwMDA" || h.Get("Content-Encoding") != c.enc {
				t.Errorf("headers: %d %v", got.res.ContentLength, h)
			}
			ev, wev := r.events(), ref.events()
			if len(ev) != 1 || len(wev) != 1 {
				t.Fatalf("%d events streamed, %d whole", len(ev), len(wev))
			}
			sameEvent(t, ev[0], wev[0])
			if n := r.w.piiRecords(); n != ref.w.piiRecords() || n < 300 {
				t.Errorf("the watch counted %d records, %d in memory", n, ref.w.piiRecords())
			}
			if got.sc.Outcome != "transformed" || len(got.sc.DecisionIDs) != 1 {
				t.Errorf("scope: %q %v", got.sc.Outcome, got.sc.DecisionIDs)
			}
			if v := testutil.ToFloat64(r.m.Streamed.WithLabelValues("salesforce", "transformed")); v != 1 {
				t.Errorf("veil_proxy_streamed_total = %v", v)
			}
			if v := testutil.ToFloat64(r.m.StreamChunks.WithLabelValues("salesforce")); int(v) != ev[0].Chunks {
				t.Errorf("veil_proxy_stream_chunks_total = %v, %d chunks", v, ev[0].Chunks)
			}
			if v := testutil.ToFloat64(r.m.Requests.WithLabelValues("salesforce", "response", "transformed")); v != 1 {
				t.Errorf("the message is counted %v times", v)
			}
			// The policy's alert is raised once, not once per chunk.
			if len(r.rec.alerts) != 1 || r.rec.alerts[0].Kind != "pii_read" {
				t.Errorf("alerts: %+v", r.rec.alerts)
			}
		})
	}
}

// Just under the limit the body is held whole as before, byte for byte
// the same answer with a Content-Length; just over it, it streams with
// the same bytes.
func TestStreamingStartsAtTheLimit(t *testing.T) {
	doc := bulkCSV(120, ",", "\n", -1)
	ref := newRig(testPolicy(), 0, 0)
	whole := ref.serve(t, bulkResult, doc)
	under := newRig(testPolicy(), int64(len(doc)), 1024).serve(t, bulkResult, doc)
	over := newRig(testPolicy(), int64(len(doc)-1), 1024).serve(t, bulkResult, doc)
	if !bytes.Equal(under.body, whole.body) || under.res.ContentLength != int64(len(whole.body)) || under.res.Header.Get("Content-Length") == "" {
		t.Errorf("under the limit: %d bytes, Content-Length %d", len(under.body), under.res.ContentLength)
	}
	if !bytes.Equal(over.body, whole.body) || over.res.ContentLength != -1 || over.readErr != nil {
		t.Errorf("over the limit: %d bytes, Content-Length %d, %v", len(over.body), over.res.ContentLength, over.readErr)
	}
}

// JSON pages over the limit are cut between records, and each batch is a
// page of the same shape: the members before and after the records come
// out as the whole body has them (nextRecordsUrl, paging), dropped
// records and fields too.
func TestStreamedJSONMatchesTheWholeBody(t *testing.T) {
	sf := func(n int) []byte {
		var b bytes.Buffer
		fmt.Fprintf(&b, `{"totalSize":%d,"done":false,"nextRecordsUrl":"/services/data/v62.0/query/01gD0000000002BIAQ-2000","records":[`, n)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"attributes":{"type":"Contact","url":"/services/data/v62.0/sobjects/Contact/003A%011d"},"Id":"003A%011d","Name":"Person %d",`+
				`"Email":"person.%d@example.com","Phone":"+1 206 555 %04d","HasOptedOutOfEmail":%v,"DoNotCall":%v,"Description":"a ] and a } and \" %s"}`,
				i, i, i, i, 100+i, i%5 == 0, i%11 == 3, strings.Repeat("z", i%29))
		}
		b.WriteString(`]}`)
		return b.Bytes()
	}
	hs := func(n int) []byte {
		var b bytes.Buffer
		b.WriteString(`{"results":[`)
		for i := range n {
			if i > 0 {
				b.WriteString(",\n  ")
			}
			fmt.Fprintf(&b, `{"id":"%d","properties":{"email":"person.%d@example.com","phone":"+1 206 555 %04d","hs_email_optout":"%v"},"archived":false}`, i, i, 100+i, i%5 == 0)
		}
		fmt.Fprintf(&b, `],"paging":{"next":{"after":"%d","link":"https://api.hubapi.com/crm/v3/objects/contacts?after=%d"}}}`, n, n)
		return b.Bytes()
	}
	// arr's first records, a batch and more of them, are dropped whole.
	arr := func(n, dropped int) []byte {
		var b bytes.Buffer
		b.WriteString("[\n")
		for i := range n {
			if i > 0 {
				b.WriteString(",\n")
			}
			fmt.Fprintf(&b, `{"Id":"a%d","Email":"person.%d@example.com","Tags":["x",["y"]],"DoNotCall":%v}`, i, i, i%11 == 3 || i < dropped || i == n-1)
		}
		b.WriteString("\n]\n")
		return b.Bytes()
	}
	generic := &config.Route{Name: "generic", Dialect: config.DialectGeneric}
	for _, c := range []struct {
		name string
		x    exchange
		doc  []byte
		// Blanks around records dropped from the array may differ: where
		// the whole body has blanks between the array's bracket and the
		// first record kept, RewriteJSON keeps or leaves them depending on
		// the records dropped before, which a batch does not all see.
		blanks bool
	}{
		{"Salesforce query", exchange{route: sfRoute, call: sfQuery, path: "/services/data/v62.0/query", ctype: "application/json;charset=UTF-8"}, sf(300), false},
		{"Salesforce query gzip", exchange{route: sfRoute, call: sfQuery, path: "/services/data/v62.0/query", ctype: "application/json", enc: "gzip"}, sf(300), false},
		{"HubSpot list", exchange{route: hsRoute, call: crm.Call{Operation: crm.OpList, Object: "contacts", Collection: true},
			path: "/crm/v3/objects/contacts", ctype: "application/json"}, hs(300), false},
		{"top-level array", exchange{route: generic, call: crm.Call{Operation: crm.OpOther}, path: "/api/people", ctype: "application/json"}, arr(300, 0), false},
		{"Salesforce array, the first batches dropped", exchange{route: sfRoute, call: crm.Call{Operation: crm.OpComposite, Collection: true},
			path: "/services/data/v62.0/composite/sobjects/Contact", ctype: "application/json"}, arr(300, 80), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			wire := c.doc
			if c.x.enc != "" {
				wire = gzipped(c.doc)
			}
			ref := newRig(testPolicy(), 0, 0)
			whole := ref.serve(t, c.x, wire)
			r := newRig(testPolicy(), int64(len(c.doc)/4), 2048)
			got := r.serve(t, c.x, wire)
			if whole.readErr != nil || got.readErr != nil || got.res.StatusCode != 200 || got.res.ContentLength != -1 {
				t.Fatalf("whole %v, streamed %d %v (Content-Length %d)", whole.readErr, got.res.StatusCode, got.readErr, got.res.ContentLength)
			}
			if !bytes.Equal(got.body, whole.body) && (!c.blanks || !bytes.Equal(compact(t, got.body), compact(t, whole.body))) {
				t.Fatalf("the streamed body differs from the whole one:\n%.600s\n%.600s", got.body, whole.body)
			}
			if bytes.Contains(got.body, []byte("person.299@example.com")) || bytes.Contains(got.body, []byte("person.298@example.com")) {
				t.Error("not transformed")
			}
			if err := body.WalkJSON(got.body, body.Limits{}, nil); err != nil {
				t.Errorf("the streamed body is no JSON: %v", err)
			}
			ev, wev := r.events(), ref.events()
			if len(ev) != 1 || len(wev) != 1 {
				t.Fatalf("%d events streamed, %d whole", len(ev), len(wev))
			}
			sameEvent(t, ev[0], wev[0])
			if r.w.piiRecords() != ref.w.piiRecords() || ref.w.piiRecords() < 200 {
				t.Errorf("the watch counted %d records, %d in memory", r.w.piiRecords(), ref.w.piiRecords())
			}
		})
	}
}

func compact(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatalf("no JSON: %v", err)
	}
	return out.Bytes()
}

// A refusal of the first chunk is the CRM-shaped error of the in-memory
// path, before any byte is sent; the CRM's body is closed.
func TestStreamRefusedBeforeTheHeaders(t *testing.T) {
	doc := bulkCSV(400, ",", "\n", 2)
	up := &closeTracker{Reader: bytes.NewReader(doc)}
	r := newRig(testPolicy(), int64(len(doc)/4), 1024)
	got := r.serveFrom(t, bulkResult, up, int64(len(doc)))
	if got.res.StatusCode != 403 || got.res.Header.Get("X-Veil-Error") != "policy_denied" || got.res.Header.Get("X-Veil-Decision-Id") != "dec-1" {
		t.Fatalf("got %d %v", got.res.StatusCode, got.res.Header)
	}
	if !bytes.Contains(got.body, []byte(`"errorCode":"policy_denied"`)) || bytes.Contains(got.body, []byte("4111")) || !up.closed {
		t.Errorf("body %s, upstream closed %v", got.body, up.closed)
	}
	ev := r.events()
	if len(ev) != 1 || ev[0].Outcome != audit.OutcomeBlocked || ev[0].Code != "policy_denied" || ev[0].DecisionID != "dec-1" ||
		ev[0].Chunks != 1 || !slices.Equal(ev[0].Rules, []string{"no_cards"}) {
		t.Errorf("event: %+v", ev)
	}
	if v := testutil.ToFloat64(r.m.Blocks.WithLabelValues("salesforce", "response", "policy_denied")); v != 1 {
		t.Errorf("blocked %v", v)
	}
}

type closeTracker struct {
	io.Reader
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

// A refusal of a later chunk breaks the transfer: the client has the
// chunks before it, then an error, never an end that looks whole. The
// event says blocked, with the refusing decision and every chunk's
// counts; no value of the refused chunk went out.
func TestStreamRefusedLaterBreaksTheTransfer(t *testing.T) {
	doc := bulkCSV(400, ",", "\r\n", 350)
	for _, enc := range []string{"", "gzip"} {
		x := bulkResult
		wire := doc
		if enc != "" {
			x.enc, wire = enc, gzipped(doc)
		}
		r := newRig(testPolicy(), int64(len(doc)/4), 2048)
		sc := &scope.Scope{}
		got := r.serve(t, x, wire)
		sc = got.sc
		var se *streamError
		if got.res.StatusCode != 200 || !errors.As(got.readErr, &se) || se.code != "policy_denied" {
			t.Fatalf("%s: %d, read error %v", enc, got.res.StatusCode, got.readErr)
		}
		if enc == "" && (len(got.body) == 0 || bytes.Contains(got.body, []byte("4111")) || bytes.Contains(got.body, []byte("003A00000000349"))) {
			t.Errorf("sent %d bytes, up to the refused chunk?", len(got.body))
		}
		ev := r.events()
		if len(ev) != 1 {
			t.Fatalf("%d events", len(ev))
		}
		e := ev[0]
		if e.Outcome != audit.OutcomeBlocked || e.Code != "policy_denied" || e.Chunks < 3 || e.DecisionID != fmt.Sprintf("dec-%d", e.Chunks) ||
			!slices.Equal(e.Rules, []string{"no_cards"}) || e.Categories["credit_card"] != 1 || e.Categories["email"] < 300 {
			t.Errorf("%s: event %+v", enc, e)
		}
		if sc.Outcome != "blocked" || sc.Code != "policy_denied" || !slices.Equal(sc.DecisionIDs, []string{"dec-1", e.DecisionID}) {
			t.Errorf("scope %q %q %v", sc.Outcome, sc.Code, sc.DecisionIDs)
		}
		if testutil.ToFloat64(r.m.Streamed.WithLabelValues("salesforce", "blocked")) != 1 ||
			testutil.ToFloat64(r.m.Blocks.WithLabelValues("salesforce", "response", "policy_denied")) != 1 ||
			testutil.ToFloat64(r.m.Requests.WithLabelValues("salesforce", "response", "transformed")) != 0 {
			t.Error("metrics")
		}
		kinds := map[string]int{}
		for _, a := range r.rec.alerts {
			kinds[a.Kind]++
		}
		if kinds["no_cards"] != 1 || kinds["pii_read"] != 1 {
			t.Errorf("alerts %v", kinds)
		}
	}
}

// decider answers with a fixed decision built from the input it saw.
type decider struct {
	seen *policy.Input
	make func(in *policy.Input) (*policy.Decision, error)
}

func (d *decider) Decide(_ context.Context, in *policy.Input) (*policy.Decision, error) {
	d.seen = in
	return d.make(in)
}

var sfRoute = &config.Route{Name: "salesforce", Dialect: config.DialectSalesforce}

func scopePrincipal() identity.Principal {
	return identity.Principal{ID: "p", Roles: []string{"sales_rep"}}
}
