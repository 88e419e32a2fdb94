package fakecrm

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

const bulkBase = "/services/data/v50.0/jobs/" // jsforce 3's default version

func parseCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v: %q", err, b)
	}
	return rows
}

func createQueryJob(t *testing.T, s http.Handler, soql string) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"operation": "query", "query": soql})
	w := call(t, s, "POST", bulkBase+"query", string(body), "Content-Type", "application/json; charset=utf-8")
	if w.Code != 200 {
		t.Fatalf("create query job: %d %s", w.Code, w.Body)
	}
	return decode[map[string]any](t, w)
}

// restRecords is the REST query's answer for soql, as CSV cells.
func restRecords(t *testing.T, s http.Handler, soql string, fields []string) [][]string {
	t.Helper()
	p := decode[page](t, call(t, s, "GET", q(soql), ""))
	var out [][]string
	for _, r := range p.Records {
		row := make([]string, len(fields))
		for i, f := range fields {
			row[i] = csvCell(r[f])
		}
		out = append(out, row)
	}
	return out
}

func TestBulkQueryJobPagedWithLocators(t *testing.T) {
	s := newTest(t, Options{})
	const soql = "SELECT Id, Name, Email, Phone, SSN__c, HasOptedOutOfEmail FROM Contact ORDER BY Name"
	job := createQueryJob(t, s, soql)
	id, _ := job["id"].(string)
	for k, want := range map[string]any{"operation": "query", "object": "Contact", "state": "UploadComplete", "contentType": "CSV",
		"apiVersion": 50.0, "lineEnding": "LF", "columnDelimiter": "COMMA", "jobType": "V2Query", "concurrencyMode": "Parallel"} {
		if job[k] != want {
			t.Errorf("job %s = %v, want %v", k, job[k], want)
		}
	}
	if !strings.HasPrefix(id, "750") || len(id) != 18 || job["createdDate"] == nil {
		t.Errorf("job = %v", job)
	}
	info := decode[map[string]any](t, call(t, s, "GET", bulkBase+"query/"+id, ""))
	if info["state"] != "JobComplete" || info["numberRecordsProcessed"] != 12.0 {
		t.Fatalf("poll: %v", info)
	}

	var got [][]string
	var header []string
	locator, pages := "", 0
	for {
		path := bulkBase + "query/" + id + "/results?maxRecords=5"
		if locator != "" {
			// jsforce asks for later pages as jobs/query//{id}/results.
			path = bulkBase + "query//" + id + "/results?maxRecords=5&locator=" + locator
		}
		w := call(t, s, "GET", path, "", "Accept", "text/csv")
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
			t.Fatalf("page %d: %d %s %s", pages, w.Code, w.Header(), w.Body)
		}
		rows := parseCSV(t, w.Body.Bytes())
		pages++
		if header == nil {
			header = rows[0]
		} else if !slices.Equal(header, rows[0]) {
			t.Errorf("page %d header %v, want %v", pages, rows[0], header)
		}
		if n := w.Header().Get("Sforce-NumberOfRecords"); n != fmt.Sprint(len(rows)-1) {
			t.Errorf("page %d: Sforce-NumberOfRecords %q for %d rows", pages, n, len(rows)-1)
		}
		got = append(got, rows[1:]...)
		locator = w.Header().Get("Sforce-Locator")
		if locator == "" {
			t.Fatal("no Sforce-Locator")
		}
		if locator == "null" || pages > 10 {
			break
		}
		if url.QueryEscape(locator) != locator {
			t.Errorf("locator %q needs escaping; jsforce sends it raw", locator)
		}
	}
	if pages != 3 || len(got) != 12 {
		t.Errorf("%d pages, %d records; want 3 and 12", pages, len(got))
	}
	want := []string{"Id", "Name", "Email", "Phone", "SSN__c", "HasOptedOutOfEmail"}
	if !slices.Equal(header, want) {
		t.Errorf("header %v", header)
	}
	if rest := restRecords(t, s, soql, want); !slices.EqualFunc(got, rest, slices.Equal) {
		t.Errorf("bulk records differ from REST:\n%v\n%v", got, rest)
	}
	joined := fmt.Sprint(got)
	for _, pii := range []string{"ahmed.kowalski@example.com", "123-45-6789", "+33 1 42 68 53 00"} {
		if !strings.Contains(joined, pii) {
			t.Errorf("fixture value %q missing from the results", pii)
		}
	}

	// The locator of a page can be asked again; a bad one is refused.
	if w := call(t, s, "GET", bulkBase+"query/"+id+"/results?locator=bm9wZQ", ""); w.Code != 400 || !strings.Contains(w.Body.String(), "INVALID_QUERY_LOCATOR") {
		t.Errorf("bad locator: %d %s", w.Code, w.Body)
	}
	// Gzip when asked, as the real API compresses query results.
	w := call(t, s, "GET", bulkBase+"query/"+id+"/results", "", "Accept-Encoding", "gzip")
	zr, err := gzip.NewReader(w.Body)
	if err != nil || w.Header().Get("Sforce-Locator") != "null" || w.Header().Get("Sforce-NumberOfRecords") != "12" {
		t.Fatalf("gzip results: %v %v", err, w.Header())
	}
	b, _ := io.ReadAll(zr)
	if len(parseCSV(t, b)) != 13 {
		t.Errorf("gzip results: %q", b)
	}

	if w := call(t, s, "DELETE", bulkBase+"query/"+id, ""); w.Code != 204 {
		t.Errorf("delete: %d %s", w.Code, w.Body)
	}
	if w := call(t, s, "GET", bulkBase+"query/"+id, ""); w.Code != 404 {
		t.Errorf("deleted job: %d", w.Code)
	}
}

