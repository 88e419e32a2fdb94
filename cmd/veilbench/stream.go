package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"github.com/veil-proxy/veil/proxy/benchdata"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The streaming scenario: a query result of about a gigabyte, which the
// bench CRM generates while it writes it, downloaded through Veil; every
// row is read and its e-mail compared with what the CRM sent. Two
// formats: a Bulk API 2.0 result in CSV, and a Bulk API 1.0 result in XML
// (read with encoding/xml's Decoder, a token at a time, never held).

// bulkJobID is the (made-up) id of the Bulk API 2.0 query job; the Bulk
// API 1.0 job, batch and result ids are bulkV1Job, bulkV1Batch and
// bulkV1Result.
const (
	bulkJobID    = "750Dn00000BenchAAA"
	bulkV1Job    = "750Dn00000BenchV1A"
	bulkV1Batch  = "751Dn00000BenchV1A"
	bulkV1Result = "752Dn00000BenchV1A"
)

// streamFormat is one kind of result the stream phase downloads.
type streamFormat struct {
	name  string // "csv", "xml": the -stream-formats name, the JSON's "format"
	title string // the report's heading
	unit  string // what the CRM sends, in the report's columns
	// sizeFor is how many records bring a result to at least size bytes,
	// and the result's exact size.
	sizeFor func(size int64) (int, int64)
	// request asks base for a result of n records.
	request func(ctx context.Context, base string, n int) (*http.Request, error)
	// check reads the result, counting r.Rows, r.Transformed, r.Original.
	check func(body io.Reader, r *streamResult) error
}

var (
	csvStream = streamFormat{
		name: "csv", title: "Bulk API 2.0 query result, CSV", unit: "CSV",
		sizeFor: csvRowsFor, check: checkRows,
		request: func(ctx context.Context, base string, n int) (*http.Request, error) {
			u := fmt.Sprintf("%s/services/data/v62.0/jobs/query/%s/results?maxRecords=%d", base, bulkJobID, n)
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err == nil {
				req.Header.Set("Authorization", "Bearer "+benchToken)
				req.Header.Set("Accept", "text/csv")
			}
			return req, err
		},
	}
	xmlStream = streamFormat{
		name: "xml", title: "Bulk API 1.0 query result, XML", unit: "XML",
		sizeFor: xmlRecordsFor, check: checkXMLRecords,
		request: func(ctx context.Context, base string, n int) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+bulkV1Path(n), nil)
			if err == nil {
				// As jsforce and the Data Loader authenticate Bulk API 1.0 calls.
				req.Header.Set("X-SFDC-Session", benchToken)
				req.Header.Set("Accept", "application/xml")
			}
			return req, err
		},
	}
	streamFormats = []streamFormat{csvStream, xmlStream}
)

// bulkV1Path is the path of the Bulk API 1.0 query result of n records.
// Salesforce knows a result's size from its batch; the bench CRM, which
// keeps no jobs, reads it from the query parameter records.
func bulkV1Path(n int) string {
	return fmt.Sprintf("/services/async/62.0/job/%s/batch/%s/result/%s?records=%d", bulkV1Job, bulkV1Batch, bulkV1Result, n)
}

// csvRowsFor is how many rows bring a results file to at least size
// bytes, and the file's exact size.
func csvRowsFor(size int64) (int, int64) {
	n, total := 0, int64(len(benchdata.CSVHeader))
	var buf []byte
	for total < size {
		buf = benchdata.AppendCSVRow(buf[:0], n)
		total += int64(len(buf))
		n++
	}
	return n, total
}

// xmlRecordsFor is how many records bring a Bulk API 1.0 XML result to at
// least size bytes, and the result's exact size.
func xmlRecordsFor(size int64) (int, int64) {
	n, total := 0, int64(len(benchdata.BulkXMLHead)+len(benchdata.BulkXMLTail))
	buf := make([]byte, 0, 4<<10)
	for total < size {
		buf = benchdata.AppendContactBulkXML(buf[:0], n)
		total += int64(len(buf))
		n++
	}
	return n, total
}

