package proxy_test

// The Inspector end to end under fuzzing: Veil (the harness of
// harness_test.go) in front of a CRM stand-in that answers with, or
// records, whatever the fuzzer makes of a body, its Content-Type and its
// Content-Encoding. Whatever the input:
//
//   - Veil answers, never panics (no "internal" error, no panic logged);
//   - a refusal is an error in the route's CRM format, with none of the
//     planted personal values in it, and a refused request never reaches
//     the CRM;
//   - a body Veil passes on decodes in its Content-Encoding and parses in
//     its format, and each planted value the detectors find in the input
//     where the policy does not allow it as is (a response to the analyst:
//     masked or redacted; a request: tokenized) is gone from it: the
//     planted value occurs in the body's values at most as often as it
//     occurred in the input's values where the detectors did not find it;
//   - a body that is JSON (starts with { or [) is inspected whatever its
//     label or coding;
//   - the log holds none of the planted values.

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/pipeline"
	"github.com/veil-proxy/veil/proxy/scan"
)

// planted are the personal values the seeds carry and the invariants look
// for. Each is found by the detectors wherever it stands alone.
var planted = []string{
	"123-45-6789",                 // us_ssn
	"4111 1111 1111 1111",         // credit_card
	"4111111111111111",            // credit_card, as a string or a number
	"DE89 3704 0044 0532 0130 00", // iban
	"planted.person@example.org",  // email
	"+1 206 328 3475",             // phone
}

// The categories the analyst does not get as they are: in a response
// everything but postal codes, NPIs and Veil tokens (rules/data.json); in
// a request what the matrix tokenizes.
var (
	analystResponseAllowed = map[string]bool{detectors.CategoryPostalCode: true, detectors.CategoryUSNPI: true, detectors.CategoryVeilToken: true}
	analystRequestRewrites = map[string]bool{detectors.CategoryUSSSN: true, detectors.CategoryUSITIN: true, detectors.CategoryCreditCard: true,
		detectors.CategoryIBAN: true, detectors.CategoryBankAccount: true}
)

// fuzzCRM answers every request with the current answer and records the
// requests it is sent.
type fuzzCRM struct {
	*httptest.Server
	mu   sync.Mutex
	ans  fuzzAnswer
	reqs []seen
}

type fuzzAnswer struct {
	status    int
	ctype     string
	encoding  string
	body      []byte
	setHeader bool
}

func newFuzzCRM(t testing.TB) *fuzzCRM {
	c := &fuzzCRM{ans: fuzzAnswer{status: 200, ctype: "application/json", body: []byte("{}"), setHeader: true}}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		c.mu.Lock()
		c.reqs = append(c.reqs, seen{r.Method, r.URL.Path, r.Header.Clone(), b, err})
		a := c.ans
		c.mu.Unlock()
		if a.setHeader {
			w.Header().Set("Content-Type", a.ctype)
		} else {
			w.Header()["Content-Type"] = nil // no label at all
		}
		if a.encoding != "" {
			w.Header().Set("Content-Encoding", a.encoding)
		}
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *fuzzCRM) answer(a fuzzAnswer) {
	c.mu.Lock()
	c.ans, c.reqs = a, nil
	c.mu.Unlock()
}

func (c *fuzzCRM) requests() []seen {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]seen(nil), c.reqs...)
}

// takeLogs returns what was logged since the last call and forgets it.
func (h *harness) takeLogs() string {
	h.logs.mu.Lock()
	defer h.logs.mu.Unlock()
	s := h.logs.b.String()
	h.logs.b.Reset()
	return s
}

type fuzzRoute struct {
	method, path string
	salesforce   bool
}

