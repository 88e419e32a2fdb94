package main

import (
	"github.com/veil-proxy/veil/proxy/benchdata"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

func serveOnce(t *testing.T, h http.Handler, target string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec.Result()
}

// The bench CRM answers a query by its LIMIT with the page generated for
// that many records, as Salesforce labels it, and a 404 otherwise.
func TestCRMQuery(t *testing.T) {
	c := &benchCRM{pages: map[int][]byte{8: benchdata.QueryPage(8)}}
	res := serveOnce(t, c, queryPath(8))
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || string(body) != string(benchdata.QueryPage(8)) {
		t.Fatalf("status %d, %d bytes", res.StatusCode, len(body))
	}
	if ct, cl := res.Header.Get("Content-Type"), res.Header.Get("Content-Length"); ct != "application/json;charset=UTF-8" || cl != strconv.Itoa(len(body)) {
		t.Errorf("Content-Type %q, Content-Length %q", ct, cl)
	}
	for _, target := range []string{queryPath(9), "/services/data/v62.0/query?q=SELECT+Id+FROM+Contact", "/services/data/v62.0/sobjects/Contact/x", "/crm/v3/objects/contacts"} {
		if res := serveOnce(t, c, target); res.StatusCode != 404 {
			t.Errorf("%s: status %d, want 404", target, res.StatusCode)
		}
	}
}

// Bulk API 2.0 results: maxRecords rows after the header, with
// Salesforce's headers.
func TestCRMBulkResults(t *testing.T) {
	c := &benchCRM{pages: map[int][]byte{}}
	res := serveOnce(t, c, "/services/data/v62.0/jobs/query/"+bulkJobID+"/results?maxRecords=2000")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/csv" ||
		res.Header.Get("Sforce-Locator") != "null" || res.Header.Get("Sforce-NumberOfRecords") != "2000" {
		t.Fatalf("status %d, headers %v", res.StatusCode, res.Header)
	}
	if !strings.HasPrefix(string(body), benchdata.CSVHeader) || strings.Count(string(body), "\n") != 2001 {
		t.Fatalf("%d lines", strings.Count(string(body), "\n"))
	}
	var r streamResult
	if err := checkRows(strings.NewReader(string(body)), &r); err != nil || r.Rows != 2000 || r.Original != 2000 {
		t.Fatalf("%v %+v", err, r)
	}
	if res := serveOnce(t, c, "/services/data/v62.0/jobs/query/"+bulkJobID+"/results"); res.StatusCode != 404 {
		t.Errorf("without maxRecords: status %d, want 404", res.StatusCode)
	}
}

// The servers listen on loopback only.
func TestServeRefusesOtherAddresses(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:0"} {
		if err := serve("crm", addr, &http.Server{}); err == nil {
			t.Errorf("%s: served, want a refusal", addr)
		}
	}
}

// Asked with Accept: application/xml (or text/xml before JSON), the CRM
// answers the same records in REST XML, labelled as Salesforce labels it;
// JSON otherwise.
func TestCRMQueryXML(t *testing.T) {
	c := &benchCRM{pages: map[int][]byte{8: benchdata.QueryPage(8)}, xmlPages: map[int][]byte{8: benchdata.QueryPageXML(8)}}
	for accept, wantXML := range map[string]bool{
		"application/xml": true, "text/xml": true, "application/xml;q=0.9, */*": true, "text/xml, application/json": true,
		"": false, "*/*": false, "application/json": false, "application/json, application/xml": false,
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, queryPath(8), nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		c.ServeHTTP(rec, req)
		res := rec.Result()
		body, _ := io.ReadAll(res.Body)
		want, ct := benchdata.QueryPage(8), "application/json;charset=UTF-8"
		if wantXML {
			want, ct = benchdata.QueryPageXML(8), "application/xml;charset=UTF-8"
		}
		if res.StatusCode != 200 || string(body) != string(want) || res.Header.Get("Content-Type") != ct ||
			res.Header.Get("Content-Length") != strconv.Itoa(len(want)) {
			t.Errorf("Accept %q: status %d, %d bytes, Content-Type %q; want %q", accept, res.StatusCode, len(body), res.Header.Get("Content-Type"), ct)
		}
	}
	req := httptest.NewRequest(http.MethodGet, queryPath(9), nil)
	req.Header.Set("Accept", "application/xml")
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	if rec.Code != 404 {
		t.Errorf("an XML page not generated: status %d, want 404", rec.Code)
	}
}
