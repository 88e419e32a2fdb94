package fakecrm

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

const v1Base = "/services/async/62.0/"

// v1 calls Bulk API 1.0 with a session header, as jsforce does.
func v1(t *testing.T, s *Server, method, path, body, ctype string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	return call(t, s, method, v1Base+path, body, append([]string{"Authorization", "", "X-SFDC-Session", "00Dtest", "Content-Type", ctype}, hdr...)...)
}

type jobInfo struct {
	XMLName                xml.Name `xml:"http://www.force.com/2009/06/asyncapi/dataload jobInfo"`
	ID                     string   `xml:"id"`
	Operation              string   `xml:"operation"`
	Object                 string   `xml:"object"`
	State                  string   `xml:"state"`
	ContentType            string   `xml:"contentType"`
	ExternalIDFieldName    string   `xml:"externalIdFieldName"`
	NumberBatchesCompleted int      `xml:"numberBatchesCompleted"`
	NumberBatchesFailed    int      `xml:"numberBatchesFailed"`
	NumberBatchesTotal     int      `xml:"numberBatchesTotal"`
	NumberRecordsProcessed int      `xml:"numberRecordsProcessed"`
	NumberRecordsFailed    int      `xml:"numberRecordsFailed"`
	APIVersion             string   `xml:"apiVersion"`
}

type batchInfoDoc struct {
	XMLName                xml.Name `xml:"http://www.force.com/2009/06/asyncapi/dataload batchInfo"`
	ID                     string   `xml:"id"`
	JobID                  string   `xml:"jobId"`
	State                  string   `xml:"state"`
	StateMessage           string   `xml:"stateMessage"`
	NumberRecordsProcessed int      `xml:"numberRecordsProcessed"`
	NumberRecordsFailed    int      `xml:"numberRecordsFailed"`
}

type v1ErrorDoc struct {
	XMLName xml.Name `xml:"http://www.force.com/2009/06/asyncapi/dataload error"`
	Code    string   `xml:"exceptionCode"`
	Message string   `xml:"exceptionMessage"`
}

func unmarshal[T any](t *testing.T, w *httptest.ResponseRecorder, status int) T {
	t.Helper()
	var v T
	if err := xml.Unmarshal(w.Body.Bytes(), &v); err != nil || w.Code != status {
		t.Fatalf("want %d and a %T: %d %v %s", status, v, w.Code, err, w.Body)
	}
	return v
}

// createV1Job opens a job as jsforce's Bulk API 1.0 client does.
func createV1Job(t *testing.T, s *Server, op, object, ct, extID string) jobInfo {
	t.Helper()
	ext := ""
	if extID != "" {
		ext = "<externalIdFieldName>" + extID + "</externalIdFieldName>"
	}
	body := `<?xml version="1.0" encoding="UTF-8"?><jobInfo  xmlns="http://www.force.com/2009/06/asyncapi/dataload">` +
		"<operation>" + op + "</operation><object>" + object + "</object>" + ext + "<contentType>" + ct + "</contentType></jobInfo>"
	j := unmarshal[jobInfo](t, v1(t, s, "POST", "job", body, "application/xml; charset=utf-8"), 201)
	if j.State != "Open" || !strings.HasPrefix(j.ID, "750") || len(j.ID) != 18 || j.APIVersion != "62.0" || j.Operation != op {
		t.Fatalf("job %+v", j)
	}
	return j
}

// addBatch adds a batch and checks it is Completed (or failed when fail).
func addBatch(t *testing.T, s *Server, job, body, ctype string, hdr ...string) batchInfoDoc {
	t.Helper()
	b := unmarshal[batchInfoDoc](t, v1(t, s, "POST", "job/"+job+"/batch", body, ctype, hdr...), 201)
	if b.State != "Queued" || b.JobID != job || !strings.HasPrefix(b.ID, "751") {
		t.Fatalf("new batch %+v", b)
	}
	return unmarshal[batchInfoDoc](t, v1(t, s, "GET", "job/"+job+"/batch/"+b.ID, "", ""), 200)
}