func TestBulkQueryMatchesREST(t *testing.T) {
	s := newTest(t, Options{})
	for _, soql := range []string{
		"SELECT Id, Name FROM Lead WHERE Status = 'Open - Not Contacted'",
		"SELECT Id, Email FROM Contact WHERE Email LIKE '%example%' ORDER BY Email DESC LIMIT 3",
		"SELECT Id, Subject, Description FROM Case",
		"SELECT Id, Name FROM Account WHERE Name = 'nobody'",
	} {
		t.Run(soql, func(t *testing.T) {
			id := createQueryJob(t, s, soql)["id"].(string)
			w := call(t, s, "GET", bulkBase+"query/"+id+"/results", "")
			rows := parseCSV(t, w.Body.Bytes())
			if w.Header().Get("Sforce-Locator") != "null" || w.Header().Get("Sforce-NumberOfRecords") != fmt.Sprint(len(rows)-1) {
				t.Errorf("headers %v", w.Header())
			}
			if rest := restRecords(t, s, soql, rows[0]); !slices.EqualFunc(rows[1:], rest, slices.Equal) {
				t.Errorf("bulk %v\nREST %v", rows[1:], rest)
			}
		})
	}
}

func TestBulkQueryErrors(t *testing.T) {
	s := newTest(t, Options{})
	id := createQueryJob(t, s, "SELECT Id FROM Account")["id"].(string)
	aborted := createQueryJob(t, s, "SELECT Id FROM Account")["id"].(string)
	if w := call(t, s, "PATCH", bulkBase+"query/"+aborted, `{"state":"Aborted"}`); w.Code != 200 || decode[map[string]any](t, w)["state"] != "Aborted" {
		t.Fatalf("abort: %d %s", w.Code, w.Body)
	}
	for _, c := range []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"bad operation", "POST", "query", `{"operation":"select","query":"SELECT Id FROM Account"}`, 400, "INVALIDJOB"},
		{"malformed query", "POST", "query", `{"operation":"query","query":"SELEKT"}`, 400, "MALFORMED_QUERY"},
		{"unknown object", "POST", "query", `{"operation":"query","query":"SELECT Id FROM Nope"}`, 400, "INVALID_TYPE"},
		{"unknown field", "POST", "query", `{"operation":"query","query":"SELECT Nope FROM Account"}`, 400, "INVALID_FIELD"},
		{"bad delimiter", "POST", "query", `{"operation":"query","query":"SELECT Id FROM Account","columnDelimiter":"STAR"}`, 400, "INVALIDJOB"},
		{"not JSON", "POST", "query", `{`, 400, "JSON_PARSER_ERROR"},
		{"unknown job", "GET", "query/750Dn0000000999JOB", "", 404, "NOT_FOUND"},
		{"unknown job results", "GET", "query/750Dn0000000999JOB/results", "", 404, "NOT_FOUND"},
		{"ingest id as query", "GET", "ingest/" + id, "", 404, "NOT_FOUND"},
		{"results of aborted", "GET", "query/" + aborted + "/results", "", 400, "INVALIDJOBSTATE"},
		{"abort a complete job", "PATCH", "query/" + id, `{"state":"Aborted"}`, 400, "INVALIDJOBSTATE"},
		{"bad maxRecords", "GET", "query/" + id + "/results?maxRecords=0", "", 400, "INVALID_INPUT"},
		{"unknown sub-resource", "GET", "query/" + id + "/nope", "", 404, "NOT_FOUND"},
		{"method", "PUT", "query/" + id, "", 405, "METHOD_NOT_ALLOWED"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "abort a complete job" {
				call(t, s, "GET", bulkBase+"query/"+id, "") // observed: JobComplete
			}
			w := call(t, s, c.method, bulkBase+c.path, c.body)
			errs := decode[[]map[string]any](t, w)
			if w.Code != c.status || len(errs) != 1 || errs[0]["errorCode"] != c.code || errs[0]["message"] == "" {
				t.Errorf("%d %s, want %d %s", w.Code, w.Body, c.status, c.code)
			}
		})
	}
	// Any vNN.N is accepted.
	if w := call(t, s, "GET", "/services/data/v41.0/jobs/query/"+id, ""); w.Code != 200 {
		t.Errorf("v41.0: %d", w.Code)
	}
	// The job list.
	list := decode[struct {
		Done    bool             `json:"done"`
		Records []map[string]any `json:"records"`
	}](t, call(t, s, "GET", bulkBase+"query", ""))
	if !list.Done || len(list.Records) != 2 {
		t.Errorf("list: %+v", list)
	}
}