var (
	fuzzResponseRoutes = []fuzzRoute{
		{"GET", "/services/data/v62.0/query?q=SELECT+Id,Name,Email+FROM+Contact", true},
		{"GET", "/services/data/v62.0/sobjects/Contact/003A00000fuzzAAA", true},
		{"GET", "/services/data/v62.0/jobs/query/7505g000000fuzzAAA/results", true},
		{"GET", "/crm/v3/objects/contacts?limit=3", false},
		{"GET", "/crm/v3/objects/contacts/51", false},
	}
	fuzzRequestRoutes = []fuzzRoute{
		{"PATCH", "/services/data/v62.0/sobjects/Contact/003A00000fuzzAAA", true},
		{"POST", "/services/data/v62.0/composite/sobjects", true},
		{"PUT", "/services/data/v62.0/jobs/ingest/7505g000000fuzzAAA/batches", true},
		{"POST", "/crm/v3/objects/contacts", false},
		{"POST", "/crm/v3/objects/contacts/batch/create", false},
	}
	fuzzStatuses = []int{200, 200, 201, 400, 404, 500, 503}
)

// fuzzSeeds are bodies with the planted values in every shape Veil reads,
// and the testdata/corpus payloads.
func fuzzSeeds(f *testing.F) (docs []string, types []string) {
	docs = []string{
		`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Contact","url":"/x"},"Id":"003A","Name":"Jane Roe","Email":"planted.person@example.org","SSN__c":"123-45-6789","Description":"card 4111 1111 1111 1111, iban DE89 3704 0044 0532 0130 00","Phone":"+1 206 328 3475","n":4111111111111111,"HasOptedOutOfEmail":true}]}`,
		`{"id":"51","properties":{"email":"planted.person@example.org","phone":"+1 206 328 3475","notes":"ssn 123-45-6789","hs_email_optout":"false"}}`,
		`{"results":[{"id":"1","properties":{"ssn":"123-45-6789"}}],"paging":{"next":{"after":"1","link":"https://api.hubapi.com/crm/v3/objects/contacts?after=1"}}}`,
		`[{"Card":"4111111111111111"},{"Card":4111111111111111},{"Card":4.111111111111111e15},"123-45-6789"]`,
		`{"allOrNone":false,"records":[{"attributes":{"type":"Contact"},"SSN__c":"123-45-6789"}]}`,
		`{"inputs":[{"properties":{"email":"planted.person@example.org","iban":"DE89 3704 0044 0532 0130 00"}}]}`,
		"Id,Email,SSN__c,Card__c\n003A,planted.person@example.org,123-45-6789,4111 1111 1111 1111\n003B,,\"123-45-6789\",\n",
		"Id;SSN__c\r\n003A;123-45-6789\r\n",
		"SSN__c\n123-45-6789\n",
		"email=planted.person%40example.org&ssn=123-45-6789&card=4111+1111+1111+1111&iban=DE89370400440532013000",
		"grant_type=password&123-45-6789=x",
		`{"a":"123-45-6789","a":"x"}`,
		`{"Description":"\u0031\u0032\u0033-45-6789"}`,
		"<html>123-45-6789</html>",
		strings.Repeat(" ", 600) + `{"SSN__c":"123-45-6789"}`,
	}
	paths, _ := filepath.Glob("../testdata/corpus/0*")
	for _, p := range paths {
		if strings.HasSuffix(p, ".expect.json") {
			continue
		}
		if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
			docs = append(docs, string(b))
		}
	}
	types = []string{"application/json", "application/json;charset=UTF-8", "text/csv", "application/x-www-form-urlencoded", "text/plain", "", "application/vnd.hubspot+json", "application/json; =", "text/html"}
	return docs, types
}