// streamResult is what one download gave.
type streamResult struct {
	Format      string  `json:"format"` // "csv", "xml"
	Target      string  `json:"target"`
	Status      int     `json:"status"`
	VeilError   string  `json:"veil_error,omitempty"` // X-Veil-Error
	ContentType string  `json:"content_type"`
	RowsAsked   int     `json:"rows_asked"`
	SentBytes   int64   `json:"crm_bytes"`   // the CSV (XML) the CRM sends
	Rows        int     `json:"rows"`        // data rows (records) received
	Transformed int     `json:"transformed"` // rows whose e-mail differs from the CRM's
	Original    int     `json:"original"`    // rows whose e-mail is the CRM's own
	Bytes       int64   `json:"bytes"`       // body bytes received
	Seconds     float64 `json:"seconds"`     // from the request to the body's end
	Err         string  `json:"error,omitempty"`
	PeakRSS     int64   `json:"peak_rss_bytes,omitempty"`    // the proxy's VmHWM after the download
	StartRSS    int64   `json:"start_rss_bytes,omitempty"`   // its VmHWM before it
	CPU         float64 `json:"proxy_cpu_seconds,omitempty"` // the proxy's CPU during it
	CRMCPU      float64 `json:"crm_cpu_seconds,omitempty"`
	RedisCPU    float64 `json:"redis_cpu_seconds,omitempty"`  // the CRM's
	ClientCPU   float64 `json:"client_cpu_seconds,omitempty"` // veilbench's (CSV or XML parsing)
	OtherCPU    float64 `json:"other_cpu_seconds,omitempty"`  // the rest of the machine's
	Attempts    int     `json:"attempts,omitempty"`           // downloads made (-quiet-wait); the least disturbed is this one
	OK          bool    `json:"ok"`                           // 200, every row, every e-mail as expected
}

// mbps is the download's throughput in MB (10^6 bytes) per second: of
// the bytes received (out) or of the CSV (XML) the CRM sent (in; Veil's rewritten
// rows differ in length), which counts only when every row came through.
func (r streamResult) mbps(in bool) float64 {
	n := r.Bytes
	if in {
		if r.Rows != r.RowsAsked {
			return 0
		}
		n = r.SentBytes
	}
	if r.Seconds == 0 {
		return 0
	}
	return float64(n) / 1e6 / r.Seconds
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// download fetches a result of rows records (sent bytes) in format f from
// base and checks each record: its Id must be the CRM's record at that
// place, and its e-mail transformed (wantTransformed, through Veil) or
// the CRM's own (directly).
func download(ctx context.Context, f streamFormat, base string, rows int, sent int64, wantTransformed bool) streamResult {
	r := streamResult{Format: f.name, RowsAsked: rows, SentBytes: sent}
	req, err := f.request(ctx, base, rows)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	tr := newTransport(1)
	defer tr.CloseIdleConnections()
	start := time.Now()
	res, err := tr.RoundTrip(req)
	if err != nil {
		r.Err = err.Error()
		r.Seconds = time.Since(start).Seconds()
		return r
	}
	defer res.Body.Close()
	r.Status, r.VeilError, r.ContentType = res.StatusCode, res.Header.Get("X-Veil-Error"), res.Header.Get("Content-Type")
	body := &countingReader{r: res.Body}
	if res.StatusCode != http.StatusOK {
		if _, err = io.Copy(io.Discard, body); err == nil {
			err = fmt.Errorf("refused: status %d, X-Veil-Error %q", res.StatusCode, r.VeilError)
		}
	} else {
		err = f.check(body, &r)
	}
	r.Seconds = time.Since(start).Seconds()
	r.Bytes = body.n
	if err != nil {
		r.Err = err.Error()
	}
	r.OK = r.Status == http.StatusOK && err == nil && r.Rows == rows &&
		(wantTransformed && r.Transformed == rows || !wantTransformed && r.Original == rows)
	return r
}

// checkRows reads the CSV, header first, counting rows whose e-mail was
// transformed or left as the CRM wrote it; a row out of place (its Id is
// not the CRM's at that position) is an error.
func checkRows(body io.Reader, r *streamResult) error {
	cr := csv.NewReader(body)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	want := strings.Split(strings.TrimSpace(strings.ReplaceAll(benchdata.CSVHeader, `"`, "")), ",")
	if !slices.Equal(head, want) {
		return fmt.Errorf("header %q, want %q", head, want)
	}
	var id, mail []byte
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("row %d: %w", r.Rows, err)
		}
		i := r.Rows
		id = benchdata.AppendContactID(id[:0], i)
		if rec[0] != string(id) {
			return fmt.Errorf("row %d is not the CRM's row %d", i, i)
		}
		mail = benchdata.AppendEmail(mail[:0], i)
		if rec[3] == string(mail) {
			r.Original++
		} else {
			r.Transformed++
		}
		r.Rows++
	}
}

// XML names of a Bulk API 1.0 query result.
var (
	xmlRootName   = xml.Name{Space: "http://www.force.com/2009/06/asyncapi/dataload", Local: "queryResult"}
	xmlRecordName = xml.Name{Space: xmlRootName.Space, Local: "records"}
	xsiType       = xml.Name{Space: "http://www.w3.org/2001/XMLSchema-instance", Local: "type"}
)