// chunked sends body to srv as a chunked upload (no Content-Length).
func chunked(t *testing.T, srv *httptest.Server, method, path, contentType, body string) (*http.Response, []byte) {
	t.Helper()
	pr, pw := io.Pipe()
	go func() {
		for _, line := range strings.SplitAfter(body, "\n") {
			_, _ = io.WriteString(pw, line)
		}
		_ = pw.Close()
	}()
	req, err := http.NewRequest(method, srv.URL+path, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer test")
	req.Header.Set("Content-Type", contentType)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func httpDo(t *testing.T, srv *httptest.Server, method, path, body string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer test")
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// ingest runs a whole jsforce-style ingest job over HTTP and returns the
// job info after the poll and the three result sets.
func ingest(t *testing.T, srv *httptest.Server, job, data string) (info map[string]any, ok, failed, unprocessed [][]string) {
	t.Helper()
	res, b := httpDo(t, srv, "POST", bulkBase+"ingest", job)
	if res.StatusCode != 200 {
		t.Fatalf("create: %d %s", res.StatusCode, b)
	}
	var created map[string]any
	_ = json.Unmarshal(b, &created)
	id := created["id"].(string)
	if created["state"] != "Open" || created["contentUrl"] != "services/data/v50.0/jobs/ingest/"+id+"/batches" || created["jobType"] != "V2Ingest" {
		t.Errorf("created: %s", b)
	}
	res, b = chunked(t, srv, "PUT", bulkBase+"ingest/"+id+"/batches", "text/csv", data)
	if res.StatusCode != 201 || res.Request.ContentLength != -1 && res.Request.ContentLength != 0 {
		t.Fatalf("upload: %d %s (request length %d)", res.StatusCode, b, res.Request.ContentLength)
	}
	res, b = httpDo(t, srv, "PATCH", bulkBase+"ingest/"+id, `{"state":"UploadComplete"}`)
	if res.StatusCode != 200 || !strings.Contains(string(b), `"state":"UploadComplete"`) {
		t.Fatalf("close: %d %s", res.StatusCode, b)
	}
	_, b = httpDo(t, srv, "GET", bulkBase+"ingest/"+id, "")
	_ = json.Unmarshal(b, &info)
	get := func(sub string) [][]string {
		res, b := httpDo(t, srv, "GET", bulkBase+"ingest/"+id+"/"+sub, "")
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("%s: %d %s", sub, res.StatusCode, b)
		}
		return parseCSV(t, b)
	}
	ok, failed, unprocessed = get("successfulResults"), get("failedResults/"), get("unprocessedrecords")
	if !slices.Equal(get("successfulResults/")[0], ok[0]) {
		t.Error("trailing slash answers differently")
	}
	return info, ok, failed, unprocessed
}

func TestBulkIngestChunkedUploadIntoTheStore(t *testing.T) {
	s := newTest(t, Options{})
	var mu sync.Mutex
	var puts []string // how each upload arrived
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "PUT" {
			mu.Lock()
			puts = append(puts, fmt.Sprint(r.TransferEncoding, r.ContentLength))
			mu.Unlock()
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range puts {
			if p != "[chunked] -1" {
				t.Errorf("upload arrived as %s, want chunked", p)
			}
		}
		if len(puts) != 4 {
			t.Errorf("%d uploads", len(puts))
		}
	})
	info, ok, failed, unproc := ingest(t, srv, `{"object":"Contact","operation":"insert","contentType":"CSV","lineEnding":"LF"}`,
		"FirstName,LastName,Email,HasOptedOutOfEmail,Description\n"+
			"Ada,Bulkload,ada@bulk.example,true,\"multi\nline, quoted\"\n"+
			"Grace,Bulkload,grace@bulk.example,false,\n")
	if info["state"] != "JobComplete" || info["numberRecordsProcessed"] != 2.0 || info["numberRecordsFailed"] != 0.0 {
		t.Fatalf("job: %v", info)
	}
	if len(ok) != 3 || !slices.Equal(ok[0], []string{"sf__Id", "sf__Created", "FirstName", "LastName", "Email", "HasOptedOutOfEmail", "Description"}) ||
		ok[1][1] != "true" || !strings.HasPrefix(ok[1][0], "003") || ok[1][6] != "multi\nline, quoted" {
		t.Errorf("successfulResults: %q", ok)
	}
	if len(failed) != 1 || !slices.Equal(failed[0][:2], []string{"sf__Id", "sf__Error"}) || len(unproc) != 1 {
		t.Errorf("failed %q unprocessed %q", failed, unproc)
	}
	p := decode[page](t, call(t, s, "GET", q("SELECT Id, Email, HasOptedOutOfEmail, Description FROM Contact WHERE LastName = 'Bulkload'"), ""))
	if p.TotalSize != 2 || p.Records[0]["Id"] != ok[1][0] || p.Records[0]["HasOptedOutOfEmail"] != true || p.Records[1]["Description"] != nil {
		t.Errorf("REST after insert: %+v", p)
	}

	// Update by Id: an unknown Id fails, an empty cell leaves the field
	// alone and #N/A clears it.
	info, ok, failed, _ = ingest(t, srv, `{"object":"Contact","operation":"update"}`,
		"Id,Title,Email,Description\n"+ok[1][0]+",Bulk VP,,#N/A\n003Dn0000000000NOPE,X,,\n")
	if info["numberRecordsProcessed"] != 2.0 || info["numberRecordsFailed"] != 1.0 || len(ok) != 2 || len(failed) != 2 {
		t.Fatalf("update: %v ok %q failed %q", info, ok, failed)
	}
	if ok[1][0] != ok[1][2] || ok[1][1] != "false" || failed[1][0] != "003Dn0000000000NOPE" || !strings.HasPrefix(failed[1][1], "INVALID_CROSS_REFERENCE_KEY:") {
		t.Errorf("update results: ok %q failed %q", ok, failed)
	}
	p = decode[page](t, call(t, s, "GET", q("SELECT Id, Title, Email, Description FROM Contact WHERE Title = 'Bulk VP'"), ""))
	if p.TotalSize != 1 || p.Records[0]["Email"] != "ada@bulk.example" || p.Records[0]["Description"] != nil {
		t.Errorf("REST after update: %+v", p)
	}

	// Upsert by an external id field, then delete.
	_, ok, _, _ = ingest(t, srv, `{"object":"Contact","operation":"upsert","externalIdFieldName":"email"}`,
		"Email,LastName\nada@bulk.example,Lovelace\nnew@bulk.example,Newperson\n")
	if len(ok) != 3 || ok[1][1] != "false" || ok[2][1] != "true" {
		t.Errorf("upsert: %q", ok)
	}
	_, ok, failed, _ = ingest(t, srv, `{"object":"Contact","operation":"delete"}`, "Id\n"+ok[1][0]+"\n"+ok[2][0]+"\n")
	if len(ok) != 3 || len(failed) != 1 {
		t.Errorf("delete: ok %q failed %q", ok, failed)
	}
	if p := decode[page](t, call(t, s, "GET", q("SELECT Id FROM Contact WHERE Email LIKE '%bulk.example'"), "")); p.TotalSize != 1 {
		t.Errorf("after delete: %+v", p)
	}
}

func TestBulkIngestStatesAndErrors(t *testing.T) {
	s := newTest(t, Options{})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	open := func() string {
		_, b := httpDo(t, srv, "POST", bulkBase+"ingest", `{"object":"Lead","operation":"insert"}`)
		var m map[string]string
		_ = json.Unmarshal(b, &m)
		return m["id"]
	}
	// Aborted after upload: everything is unprocessed.
	id := open()
	if res, b := chunked(t, srv, "PUT", bulkBase+"ingest/"+id+"/batches", "text/csv", "LastName,Company\nA,B\nC,D\n"); res.StatusCode != 201 {
		t.Fatalf("upload: %d %s", res.StatusCode, b)
	}
	if res, b := chunked(t, srv, "PUT", bulkBase+"ingest/"+id+"/batches", "text/csv", "LastName\nE\n"); res.StatusCode != 400 || !strings.Contains(string(b), "INVALIDJOBSTATE") {
		t.Errorf("second upload: %d %s", res.StatusCode, b)
	}
	if res, b := httpDo(t, srv, "PATCH", bulkBase+"ingest/"+id, `{"state":"Aborted"}`); res.StatusCode != 200 || !strings.Contains(string(b), `"Aborted"`) {
		t.Fatalf("abort: %d %s", res.StatusCode, b)
	}
	res, b := httpDo(t, srv, "GET", bulkBase+"ingest/"+id+"/unprocessedrecords/", "")
	if rows := parseCSV(t, b); res.StatusCode != 200 || len(rows) != 3 || !slices.Equal(rows[0], []string{"LastName", "Company"}) {
		t.Errorf("unprocessed: %d %q", res.StatusCode, b)
	}

	// A job that cannot be parsed fails with its rows unprocessed.
	bad := open()
	chunked(t, srv, "PUT", bulkBase+"ingest/"+bad+"/batches", "text/csv", "LastName,Company\n\"unterminated,B\n")
	httpDo(t, srv, "PATCH", bulkBase+"ingest/"+bad, `{"state":"UploadComplete"}`)
	if _, b := httpDo(t, srv, "GET", bulkBase+"ingest/"+bad, ""); !strings.Contains(string(b), `"state":"Failed"`) || !strings.Contains(string(b), "errorMessage") {
		t.Errorf("unparsable job: %s", b)
	}

	still := open()
	done := open()
	httpDo(t, srv, "PATCH", bulkBase+"ingest/"+done, `{"state":"UploadComplete"}`)
	for _, c := range []struct {
		name, method, path, ctype, body string
		status                          int
		code                            string
	}{
		{"unknown job", "GET", "ingest/750Dn0000000999JOB", "", "", 404, "NOT_FOUND"},
		{"unknown job upload", "PUT", "ingest/750Dn0000000999JOB/batches", "text/csv", "A\n1\n", 404, "NOT_FOUND"},
		{"unknown job results", "GET", "ingest/750Dn0000000999JOB/failedResults/", "", "", 404, "NOT_FOUND"},
		{"bad object", "POST", "ingest", "application/json", `{"object":"Nope","operation":"insert"}`, 400, "INVALIDJOB"},
		{"bad operation", "POST", "ingest", "application/json", `{"object":"Lead","operation":"merge"}`, 400, "INVALIDJOB"},
		{"upsert without external id", "POST", "ingest", "application/json", `{"object":"Lead","operation":"upsert"}`, 400, "INVALIDJOB"},
		{"bad content type", "POST", "ingest", "application/json", `{"object":"Lead","operation":"insert","contentType":"JSON"}`, 400, "INVALIDJOB"},
		{"bad line ending", "POST", "ingest", "application/json", `{"object":"Lead","operation":"insert","lineEnding":"CR"}`, 400, "INVALIDJOB"},
		{"upload JSON", "PUT", "ingest/" + still + "/batches", "application/json", "[]", 400, "INVALID_INPUT"},
		{"upload to a closed job", "PUT", "ingest/" + done + "/batches", "text/csv", "LastName\nX\n", 400, "INVALIDJOBSTATE"},
		{"close twice", "PATCH", "ingest/" + done, "application/json", `{"state":"UploadComplete"}`, 400, "INVALIDJOBSTATE"},
		{"abort a complete job", "PATCH", "ingest/" + done, "application/json", `{"state":"Aborted"}`, 400, "INVALIDJOBSTATE"},
		{"bad state", "PATCH", "ingest/" + still, "application/json", `{"state":"JobComplete"}`, 400, "INVALID_INPUT"},
		{"results of an open job", "GET", "ingest/" + still + "/successfulResults", "", "", 400, "INVALIDJOBSTATE"},
		{"delete an open job", "DELETE", "ingest/" + still, "", "", 400, "INVALIDJOBSTATE"},
		{"post to results", "POST", "ingest/" + done + "/successfulResults", "", "", 405, "METHOD_NOT_ALLOWED"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, b := chunked(t, srv, c.method, bulkBase+c.path, c.ctype, c.body)
			var errs []map[string]any
			if err := json.Unmarshal(b, &errs); err != nil || res.StatusCode != c.status || len(errs) != 1 || errs[0]["errorCode"] != c.code {
				t.Errorf("%d %s, want %d %s", res.StatusCode, b, c.status, c.code)
			}
		})
	}
	if res, _ := httpDo(t, srv, "DELETE", bulkBase+"ingest/"+done, ""); res.StatusCode != 204 {
		t.Errorf("delete: %d", res.StatusCode)
	}
	// An upload over maxBody is refused.
	big := open()
	res, b = chunked(t, srv, "PUT", bulkBase+"ingest/"+big+"/batches", "text/csv", "LastName\n"+strings.Repeat("x", maxBody)+"\n")
	if res.StatusCode != 413 {
		t.Errorf("oversized upload: %d %.200s", res.StatusCode, b)
	}
}