func FuzzInspectResponse(f *testing.F) {
	docs, types := fuzzSeeds(f)
	for i, d := range docs {
		ct := types[i%len(types)]
		switch {
		case strings.HasPrefix(d, "{") || strings.HasPrefix(d, "["):
			ct = "application/json"
		case strings.Contains(d, ",") || strings.Contains(d, ";"):
			ct = "text/csv"
		}
		for _, enc := range []string{"", "gzip", "deflate"} {
			f.Add(byte(i), []byte(d), ct, enc)
		}
	}
	f.Add(byte(5), []byte(docs[0]), "text/plain", "")
	f.Add(byte(6), []byte("<html>123-45-6789</html>"), "text/html", "")
	f.Add(byte(2), []byte(docs[0]), "application/json", "br")
	gz, _ := body.Encode(nil, []byte(docs[0]), "gzip")
	f.Add(byte(0x40), gz[:len(gz)/2], "application/json", "gzip") // cut short

	crm := newFuzzCRM(f)
	h := start(f, withUpstream(crm.URL))
	scanner := detectors.NewScanner(detectors.Default())
	f.Fuzz(func(t *testing.T, sel byte, doc []byte, ctype, enc string) {
		if !validHeader(ctype) || !validHeader(enc) {
			return
		}
		wire := onTheWire(sel, doc, enc)
		rt := fuzzResponseRoutes[int(sel)%len(fuzzResponseRoutes)]
		status := fuzzStatuses[int(sel/8)%len(fuzzStatuses)]
		crm.answer(fuzzAnswer{status: status, ctype: ctype, encoding: enc, body: wire, setHeader: sel&0x80 == 0 || ctype != ""})
		res := do(t, rt.method, h.veil+rt.path, "demo-analyst", "")
		checkLogs(t, h)
		if code := res.header.Get("X-Veil-Error"); code != "" {
			checkRefusal(t, res, code)
			return
		}
		if res.status != status {
			t.Fatalf("the CRM answered %d, Veil %d without an X-Veil-Error", status, res.status)
		}
		format := formatOf(ctype)
		if format == "" || len(wire) == 0 {
			return // not inspected, by design: streamed as it came
		}
		decoded, err := body.ReadAll(bytes.NewReader(wire), enc, 10<<20)
		if err != nil {
			t.Fatalf("a %s body that does not decode (%v) went on", format, err)
		}
		in, err := plantedIn(scanner, format, decoded, analystResponseAllowed, true)
		if err != nil {
			t.Fatalf("a %s body Veil cannot read (%v) went on: %.200q", format, err, decoded)
		}
		out, err := body.ReadAll(bytes.NewReader(res.body), res.header.Get("Content-Encoding"), 10<<20)
		if err != nil {
			t.Fatalf("the answer does not decode in %q: %v", res.header.Get("Content-Encoding"), err)
		}
		checkGone(t, format, in, decoded, out)
	})
}