func TestBulkV1InsertCSV(t *testing.T) {
	s := newTest(t, Options{})
	sess := login(t, s, "u@example.com").Result.SessionID // SOAP sessions work here
	j := createV1Job(t, s, "insert", "contact", "CSV", "")
	if j.Object != "Contact" || j.ContentType != "CSV" {
		t.Fatalf("job %+v", j)
	}
	csv := "LastName,Email,HasOptedOutOfEmail,Description\n" +
		"Bulk,bulk1@example.com,true,\"Card 4111 1111 1111 1111, \"\"quoted\"\"\"\n" +
		"Bulk2,#N/A,false,\n" +
		"Short,row\n"
	b := unmarshal[batchInfoDoc](t, v1(t, s, "POST", "job/"+j.ID+"/batch", csv, "text/csv", "X-SFDC-Session", sess), 201)
	b = unmarshal[batchInfoDoc](t, v1(t, s, "GET", "job/"+j.ID+"/batch/"+b.ID, "", ""), 200)
	if b.State != "Completed" || b.NumberRecordsProcessed != 3 || b.NumberRecordsFailed != 1 {
		t.Fatalf("batch %+v", b)
	}
	w := v1(t, s, "GET", "job/"+j.ID+"/batch/"+b.ID+"/result", "", "")
	if !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") || !strings.HasPrefix(w.Body.String(), `"Id","Success","Created","Error"`+"\n") {
		t.Fatalf("result: %s %s", w.Header(), w.Body)
	}
	rows := parseCSV(t, w.Body.Bytes())
	if len(rows) != 4 || rows[1][1] != "true" || rows[1][2] != "true" || !strings.HasPrefix(rows[1][0], "003") || rows[3][1] != "false" || !strings.HasPrefix(rows[3][3], "INVALID_INPUT:") {
		t.Fatalf("rows %q", rows)
	}
	// Every cell quoted, as Salesforce writes them.
	for _, line := range strings.Split(strings.TrimSpace(w.Body.String()), "\n") {
		if !strings.HasPrefix(line, `"`) || !strings.HasSuffix(line, `"`) || strings.Count(line, `","`) != 3 {
			t.Errorf("line %q", line)
		}
	}
	rec := decode[map[string]any](t, call(t, s, "GET", "/services/data/v62.0/sobjects/Contact/"+rows[1][0], ""))
	if rec["HasOptedOutOfEmail"] != true || rec["Description"] != `Card 4111 1111 1111 1111, "quoted"` {
		t.Errorf("stored %v", rec)
	}
	// Close; no more batches; counts in the jobInfo.
	closed := unmarshal[jobInfo](t, v1(t, s, "POST", "job/"+j.ID, `<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload"><state>Closed</state></jobInfo>`, "application/xml; charset=utf-8"), 200)
	if closed.State != "Closed" || closed.NumberBatchesCompleted != 1 || closed.NumberBatchesTotal != 1 || closed.NumberRecordsProcessed != 3 || closed.NumberRecordsFailed != 1 {
		t.Errorf("closed %+v", closed)
	}
	e := unmarshal[v1ErrorDoc](t, v1(t, s, "POST", "job/"+j.ID+"/batch", csv, "text/csv"), 400)
	if e.Code != "InvalidJobState" {
		t.Errorf("batch on a closed job: %+v", e)
	}
	if j := unmarshal[jobInfo](t, v1(t, s, "GET", "job/"+j.ID, "", ""), 200); j.State != "Closed" {
		t.Errorf("GET job %+v", j)
	}
}

type xmlResults struct {
	XMLName xml.Name `xml:"http://www.force.com/2009/06/asyncapi/dataload results"`
	Results []struct {
		ID      string `xml:"id"`
		Success bool   `xml:"success"`
		Created bool   `xml:"created"`
		Errors  []struct {
			StatusCode string `xml:"statusCode"`
			Message    string `xml:"message"`
		} `xml:"errors"`
	} `xml:"result"`
}