func TestBulkJobsAreBounded(t *testing.T) {
	s := newTest(t, Options{})
	first := createQueryJob(t, s, "SELECT Id FROM Account")["id"].(string)
	for range maxBulkJobs {
		createQueryJob(t, s, "SELECT Id FROM Account")
	}
	if w := call(t, s, "GET", bulkBase+"query/"+first, ""); w.Code != 404 {
		t.Errorf("oldest job kept: %d", w.Code)
	}
	s.mu.Lock()
	n := len(s.bulkLocked().jobs)
	s.mu.Unlock()
	if n != maxBulkJobs {
		t.Errorf("%d jobs kept", n)
	}
}

// What jsforce 3 sends for conn.sobject(T).update([...]) and
// destroy([...]) (sObject Collections) and conn.requestPost('/composite').
func TestCompositeAsJSforceSendsIt(t *testing.T) {
	s := newTest(t, Options{})
	created := decode[[]map[string]any](t, call(t, s, "POST", "/services/data/v50.0/composite/sobjects",
		`{"allOrNone":false,"records":[{"attributes":{"type":"Lead"},"LastName":"One","Company":"C"},{"attributes":{"type":"Lead"},"LastName":"Two","Company":"C"}]}`))
	a, b := created[0]["id"].(string), created[1]["id"].(string)
	upd := call(t, s, "PATCH", "/services/data/v50.0/composite/sobjects",
		`{"allOrNone":false,"records":[{"id":"`+a+`","attributes":{"type":"Lead"},"Company":"Updated"},{"id":"00QDn0000000000NOPE","attributes":{"type":"Lead"},"Company":"X"}]}`)
	res := decode[[]map[string]any](t, upd)
	if upd.Code != 200 || len(res) != 2 || res[0]["success"] != true || res[0]["id"] != a || res[1]["success"] != false {
		t.Errorf("update many: %d %s", upd.Code, upd.Body)
	}
	if got := decode[map[string]any](t, call(t, s, "GET", "/services/data/v50.0/sobjects/Lead/"+a, "")); got["Company"] != "Updated" {
		t.Errorf("after update: %v", got)
	}
	del := call(t, s, "DELETE", "/services/data/v50.0/composite/sobjects?ids="+a+","+b+",00QDn0000000000NOPE", "")
	res = decode[[]map[string]any](t, del)
	if del.Code != 200 || len(res) != 3 || res[0]["success"] != true || res[1]["success"] != true || res[2]["success"] != false {
		t.Errorf("delete many: %d %s", del.Code, del.Body)
	}
	if w := call(t, s, "GET", "/services/data/v50.0/sobjects/Lead/"+a, ""); w.Code != 404 {
		t.Errorf("deleted record: %d", w.Code)
	}

	comp := call(t, s, "POST", "/services/data/v50.0/composite", `{"allOrNone":true,"compositeRequest":[
		{"method":"POST","url":"/services/data/v50.0/sobjects/Account","referenceId":"acct","body":{"Name":"Composite Co"}},
		{"method":"POST","url":"/services/data/v50.0/sobjects/Contact","referenceId":"ct","body":{"LastName":"Ref","AccountId":"@{acct.id}"}},
		{"method":"GET","url":"/services/data/v50.0/sobjects/Contact/@{ct.id}?fields=AccountId,LastName","referenceId":"get"},
		{"method":"GET","url":"/services/data/v50.0/sobjects/Contact/003Dn0000000000NOPE","referenceId":"missing"},
		{"method":"GET","url":"/services/data/v50.0/sobjects/Account/@{acct.id}","referenceId":"halted"}]}`)
	var out struct {
		CompositeResponse []struct {
			Body           any    `json:"body"`
			HTTPStatusCode int    `json:"httpStatusCode"`
			ReferenceID    string `json:"referenceId"`
		} `json:"compositeResponse"`
	}
	if err := json.Unmarshal(comp.Body.Bytes(), &out); err != nil || comp.Code != 200 || len(out.CompositeResponse) != 5 {
		t.Fatalf("composite: %d %s", comp.Code, comp.Body)
	}
	cr := out.CompositeResponse
	acct := cr[0].Body.(map[string]any)["id"]
	got, _ := cr[2].Body.(map[string]any)
	if cr[0].HTTPStatusCode != 201 || cr[1].HTTPStatusCode != 201 || cr[2].HTTPStatusCode != 200 || got["AccountId"] != acct ||
		cr[3].HTTPStatusCode != 404 || cr[4].HTTPStatusCode != 400 || !strings.Contains(fmt.Sprint(cr[4].Body), "PROCESSING_HALTED") || cr[4].ReferenceID != "halted" {
		t.Errorf("composite: %s", comp.Body)
	}
	if w := call(t, s, "POST", "/services/data/v50.0/composite", `{"compositeRequest":[]}`); w.Code != 400 {
		t.Errorf("empty composite: %d", w.Code)
	}
	if w := call(t, s, "GET", "/services/data/v50.0/composite", ""); w.Code != 405 {
		t.Errorf("GET composite: %d", w.Code)
	}
}
