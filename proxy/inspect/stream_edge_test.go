package inspect

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/crm"
)

// refusedLater checks a stream broken after its headers: a 200 whose
// body ends in an error, and one blocked event with the code.
func refusedLater(t *testing.T, r *rig, got served, code string) audit.Event {
	t.Helper()
	var se *streamError
	if got.res.StatusCode != 200 || !errors.As(got.readErr, &se) || se.code != code {
		t.Fatalf("got %d, read error %v; want a broken 200 (%s)", got.res.StatusCode, got.readErr, code)
	}
	ev := r.events()
	if len(ev) != 1 || ev[0].Outcome != audit.OutcomeBlocked || ev[0].Code != code || ev[0].Chunks < 2 {
		t.Fatalf("events: %+v", ev)
	}
	return ev[0]
}

// What cannot be cut into records that fit a chunk is refused as it
// always was: body_too_large in the CRM's format when the first chunk
// shows it, a broken transfer when a later one does.
func TestStreamRefusesWhatCannotBeCut(t *testing.T) {
	giant := `{"Id":"003G","Description":"` + strings.Repeat("g", 5000) + `"}`
	small := func(i int) string { return fmt.Sprintf(`{"Id":"003A%05d","Email":"p.%d@example.com"}`, i, i) }
	page := func(giantAt int) []byte {
		var b strings.Builder
		b.WriteString(`{"totalSize":200,"done":true,"records":[`)
		for i := range 200 {
			if i > 0 {
				b.WriteByte(',')
			}
			if i == giantAt {
				b.WriteString(giant)
			} else {
				b.WriteString(small(i))
			}
		}
		b.WriteString("]}")
		return []byte(b.String())
	}
	q := exchange{route: sfRoute, call: sfQuery, path: "/services/data/v62.0/query", ctype: "application/json"}
	one := exchange{route: sfRoute, call: crm.Call{Operation: crm.OpRetrieve, Object: "Contact"}, path: "/services/data/v62.0/sobjects/Contact/003G", ctype: "application/json"}

	for _, c := range []struct {
		name string
		x    exchange
		doc  []byte
	}{
		{"a giant first record", q, page(0)},
		{"one record, no list", one, []byte(giant)},
		{"a list that is not the records of a collection", one, page(-1)},
		{"a CSV header longer than a chunk", bulkResult, []byte(strings.Repeat("Column,", 1000) + "Last\n1\n")},
	} {
		r := newRig(testPolicy(), 3000, 2048)
		got := r.serve(t, c.x, c.doc)
		if got.res.StatusCode != 502 || got.res.Header.Get("X-Veil-Error") != "body_too_large" || !bytes.Contains(got.body, []byte(`"errorCode":"body_too_large"`)) {
			t.Errorf("%s: %d %v %s", c.name, got.res.StatusCode, got.res.Header, got.body)
		}
		if ev := r.events(); len(ev) != 1 || ev[0].Outcome != audit.OutcomeBlocked || ev[0].Code != "body_too_large" {
			t.Errorf("%s: events %+v", c.name, ev)
		}
	}

	r := newRig(testPolicy(), 3000, 2048)
	refusedLater(t, r, r.serve(t, q, page(150)), "body_too_large")

	var csv bytes.Buffer
	csv.WriteString("Id,Note\n")
	for i := range 300 {
		note := "short"
		if i == 250 {
			note = `"` + strings.Repeat("long\n", 500) + `"`
		}
		fmt.Fprintf(&csv, "%d,%s\n", i, note)
	}
	r = newRig(testPolicy(), 3000, 2048)
	refusedLater(t, r, r.serve(t, bulkResult, csv.Bytes()), "body_too_large")
}

// A body that turns out malformed, a corrupt encoding, a policy that
// cannot be evaluated half way: the transfer breaks, nothing after the
// fault goes out.
func TestStreamFailuresBreakTheTransfer(t *testing.T) {
	doc := bulkCSV(300, ",", "\n", -1)
	// A quote in an unquoted field, far in.
	bad := bytes.Replace(doc, []byte(`"003A00000000250"`), []byte(`003A0"0000000250`), 1)
	r := newRig(testPolicy(), 4000, 2048)
	got := r.serve(t, bulkResult, bad)
	refusedLater(t, r, got, "upstream_invalid_body")
	if bytes.Contains(got.body, []byte("0000000250")) {
		t.Error("the malformed chunk went out")
	}

	gz := gzipped(doc)
	gz[len(gz)-12] ^= 0xff // the data near the end, or its checksum
	x := bulkResult
	x.enc = "gzip"
	r = newRig(testPolicy(), 4000, 2048)
	refusedLater(t, r, r.serve(t, x, gz), "upstream_invalid_body")

	calls := 0
	d := testPolicy()
	inner := d.make
	d.make = func(in *policy.Input) (*policy.Decision, error) {
		if calls++; calls == 4 {
			return nil, errors.New("evaluation failed")
		}
		return inner(in)
	}
	r = newRig(d, 4000, 2048)
	e := refusedLater(t, r, r.serve(t, bulkResult, doc), "policy_error")
	if e.Chunks != 4 || e.DecisionID != "dec-1" {
		t.Errorf("event %+v", e)
	}
}