func TestBulkV1XMLInsertThenUpdateAndUpsert(t *testing.T) {
	s := newTest(t, Options{})
	j := createV1Job(t, s, "insert", "Contact", "XML", "")
	b := addBatch(t, s, j.ID, `<?xml version="1.0" encoding="UTF-8"?>
<sObjects xmlns="http://www.force.com/2009/06/asyncapi/dataload" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <sObject><LastName>XmlBulk</LastName><Email>xb@example.com</Email><Phone xsi:nil="true"/></sObject>
  <sObject><Id>`+contactID+`</Id><LastName>NoInsertWithId</LastName></sObject>
</sObjects>`, "application/xml")
	if b.NumberRecordsProcessed != 2 || b.NumberRecordsFailed != 1 {
		t.Fatalf("batch %+v", b)
	}
	res := unmarshal[xmlResults](t, v1(t, s, "GET", "job/"+j.ID+"/batch/"+b.ID+"/result", "", ""), 200)
	if len(res.Results) != 2 || !res.Results[0].Success || !res.Results[0].Created || res.Results[1].Success || res.Results[1].Errors[0].StatusCode != "INVALID_FIELD_FOR_INSERT_UPDATE" {
		t.Fatalf("results %+v", res)
	}
	id := res.Results[0].ID

	u := createV1Job(t, s, "update", "Contact", "XML", "")
	b = addBatch(t, s, u.ID, `<sObjects xmlns="http://www.force.com/2009/06/asyncapi/dataload"><sObject><Id>`+id+`</Id><Title>Updated</Title></sObject></sObjects>`, "application/xml")
	res = unmarshal[xmlResults](t, v1(t, s, "GET", "job/"+u.ID+"/batch/"+b.ID+"/result", "", ""), 200)
	if len(res.Results) != 1 || !res.Results[0].Success || res.Results[0].Created || res.Results[0].ID != id {
		t.Fatalf("update %+v", res)
	}
	up := createV1Job(t, s, "upsert", "Contact", "CSV", "email")
	if up.ExternalIDFieldName != "Email" {
		t.Errorf("external id %q", up.ExternalIDFieldName)
	}
	b = addBatch(t, s, up.ID, "Email,Title\nxb@example.com,Upserted\nnew@example.com,New\n", "text/csv")
	rows := parseCSV(t, v1(t, s, "GET", "job/"+up.ID+"/batch/"+b.ID+"/result", "", "").Body.Bytes())
	if len(rows) != 3 || rows[1][0] != id || rows[1][2] != "false" || rows[2][2] != "true" {
		t.Fatalf("upsert %q", rows)
	}
	if rec := decode[map[string]any](t, call(t, s, "GET", "/services/data/v62.0/sobjects/Contact/"+id, "")); rec["Title"] != "Upserted" || rec["Phone"] != nil {
		t.Errorf("stored %v", rec)
	}
}

type xmlBulkQueryResult struct {
	XMLName xml.Name `xml:"http://www.force.com/2009/06/asyncapi/dataload queryResult"`
	Records []struct {
		Type  string `xml:"http://www.w3.org/2001/XMLSchema-instance type,attr"`
		Kind  string `xml:"type"`
		Email string `xml:"Email"`
		Phone struct {
			Nil string `xml:"http://www.w3.org/2001/XMLSchema-instance nil,attr"`
		} `xml:"MobilePhone"`
		Account struct {
			Kind string `xml:"type"`
			Name string `xml:"Name"`
		} `xml:"Account"`
	} `xml:"records"`
}

// queryV1 runs soql as a Bulk API 1.0 query job of content type ct and
// returns the result's body.
func queryV1(t *testing.T, s *Server, ct, soql string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	j := createV1Job(t, s, "query", "Contact", ct, "")
	b := addBatch(t, s, j.ID, soql, "text/csv", hdr...)
	if b.State != "Completed" {
		t.Fatalf("batch %+v", b)
	}
	list := unmarshal[struct {
		XMLName xml.Name `xml:"http://www.force.com/2009/06/asyncapi/dataload result-list"`
		Results []string `xml:"result"`
	}](t, v1(t, s, "GET", "job/"+j.ID+"/batch/"+b.ID+"/result", "", ""), 200)
	if len(list.Results) != 1 || !strings.HasPrefix(list.Results[0], "752") {
		t.Fatalf("result list %+v", list)
	}
	w := v1(t, s, "GET", "job/"+j.ID+"/batch/"+b.ID+"/result/"+list.Results[0], "", "")
	if w.Code != 200 {
		t.Fatalf("result: %d %s", w.Code, w.Body)
	}
	return w
}