// checkXMLRecords reads a Bulk API 1.0 XML query result with
// encoding/xml's Decoder, a token at a time (never the whole document):
// the queryResult root in the dataload namespace, then records of
// xsi:type sObject, each of type Contact with the CRM's Id at its place
// and one Email, counted as transformed or as the CRM wrote it, then the
// end of the document. Anything else (a record out of place, a missing
// field, nesting, text between records, a document cut short) is an
// error.
func checkXMLRecords(body io.Reader, r *streamResult) error {
	d := xml.NewDecoder(bufio.NewReaderSize(body, 64<<10))
	var (
		depth        int    // 1 in the root, 2 in a record, 3 in a field
		field        string // the field being read (depth 3)
		text         []byte // its text
		typ, id, got []byte // the record's type, Id and Email
		seen         int    // of type, Id, Email: bits
		want         []byte
		rootDone     bool
	)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if !rootDone {
				return fmt.Errorf("record %d: the document ends before </queryResult>", r.Rows)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("record %d: %w", r.Rows, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			depth++
			switch depth {
			case 1:
				if rootDone || tok.Name != xmlRootName {
					return fmt.Errorf("root %s %s, want queryResult in %s", tok.Name.Space, tok.Name.Local, xmlRootName.Space)
				}
			case 2:
				if tok.Name != xmlRecordName || len(tok.Attr) != 1 || tok.Attr[0].Name != xsiType || tok.Attr[0].Value != "sObject" {
					return fmt.Errorf("record %d: element %s %v, want records xsi:type=\"sObject\"", r.Rows, tok.Name.Local, tok.Attr)
				}
				seen = 0
			case 3:
				field, text = tok.Name.Local, text[:0]
			default:
				return fmt.Errorf("record %d: %s nested in %s", r.Rows, tok.Name.Local, field)
			}
		case xml.CharData:
			switch {
			case depth == 3:
				text = append(text, tok...)
			case len(bytes.TrimSpace(tok)) > 0:
				return fmt.Errorf("record %d: text %.40q outside a field", r.Rows, tok)
			}
		case xml.EndElement:
			depth--
			switch depth {
			case 0:
				rootDone = true
			case 1:
				i := r.Rows
				if seen != 7 {
					return fmt.Errorf("record %d: type, Id or Email missing (%03b)", i, seen)
				}
				if string(typ) != "Contact" {
					return fmt.Errorf("record %d: type %q", i, typ)
				}
				if want = benchdata.AppendContactID(want[:0], i); !bytes.Equal(id, want) {
					return fmt.Errorf("record %d is not the CRM's record %d (Id %q)", i, i, id)
				}
				if want = benchdata.AppendEmail(want[:0], i); bytes.Equal(got, want) {
					r.Original++
				} else {
					r.Transformed++
				}
				r.Rows++
			case 2:
				var bit int
				switch field {
				case "type":
					typ, bit = append(typ[:0], text...), 1
				case "Id":
					id, bit = append(id[:0], text...), 2
				case "Email":
					got, bit = append(got[:0], text...), 4
				}
				if seen&bit != 0 {
					return fmt.Errorf("record %d: %s twice", r.Rows, field)
				}
				seen |= bit
			}
		case xml.ProcInst, xml.Comment, xml.Directive:
			if depth > 0 {
				return fmt.Errorf("record %d: %T inside the document", r.Rows, tok)
			}
		}
	}
}

// streamBulkXML writes a Bulk API 1.0 XML query result of n records,
// chunked, 64 KB at a time from one buffer, and stops when the client is
// gone.
func streamBulkXML(w http.ResponseWriter, n int) {
	w.Header()["Content-Type"] = xmlBulkType
	buf := make([]byte, 0, 80<<10)
	buf = append(buf, benchdata.BulkXMLHead...)
	for i := range n {
		buf = benchdata.AppendContactBulkXML(buf, i)
		if len(buf) >= 64<<10 {
			if _, err := w.Write(buf); err != nil {
				return
			}
			buf = buf[:0]
		}
	}
	_, _ = w.Write(append(buf, benchdata.BulkXMLTail...))
}

// xmlBulkType is the Content-Type of a Bulk API 1.0 XML result.
var xmlBulkType = []string{"application/xml"}

// bulkV1Records reads the record count of a Bulk API 1.0 query result's
// path (after /services/async/): <ver>/job/<job>/batch/<batch>/result/<result>,
// its count in the query parameter records.
func bulkV1Records(rest, query string) (int, bool) {
	p := strings.Split(rest, "/")
	if len(p) != 7 || p[1] != "job" || p[3] != "batch" || p[5] != "result" || p[2] == "" || p[4] == "" || p[6] == "" {
		return 0, false
	}
	n, err := strconv.Atoi(query)
	return n, err == nil && n > 0
}
