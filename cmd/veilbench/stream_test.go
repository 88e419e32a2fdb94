package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/veil-proxy/veil/proxy/benchdata"
)

// bulkXML is the bench CRM's Bulk API 1.0 XML result of n records.
func bulkXML(n int) string {
	doc := []byte(benchdata.BulkXMLHead)
	for i := range n {
		doc = benchdata.AppendContactBulkXML(doc, i)
	}
	return string(append(doc, benchdata.BulkXMLTail...))
}

// checkXMLRecords reads the CRM's XML back, a token at a time: its
// e-mails counted as original, rewritten ones (as Veil masks, redacts or
// tokenizes them) as transformed, and anything out of shape or out of
// place an error at the record where it is.
func TestCheckXMLRecords(t *testing.T) {
	doc := bulkXML(50)
	check := func(name, doc string, wantErr string, rows, orig, transformed int) {
		t.Helper()
		var r streamResult
		err := checkXMLRecords(iotest.HalfReader(strings.NewReader(doc)), &r)
		switch {
		case wantErr == "" && err != nil, wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Errorf("%s: error %v, want %q", name, err, wantErr)
		case r.Rows != rows || r.Original != orig || r.Transformed != transformed:
			t.Errorf("%s: %d records, %d original, %d transformed; want %d, %d, %d", name, r.Rows, r.Original, r.Transformed, rows, orig, transformed)
		}
	}
	check("untouched", doc, "", 50, 50, 0)
	check("none", bulkXML(0), "", 0, 0, 0)
	masked := strings.Replace(doc, benchdata.Email(7), "a***@example.com", 1)
	masked = strings.Replace(masked, benchdata.Email(8), "[REDACTED:email]", 1)
	masked = strings.Replace(masked, "<Email>"+benchdata.Email(9)+"</Email>", `<Email xmlns:v="urn:x">tok_&amp;9</Email>`, 1)
	check("three rewritten", masked, "", 50, 47, 3)
	// Whitespace between elements, as a pretty-printed answer holds, is
	// no text.
	check("indented", strings.ReplaceAll(doc, "<records ", "\n  <records "), "", 50, 50, 0)

	check("out of place", strings.Replace(doc, benchdata.ContactID(3)+"</Id>", benchdata.ContactID(4)+"</Id>", 1),
		"record 3 is not the CRM's record 3", 3, 3, 0)
	check("no e-mail", strings.Replace(doc, "<Email>"+benchdata.Email(5)+"</Email>", "", 1), "record 5: type, Id or Email missing", 5, 5, 0)
	check("two e-mails", strings.Replace(doc, "<Email>", "<Email>x</Email><Email>", 1), "record 0: Email twice", 0, 0, 0)
	check("not a Contact", strings.Replace(doc, "<type>Contact</type>", "<type>Lead</type>", 1), `record 0: type "Lead"`, 0, 0, 0)
	check("nested", strings.Replace(doc, "<Email>"+benchdata.Email(2)+"</Email>", "<Email><a>b</a></Email>", 1), "record 2: a nested in Email", 2, 2, 0)
	check("a REST page", string(benchdata.QueryPageXML(3)), "root", 0, 0, 0)
	check("no xsi:type", strings.Replace(doc, `<records xsi:type="sObject">`, `<records>`, 1), "record 0: element records", 0, 0, 0)
	check("text between records", strings.Replace(doc, "</records><records", "</records>oops<records", 1), "record 1: text", 1, 1, 0)
	// A stream Veil ends with an error is cut short: never whole.
	cut := doc[:strings.Index(doc, `<records xsi:type="sObject"><type>Contact</type><Id>`+benchdata.ContactID(25))]
	check("cut between records", cut, "unexpected EOF", 25, 25, 0)
	check("cut in a record", cut+"<records xsi:type=\"sObject\"><type>Contact</ty", "unexpected EOF", 25, 25, 0)
	check("no root end", strings.TrimSuffix(doc, benchdata.BulkXMLTail), "unexpected EOF", 50, 50, 0)
	check("trailing element", doc+"<queryResult/>", "root", 50, 50, 0)
	check("not XML", "Id,Email\n", "outside a field", 0, 0, 0)
	check("empty", "", "ends before", 0, 0, 0)
}

// xmlRecordsFor counts the records of an XML result of a given size
// exactly, and a gigabyte is about 700,000 records.
func TestXMLRecordsFor(t *testing.T) {
	doc := bulkXML(200)
	if n, size := xmlRecordsFor(int64(len(doc))); n != 200 || size != int64(len(doc)) {
		t.Errorf("xmlRecordsFor(%d bytes) = %d records, %d bytes; want 200, %d", len(doc), n, size, len(doc))
	}
	if n, size := xmlRecordsFor(int64(len(doc)) - 1); n != 200 || size != int64(len(doc)) {
		t.Errorf("xmlRecordsFor(%d bytes) = %d records, %d bytes; want 200, %d", len(doc)-1, n, size, len(doc))
	}
	per := float64(len(doc)) / 200
	if per < 1200 || per > 1800 {
		t.Errorf("%.0f bytes a record", per)
	}
}