func TestBulkV1Query(t *testing.T) {
	s := newTest(t, Options{})
	const soql = "SELECT Id, Email, MobilePhone, Account.Name FROM Contact ORDER BY Email"
	rest := restRecords(t, s, soql, []string{"Id", "Email"})

	w := queryV1(t, s, "XML", soql)
	if !strings.HasPrefix(w.Header().Get("Content-Type"), "application/xml") {
		t.Errorf("Content-Type %q", w.Header().Get("Content-Type"))
	}
	root := parseDoc(t, w.Body.Bytes())
	first := root.child("records")
	if !slicesEqual(childNames(first), []string{"type", "Id", "Id", "Email", "MobilePhone", "Account"}) || first.attr("type") != "sObject" {
		t.Fatalf("record %v: %s", childNames(first), w.Body)
	}
	var qr xmlBulkQueryResult
	if err := xml.Unmarshal(w.Body.Bytes(), &qr); err != nil {
		t.Fatal(err)
	}
	if len(qr.Records) != 12 {
		t.Fatalf("%d records", len(qr.Records))
	}
	for i, r := range qr.Records {
		if r.Type != "sObject" || r.Kind != "Contact" || r.Email != rest[i][1] || r.Account.Kind != "Account" || r.Account.Name == "" {
			t.Errorf("record %d: %+v, REST %v", i, r, rest[i])
		}
	}
	if qr.Records[0].Phone.Nil != "true" && qr.Records[1].Phone.Nil != "true" {
		t.Error("null fields should be xsi:nil")
	}

	w = queryV1(t, s, "CSV", soql)
	rows := parseCSV(t, w.Body.Bytes())
	if !slicesEqual(rows[0], []string{"Id", "Email", "MobilePhone", "Account.Name"}) || len(rows) != 13 || rows[1][0] != rest[0][0] {
		t.Fatalf("CSV %q", rows)
	}
	if !strings.HasPrefix(w.Body.String(), `"Id","Email","MobilePhone","Account.Name"`+"\n") {
		t.Errorf("header line %q", strings.SplitN(w.Body.String(), "\n", 2)[0])
	}
	if w := queryV1(t, s, "CSV", "SELECT Id FROM Contact WHERE Email = 'nobody@nowhere'"); w.Body.String() != "Records not found for this query" {
		t.Errorf("empty CSV result %q", w.Body)
	}
	if w := queryV1(t, s, "XML", "SELECT Id FROM Contact WHERE Email = 'nobody@nowhere'"); len(parseDoc(t, w.Body.Bytes()).Kids) != 0 {
		t.Errorf("empty XML result %s", w.Body)
	}
}

// countingWriter is a ResponseWriter that keeps no body: it counts bytes
// and writes, and fails once failAfter bytes are written (a client gone).
type countingWriter struct {
	h             http.Header
	code          int
	bytes, writes int64
	biggest       int
	failAfter     int64
	tail          []byte // the last bytes written, for tags split across writes
	count         int    // record start tags
}

func (c *countingWriter) Header() http.Header  { return c.h }
func (c *countingWriter) WriteHeader(code int) { c.code = code }
func (c *countingWriter) Write(b []byte) (int, error) {
	if c.failAfter > 0 && c.bytes >= c.failAfter {
		return 0, errors.New("client gone")
	}
	c.bytes += int64(len(b))
	c.writes++
	c.biggest = max(c.biggest, len(b))
	// Count record start tags, also across writes.
	buf := append(c.tail, b...)
	c.count += strings.Count(string(buf), `<records xsi:type="sObject">`)
	if n := len(`<records xsi:type="sObject">`) - 1; len(buf) > n {
		c.tail = append(c.tail[:0], buf[len(buf)-n:]...)
	}
	return len(b), nil
}