func FuzzInspectRequest(f *testing.F) {
	docs, types := fuzzSeeds(f)
	for i, d := range docs {
		ct := types[i%len(types)]
		switch {
		case strings.HasPrefix(d, "{") || strings.HasPrefix(d, "["):
			ct = "application/json"
		case strings.Contains(d, "="):
			ct = "application/x-www-form-urlencoded"
		case strings.Contains(d, ",") || strings.Contains(d, ";"):
			ct = "text/csv"
		}
		for _, enc := range []string{"", "gzip", "deflate"} {
			f.Add(byte(i), []byte(d), ct, enc)
		}
	}
	// JSON under other labels, or none, is inspected all the same.
	for i, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "text/csv", "application/octet-stream", "multipart/form-data; boundary=x"} {
		for _, enc := range []string{"", "gzip"} {
			f.Add(byte(i), []byte(docs[i%2]), ct, enc)
		}
	}
	f.Add(byte(0), []byte(docs[0]), "application/json", "br")
	f.Add(byte(0), []byte(docs[0]), "application/json", "gzip, deflate")
	gz, _ := body.Encode(nil, []byte(docs[0]), "gzip")
	f.Add(byte(0x40), gz[:len(gz)/2], "application/json", "gzip") // cut short

	crm := newFuzzCRM(f)
	h := start(f, withUpstream(crm.URL))
	scanner := detectors.NewScanner(detectors.Default())
	f.Fuzz(func(t *testing.T, sel byte, doc []byte, ctype, enc string) {
		if !validHeader(ctype) || !validHeader(enc) {
			return
		}
		wire := onTheWire(sel, doc, enc)
		rt := fuzzRequestRoutes[int(sel)%len(fuzzRequestRoutes)]
		crm.answer(fuzzAnswer{status: 200, ctype: "application/json", body: []byte("{}"), setHeader: true})
		req, err := http.NewRequest(rt.method, h.veil+rt.path, bytes.NewReader(wire))
		if err != nil {
			t.Fatal(err)
		}
		if len(wire) == 0 {
			req.Body = http.NoBody
		}
		req.Header.Set("Authorization", "Bearer demo-analyst")
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if enc != "" {
			req.Header.Set("Content-Encoding", enc)
		}
		hr, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(hr.Body)
		hr.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		res := reply{hr.StatusCode, hr.Header, b}
		checkLogs(t, h)
		got := crm.requests()
		if code := res.header.Get("X-Veil-Error"); code != "" {
			checkRefusal(t, res, code)
			if len(got) != 0 {
				t.Fatalf("refused with %s, but the CRM was sent %d requests", code, len(got))
			}
			return
		}
		if res.status != 200 || len(got) != 1 || got[0].bodyErr != nil {
			t.Fatalf("forwarded: %d, the CRM got %d requests", res.status, len(got))
		}
		if len(wire) == 0 {
			return // no body, nothing to inspect
		}
		decoded, err := body.ReadAll(bytes.NewReader(wire), enc, 10<<20)
		switch {
		case errors.Is(err, body.ErrUnsupportedEncoding):
			// Whatever its label: a head Veil cannot decode is sniffed as
			// JSON, and refused.
			t.Fatalf("a body in a coding Veil cannot read (%q) went on", enc)
		case err != nil && (ctype == "" || formatOf(ctype) == pipeline.FormatJSON):
			t.Fatalf("a JSON body that does not decode (%v) went on", err)
		case err != nil || len(decoded) == 0:
			return // read past its head only: streamed as it came
		}
		format := formatOf(ctype)
		switch {
		case ctype == "" || looksLikeJSON(decoded):
			format = pipeline.FormatJSON // unlabelled, or JSON under any label
		case format == pipeline.FormatJSON:
		case format == "":
			return // not inspected, by design
		}
		in, err := plantedIn(scanner, format, decoded, analystRequestRewrites, false)
		if err != nil {
			if format == pipeline.FormatJSON {
				t.Fatalf("a JSON body Veil cannot read (%v) went on: %.200q", err, decoded)
			}
			return
		}
		out, err := body.ReadAll(bytes.NewReader(got[0].body), got[0].header.Get("Content-Encoding"), 10<<20)
		if err != nil {
			t.Fatalf("the CRM was sent a body that does not decode in %q: %v", got[0].header.Get("Content-Encoding"), err)
		}
		checkGone(t, format, in, decoded, out)
	})
}

// onTheWire is doc encoded in enc, so that the fuzzer mutates what the
// body says rather than its compressed bytes; or, with bit 0x40 of sel or
// a coding Veil does not write, doc as it is: corrupt, cut short or
// mislabelled streams.
func onTheWire(sel byte, doc []byte, enc string) []byte {
	if sel&0x40 != 0 {
		return doc
	}
	wire, err := body.Encode(nil, doc, enc)
	if err != nil {
		return doc
	}
	return wire
}

// validHeader: what a client can send as a header value at all.
func validHeader(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return strings.TrimSpace(v) == v
}

// formatOf is how Veil reads a body labelled ct (proxy.bodyFormat).
func formatOf(ct string) string {
	if body.IsJSON(ct) {
		return pipeline.FormatJSON
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		return ""
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		return pipeline.FormatForm
	case "text/csv":
		return pipeline.FormatCSV
	}
	return ""
}