// Bulk API 1.0 results: records records in a queryResult, as
// application/xml, that checkXMLRecords reads back whole; a path that is
// not a batch's result, or no count, is a 404.
func TestCRMBulkV1Results(t *testing.T) {
	c := &benchCRM{pages: map[int][]byte{}}
	res := serveOnce(t, c, bulkV1Path(300))
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/xml" {
		t.Fatalf("status %d, headers %v", res.StatusCode, res.Header)
	}
	if string(body) != bulkXML(300) {
		t.Fatalf("%d bytes, not the 300 records' %d", len(body), len(bulkXML(300)))
	}
	var r streamResult
	if err := checkXMLRecords(bytes.NewReader(body), &r); err != nil || r.Rows != 300 || r.Original != 300 {
		t.Fatalf("%v %+v", err, r)
	}
	for _, target := range []string{
		strings.TrimSuffix(bulkV1Path(300), "?records=300"),
		strings.Replace(bulkV1Path(3), "records=3", "records=0", 1),
		"/services/async/62.0/job/" + bulkV1Job + "/batch/" + bulkV1Batch + "/result?records=3",
		"/services/async/62.0/job/" + bulkV1Job + "?records=3",
	} {
		if res := serveOnce(t, c, target); res.StatusCode != 404 {
			t.Errorf("%s: status %d, want 404", target, res.StatusCode)
		}
	}
}

var emailRe = regexp.MustCompile(`<Email>[^<]*</Email>`)

// A whole download: the CRM over loopback HTTP, the XML format's request
// (X-SFDC-Session, Accept: application/xml), every record checked, the
// bytes and records counted; the same through a stand-in proxy that
// rewrites every e-mail counts them all as transformed.
func TestDownloadXML(t *testing.T) {
	const n = 1500
	crm := httptest.NewServer(&benchCRM{pages: map[int][]byte{}})
	defer crm.Close()
	rows, sent := xmlRecordsFor(int64(len(bulkXML(n))))
	if rows != n {
		t.Fatalf("%d records", rows)
	}
	r := download(t.Context(), xmlStream, crm.URL, rows, sent, false)
	if !r.OK || r.Rows != n || r.Original != n || r.Bytes != sent || r.Format != "xml" || r.ContentType != "application/xml" {
		t.Fatalf("direct: %+v", r)
	}
	var session string
	masking := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		session = req.Header.Get("X-SFDC-Session")
		res, err := http.Get(crm.URL + req.URL.RequestURI())
		if err != nil {
			t.Error(err)
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		b = emailRe.ReplaceAll(b, []byte("<Email>x***@example.com</Email>"))
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write(b)
	}))
	defer masking.Close()
	r = download(t.Context(), xmlStream, masking.URL, rows, sent, true)
	if !r.OK || r.Rows != n || r.Transformed != n || r.Bytes >= sent || session != benchToken {
		t.Fatalf("masked: %+v (session %q)", r, session)
	}
	if r = download(t.Context(), xmlStream, masking.URL, rows, sent, false); r.OK {
		t.Errorf("rewritten e-mails where none were wanted: %+v", r)
	}
	// The report's table and JSON name the format.
	var out strings.Builder
	printStream(&out, xmlStream, []streamResult{r})
	if !strings.Contains(out.String(), "Bulk API 1.0 query result, XML") || !strings.Contains(out.String(), "XML bytes") {
		t.Errorf("report:\n%s", out.String())
	}
	js, _ := json.Marshal(report{StreamXML: []streamResult{r}})
	if !bytes.Contains(js, []byte(`"stream_xml":[{"format":"xml","target":""`)) {
		t.Errorf("JSON: %.200s", js)
	}
}

// -stream-formats chooses the stream phase's downloads: both by default.
func TestParseStreamFormats(t *testing.T) {
	o, err := parseOptions(nil)
	if err != nil || !o.streamFormats["csv"] || !o.streamFormats["xml"] {
		t.Fatalf("defaults: %v %v", o.streamFormats, err)
	}
	o, err = parseOptions([]string{"-phases", "stream", "-stream-formats", "xml"})
	if err != nil || o.streamFormats["csv"] || !o.streamFormats["xml"] || len(o.phases) != 1 {
		t.Fatalf("xml only: %v %v", o.streamFormats, err)
	}
	if _, err := parseOptions([]string{"-stream-formats", "csv,json"}); err == nil {
		t.Error("json: want an error")
	}
}