func TestBulkV1GeneratedResultStreams(t *testing.T) {
	s := newTest(t, Options{})
	const n = 20000
	j := createV1Job(t, s, "query", "Contact", "XML", "")
	b := addBatch(t, s, j.ID, "SELECT FIELDS(ALL) FROM Contact", "text/csv", "X-Fakecrm-Records", fmt.Sprint(n))
	if b.NumberRecordsProcessed != n {
		t.Fatalf("batch %+v", b)
	}
	path := v1Base + "job/" + j.ID + "/batch/" + b.ID + "/result/"
	list := parseDoc(t, v1(t, s, "GET", "job/"+j.ID+"/batch/"+b.ID+"/result", "", "").Body.Bytes())
	path += list.childText("result")

	get := func(cw *countingWriter) {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("X-SFDC-Session", "00Dtest")
		s.ServeHTTP(cw, r)
	}
	cw := &countingWriter{h: http.Header{}}
	get(cw)
	if cw.code != 200 || cw.count != n || cw.h.Get("Content-Length") != "" {
		t.Fatalf("%d: %d records, %d bytes, Content-Length %q", cw.code, cw.count, cw.bytes, cw.h.Get("Content-Length"))
	}
	// Written as it is made: 64 KB at a time, never in one piece.
	if cw.biggest > 64<<10 || cw.writes < cw.bytes/(64<<10) {
		t.Errorf("%d writes, the biggest %d bytes, for %d bytes", cw.writes, cw.biggest, cw.bytes)
	}
	t.Logf("%d generated records: %d bytes of XML, %d a record", n, cw.bytes, cw.bytes/n)
	// A client that goes away stops it.
	gone := &countingWriter{h: http.Header{}, failAfter: 256 << 10}
	get(gone)
	if gone.bytes > 256<<10+64<<10 {
		t.Errorf("kept writing after the client left: %d bytes", gone.bytes)
	}

	// The records: the query's, in turn, with unique Ids.
	w := queryV1(t, s, "XML", "SELECT Id, Email FROM Contact", "X-Fakecrm-Records", "30")
	var qr struct {
		Records []struct {
			ID    []string `xml:"Id"`
			Email string   `xml:"Email"`
		} `xml:"records"`
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &qr); err != nil || len(qr.Records) != 30 {
		t.Fatalf("%v %d", err, len(qr.Records))
	}
	seen := map[string]bool{}
	for i, r := range qr.Records {
		if len(r.ID) != 2 || r.ID[0] != r.ID[1] || len(r.ID[0]) != 18 || !strings.HasPrefix(r.ID[0], "003") || seen[r.ID[0]] || r.Email != qr.Records[i%12].Email {
			t.Errorf("record %d: %+v", i, r)
		}
		seen[r.ID[0]] = true
	}
	rows := parseCSV(t, queryV1(t, s, "CSV", "SELECT Id, Email FROM Contact", "X-Fakecrm-Records", "25").Body.Bytes())
	if len(rows) != 26 || rows[25][0] != "003Dn0000000024GEN" {
		t.Errorf("CSV %d rows, last %v", len(rows), rows[len(rows)-1])
	}
	// Gzip, when the client takes it.
	w = v1(t, s, "GET", strings.TrimPrefix(path, v1Base), "", "", "Accept-Encoding", "gzip")
	if w.Header().Get("Content-Encoding") != "gzip" || w.Body.Len() == 0 || int64(w.Body.Len()) > cw.bytes/4 {
		t.Errorf("gzip: %v, %d bytes", w.Header(), w.Body.Len())
	}
}