// The policy sees, in input.stats, the records each chunk sent: a
// bulk-export limit cuts a long export short instead of letting one
// request through whole.
func TestStreamWatchFeedsThePolicyAsItGoes(t *testing.T) {
	doc := bulkCSV(600, ",", "\n", -1)
	d := testPolicy()
	inner := d.make
	d.make = func(in *policy.Input) (*policy.Decision, error) {
		dec, err := inner(in)
		if in.Stats["principal_pii_records"] >= 200 {
			dec.Allow, dec.Deny = false, []policy.Reason{{Rule: "bulk_export_limit"}}
		}
		return dec, err
	}
	r := newRig(d, 4000, 4096)
	r.w.stats = func() map[string]int64 { return map[string]int64{"principal_pii_records": int64(r.w.piiRecords())} }
	got := r.serve(t, bulkResult, doc)
	e := refusedLater(t, r, got, "policy_denied")
	rows, err := csv.NewReader(bytes.NewReader(got.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	sent := len(rows) - 1 // every row holds personal data
	if n := r.w.piiRecords(); sent < 200 || sent >= 600 || n != sent {
		t.Errorf("%d records sent, the watch counted %d", sent, n)
	}
	if e.Rules[0] != "bulk_export_limit" {
		t.Errorf("event %+v", e)
	}
}

// A gigabyte holds millions of records: one event lists the first
// streamRecordIDs ids and counts the rest.
func TestStreamEventBoundsRecordIDs(t *testing.T) {
	doc := bulkCSV(300, ",", "\n", -1)
	r := newRig(testPolicy(), 4000, 2048)
	r.in.streaming.maxIDs = 50
	got := r.serve(t, bulkResult, doc)
	ev := r.events()
	if got.readErr != nil || len(ev) != 1 || len(ev[0].RecordIDs) != 50 || ev[0].RecordIDsOmitted != 250 || ev[0].RecordIDs[49] != "003A00000000049" {
		t.Errorf("%v; %d ids, %d omitted", got.readErr, len(ev[0].RecordIDs), ev[0].RecordIDsOmitted)
	}
}

// meter counts what is read from it, and stalls at stallAt bytes.
type meter struct {
	r       io.Reader
	n       atomic.Int64
	stallAt int64
	closed  chan struct{}
}

func newMeter(b []byte, stallAt int64) *meter {
	return &meter{r: bytes.NewReader(b), stallAt: stallAt, closed: make(chan struct{})}
}

func (m *meter) Read(p []byte) (int, error) {
	if m.stallAt > 0 && m.n.Load() >= m.stallAt {
		<-m.closed
		return 0, errors.New("read on a closed body")
	}
	if m.stallAt > 0 {
		p = p[:min(int64(len(p)), m.stallAt-m.n.Load())]
	}
	n, err := m.r.Read(p)
	m.n.Add(int64(n))
	return n, err
}

func (m *meter) Close() error {
	select {
	case <-m.closed:
	default:
		close(m.closed)
	}
	return nil
}

// The client's reads drive the CRM's: nothing is read ahead of what the
// client takes but the chunk being decided, so memory holds a chunk
// whatever the body's size.
func TestStreamReadsOnlyWhatTheClientTakes(t *testing.T) {
	doc := bulkCSV(3000, ",", "\n", -1) // ~440 KB
	const maxBody, chunk = 16 << 10, 4 << 10
	r := newRig(testPolicy(), maxBody, chunk)
	up := newMeter(doc, 0)
	sc := r.serveLazy(t, bulkResult, up)
	// Decided before the headers: the limit's worth read, and a chunk.
	if n := up.n.Load(); n > maxBody+2*chunk {
		t.Errorf("%d bytes read before the client read any", n)
	}
	buf := make([]byte, 1024)
	var got int64
	for range 40 {
		n, err := sc.res.Body.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got += int64(n)
	}
	if ahead := up.n.Load() - got; ahead > maxBody+2*chunk {
		t.Errorf("read %d bytes from the CRM for %d sent", up.n.Load(), got)
	}
	// The client goes away: the event records what it was sent.
	_ = sc.res.Body.Close()
	ev := r.events()
	if len(ev) != 1 || ev[0].Outcome != audit.OutcomeTransformed || ev[0].Chunks < 2 || ev[0].Chunks > 20 {
		t.Errorf("events %+v", ev)
	}
	select {
	case <-up.closed:
	default:
		t.Error("the CRM's body is still open")
	}
}

// serveLazy runs InspectResponse with a short stall bound and leaves
// the body to the test.
func (r *rig) serveLazy(t *testing.T, x exchange, b io.ReadCloser) served {
	t.Helper()
	r.in.streaming.stall = 200 * time.Millisecond
	return r.serveNoRead(t, x, b)
}

// A CRM that stalls half way through a streamed body fails it after
// timeouts.upstream_response, not never.
func TestStreamStalledCRM(t *testing.T) {
	doc := bulkCSV(1000, ",", "\n", -1)
	r := newRig(testPolicy(), 16<<10, 4<<10)
	up := newMeter(doc, 60<<10)
	sc := r.serveLazy(t, bulkResult, up)
	t0 := time.Now()
	_, err := io.ReadAll(sc.res.Body)
	var se *streamError
	if !errors.As(err, &se) || se.code != crm.CodeUpstreamUnavailable || time.Since(t0) > 5*time.Second {
		t.Fatalf("after %v: %v", time.Since(t0), err)
	}
	if ev := r.events(); len(ev) != 1 || ev[0].Code != crm.CodeUpstreamUnavailable || ev[0].Outcome != audit.OutcomeBlocked {
		t.Errorf("events %+v", ev)
	}
}

// limits.max_stream_bytes bounds a streamed body too.
func TestStreamMaxBytes(t *testing.T) {
	doc := bulkCSV(1000, ",", "\n", -1)
	r := newRig(testPolicy(), 16<<10, 4<<10)
	r.in.streaming.max = 100 << 10
	got := r.serve(t, bulkResult, doc)
	refusedLater(t, r, got, "body_too_large")
	if len(got.body) > 100<<10 {
		t.Errorf("%d bytes sent", len(got.body))
	}
}

// The members around the records still pass through the listener's
// envelope editors (reverse mode's paging links) while the records
// stream.
func TestStreamEnvelopeEditors(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"results":[`)
	for i := range 200 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"%d","properties":{"email":"p.%d@example.com"}}`, i, i)
	}
	b.WriteString(`],"paging":{"next":{"after":"200","link":"https://api.hubapi.com/crm/v3/objects/contacts?after=200"}}}`)
	x := exchange{route: hsRoute, call: crm.Call{Operation: crm.OpList, Object: "contacts", Collection: true}, path: "/crm/v3/objects/contacts", ctype: "application/json"}
	for _, enc := range []string{"", "gzip"} {
		r := newRig(testPolicy(), 3000, 1024)
		wire := []byte(b.String())
		if enc != "" {
			x.enc, wire = enc, gzipped(wire)
		}
		sc := r.serveNoRead(t, x, io.NopCloser(bytes.NewReader(wire)))
		ee, ok := sc.res.Body.(interface{ EditEnvelope(func([]byte) []byte) })
		if !ok {
			t.Fatal("a streamed JSON body is no envelope editor")
		}
		var seen []string
		ee.EditEnvelope(func(doc []byte) []byte {
			seen = append(seen, string(doc))
			return bytes.ReplaceAll(doc, []byte("https://api.hubapi.com"), []byte("http://veil.test"))
		})
		got := readAll(t, sc, enc)
		if !bytes.Contains(got, []byte(`"link":"http://veil.test/crm/v3/objects/contacts?after=200"}}}`)) || bytes.Contains(got, []byte("p.7@example.com")) {
			t.Errorf("%s: %.200s … %s", enc, got, got[len(got)-120:])
		}
		if len(seen) != 2 || seen[0] != `{"results":[]}` || !strings.HasPrefix(seen[1], `{"results":[],"paging"`) {
			t.Errorf("the editor saw %q", seen)
		}
	}
}

func readAll(t *testing.T, sc served, enc string) []byte {
	t.Helper()
	wire, err := io.ReadAll(sc.res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if enc == "" {
		return wire
	}
	d, err := decodeGzip(wire)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A chunk is a page's worth of records at most (streamChunkRecords),
// however short they are: the policy sees every finding of it, where a
// megabyte of short rows would overflow its view (DefaultMaxFindings)
// and have the findings past it redacted, whatever the policy says.
func TestStreamChunksArePageSized(t *testing.T) {
	doc := bulkCSV(7000, ",", "\n", -1)
	r := newRig(testPolicy(), 64<<10, 4<<20)
	got := r.serve(t, bulkResult, doc)
	ev := r.events()
	if got.readErr != nil || len(ev) != 1 {
		t.Fatalf("%v, %d events", got.readErr, len(ev))
	}
	if e := ev[0]; e.Chunks != 4 || e.Categories["email"] != 7000 || e.Actions["redact"] != 0 || e.Actions["mask"] != e.Categories["email"]+e.Categories["phone"] {
		t.Errorf("chunks %d, categories %v, actions %v", e.Chunks, e.Categories, e.Actions)
	}
}