func looksLikeJSON(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

// plantedCount is, per planted value, how often it occurs in the values
// of a body and how often in findings Veil must rewrite.
type plantedCount struct {
	inValues, found map[string]int
}

// plantedIn reads doc in format and counts the planted values in its
// values (and a form's names), and in the findings whose category is
// rewritten: every category but those in keep (response), or only those
// in keep (request).
func plantedIn(s *detectors.Scanner, format string, doc []byte, cats map[string]bool, keep bool) (plantedCount, error) {
	pc := plantedCount{inValues: map[string]int{}, found: map[string]int{}}
	rewritten := func(category string) bool { return cats[category] != keep }
	count := func(m map[string]int, text []byte) {
		for _, p := range planted {
			m[p] += bytes.Count(text, []byte(p))
		}
	}
	var finds []scan.Finding
	var err error
	switch format {
	case pipeline.FormatJSON:
		if err = body.WalkJSON(doc, body.Limits{MaxDepth: 64}, func(v *body.Value) error {
			if v.Kind == body.KindString || v.Kind == body.KindNumber {
				count(pc.inValues, v.Str)
			}
			return nil
		}); err != nil {
			return pc, err
		}
		finds, err = scan.JSON(s, doc, body.Limits{MaxDepth: 64})
	case pipeline.FormatCSV:
		if err = body.WalkCSV(doc, body.SniffCSV(doc), func(c *body.Cell) error {
			count(pc.inValues, c.Value)
			return nil
		}); err != nil {
			return pc, err
		}
		finds, err = scan.CSV(s, doc)
	case pipeline.FormatForm:
		var scratch []detectors.Finding
		err = body.WalkForm(doc, func(ff *body.FormField) error {
			count(pc.inValues, ff.Name)
			count(pc.inValues, ff.Value)
			for _, part := range []struct {
				text  []byte
				field detectors.Field
			}{{ff.Name, detectors.Field{Name: string(ff.Name)}}, {ff.Value, detectors.ClassifyFieldOf("", string(ff.Name))}} {
				scratch = s.Scan(scratch[:0], part.text, part.field)
				for _, fd := range scratch {
					if rewritten(fd.Category) {
						count(pc.found, part.text[fd.Start:fd.End])
					}
				}
			}
			return nil
		})
		return pc, err
	}
	for _, fd := range finds {
		if rewritten(fd.Category) {
			count(pc.found, []byte(fd.Text))
		}
	}
	return pc, err
}

// checkGone reads out in format and checks that every planted value
// found where Veil must rewrite it is gone.
func checkGone(t *testing.T, format string, in plantedCount, decoded, out []byte) {
	t.Helper()
	left := map[string]int{}
	count := func(text []byte) {
		for _, p := range planted {
			left[p] += bytes.Count(text, []byte(p))
		}
	}
	switch format {
	case pipeline.FormatJSON:
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%.300q went on as %.300q: not JSON (%v)", decoded, out, err)
		}
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				count([]byte(v))
			case json.Number:
				count([]byte(v))
			case []any:
				for _, e := range v {
					walk(e)
				}
			case map[string]any:
				for _, e := range v {
					walk(e)
				}
			}
		}
		walk(v)
	case pipeline.FormatCSV:
		if err := body.WalkCSV(out, body.SniffCSV(out), func(c *body.Cell) error {
			count(c.Value)
			return nil
		}); err != nil {
			t.Fatalf("%.300q went on as %.300q: not CSV (%v)", decoded, out, err)
		}
	case pipeline.FormatForm:
		if err := body.WalkForm(out, func(ff *body.FormField) error {
			count(ff.Name)
			count(ff.Value)
			return nil
		}); err != nil {
			t.Fatalf("%.300q went on as %.300q: not a form (%v)", decoded, out, err)
		}
	}
	for _, p := range planted {
		if in.found[p] > 0 && left[p] > in.inValues[p]-in.found[p] {
			t.Fatalf("%q found %d times (%d in all) is still there %d times: %.300q went on as %.300q",
				p, in.found[p], in.inValues[p], left[p], decoded, out)
		}
	}
}

// checkRefusal: a refusal in the route's CRM format that quotes none of
// the planted values, and no crash.
func checkRefusal(t *testing.T, res reply, code string) {
	t.Helper()
	if code == "internal" || res.status == http.StatusInternalServerError {
		t.Fatalf("Veil failed: %d %s %s", res.status, code, res.body)
	}
	refused(t, res, res.status, code)
	for _, p := range planted {
		if bytes.Contains(res.shown(), []byte(p)) {
			t.Fatalf("the refusal quotes %q: %s", p, res.body)
		}
	}
}

func checkLogs(t *testing.T, h *harness) {
	t.Helper()
	logs := h.takeLogs()
	if strings.Contains(logs, "panic serving request") {
		t.Fatalf("Veil panicked:\n%s", logs)
	}
	for _, p := range planted {
		if strings.Contains(logs, p) {
			t.Fatalf("the log holds %q:\n%s", p, grepLines(logs, p))
		}
	}
}