func TestBulkV1Errors(t *testing.T) {
	s := newTest(t, Options{})
	q := createV1Job(t, s, "query", "Contact", "XML", "")
	ins := createV1Job(t, s, "insert", "Contact", "CSV", "")
	tests := []struct {
		name, method, path, body string
		hdr                      []string
		status                   int
		code                     string
	}{
		{"no session", "GET", "job/" + q.ID, "", []string{"X-SFDC-Session", ""}, 400, "InvalidSessionId"},
		{"bearer is not enough", "GET", "job/" + q.ID, "", []string{"X-SFDC-Session", "", "Authorization", "Bearer x"}, 400, "InvalidSessionId"},
		{"unknown job", "GET", "job/750Dn0000000000NOPE", "", nil, 400, "InvalidJob"},
		{"unknown batch", "GET", "job/" + q.ID + "/batch/751Dn00000000NOPE", "", nil, 400, "InvalidBatch"},
		{"bad operation", "POST", "job", "<jobInfo><operation>merge</operation><object>Contact</object></jobInfo>", nil, 400, "InvalidJob"},
		{"bad object", "POST", "job", "<jobInfo><operation>insert</operation><object>Nope</object></jobInfo>", nil, 400, "InvalidJob"},
		{"json jobs", "POST", "job", "<jobInfo><operation>insert</operation><object>Contact</object><contentType>JSON</contentType></jobInfo>", nil, 400, "InvalidJob"},
		{"upsert without external id", "POST", "job", "<jobInfo><operation>upsert</operation><object>Contact</object></jobInfo>", nil, 400, "InvalidJob"},
		{"not a jobInfo", "POST", "job", "<batchInfo/>", nil, 400, "InvalidXML"},
		{"bad state", "POST", "job/" + q.ID, "<jobInfo><state>Open</state></jobInfo>", nil, 400, "InvalidJobState"},
		{"generated records on an ingest batch", "POST", "job/" + ins.ID + "/batch", "LastName\nx\n", []string{"X-Fakecrm-Records", "5"}, 400, "ClientInputError"},
		{"method", "DELETE", "job/" + q.ID, "", nil, 405, "InvalidUrl"},
		{"unknown path", "GET", "jobs", "", nil, 404, "InvalidUrl"},
	}
	for _, tt := range tests {
		w := v1(t, s, tt.method, tt.path, tt.body, "application/xml", tt.hdr...)
		var e v1ErrorDoc
		if err := xml.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code != tt.status || e.Code != tt.code || e.Message == "" {
			t.Errorf("%s: %d %v %s", tt.name, w.Code, err, w.Body)
		}
	}
	// jsforce spots an expired session by this on a 400.
	if w := v1(t, s, "GET", "job/"+q.ID, "", "", "X-SFDC-Session", ""); !strings.Contains(w.Body.String(), "<exceptionCode>InvalidSessionId</exceptionCode>") {
		t.Errorf("%s", w.Body)
	}
	// A bad query fails its batch, whose result is then refused.
	for soql, msg := range map[string]string{"SELEC Id FROM Contact": "MALFORMED_QUERY", "SELECT Id FROM Lead": "the query is on Lead"} {
		b := addBatch(t, s, q.ID, soql, "text/csv")
		if b.State != "Failed" || !strings.Contains(b.StateMessage, msg) || !strings.HasPrefix(b.StateMessage, "InvalidBatch : ") {
			t.Errorf("%s: %+v", soql, b)
		}
		if e := unmarshal[v1ErrorDoc](t, v1(t, s, "GET", "job/"+q.ID+"/batch/"+b.ID+"/result", "", ""), 400); e.Code != "InvalidBatch" {
			t.Errorf("%s: %+v", soql, e)
		}
	}
	// A broken ingest batch fails as a whole.
	if b := addBatch(t, s, ins.ID, "\"unterminated\n", "text/csv"); b.State != "Failed" {
		t.Errorf("broken CSV: %+v", b)
	}
	x := createV1Job(t, s, "insert", "Contact", "XML", "")
	if b := addBatch(t, s, x.ID, "<records/>", "application/xml"); b.State != "Failed" {
		t.Errorf("broken XML: %+v", b)
	}
	// The job counts its failed batches; the list shows them all.
	if j := unmarshal[jobInfo](t, v1(t, s, "GET", "job/"+q.ID, "", ""), 200); j.NumberBatchesFailed != 2 || j.NumberBatchesTotal != 2 {
		t.Errorf("job %+v", j)
	}
	list := parseDoc(t, v1(t, s, "GET", "job/"+q.ID+"/batch", "", "").Body.Bytes())
	if list.XMLName.Local != "batchInfoList" || len(list.children("batchInfo")) != 2 || list.children("batchInfo")[0].childText("state") != "Failed" {
		t.Errorf("list %v", childNames(list))
	}
	// Abort.
	if j := unmarshal[jobInfo](t, v1(t, s, "POST", "job/"+ins.ID, "<jobInfo><state>Aborted</state></jobInfo>", "application/xml"), 200); j.State != "Aborted" {
		t.Errorf("abort %+v", j)
	}
}

// BenchmarkBulkV1Generated measures how fast the fake writes a generated
// Bulk 1.0 XML result (it must not be what limits Veil's streaming tests).
func BenchmarkBulkV1Generated(b *testing.B) {
	s, err := New(os.DirFS("../../../testdata/crm"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	s.mu.Lock()
	_, cols, recs, _ := s.selectLocked("SELECT FIELDS(ALL) FROM Contact", "v62.0")
	s.mu.Unlock()
	batch := &v1Batch{cols: cols, recs: recs, repeat: 10000}
	r := httptest.NewRequest("GET", "/", nil)
	cw := &countingWriter{h: http.Header{}}
	streamV1Query(cw, r, "XML", batch)
	b.SetBytes(cw.bytes)
	for b.Loop() {
		streamV1Query(discard{http.Header{}}, r, "XML", batch)
	}
}

type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) WriteHeader(int)             {}
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
