package fakecrm

// Bulk API 1.0 batches: processing them as they are added, and their
// results (see bulkv1.go).

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// v1AddBatchLocked processes a batch at once: its answer says Queued, as
// Salesforce's does, and the next look finds it Completed (or Failed).
func (s *Server) v1AddBatchLocked(w http.ResponseWriter, r *http.Request, j *v1Job, body []byte) {
	if j.state != "Open" {
		v1Error(w, r, 400, "InvalidJobState", "Job "+j.id+" is "+j.state+": batches can be added to an Open job only")
		return
	}
	repeat := 0
	if v := r.Header.Get("X-Fakecrm-Records"); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 || n > maxV1Generated || !j.isQuery() {
			v1Error(w, r, 400, "ClientInputError", "X-Fakecrm-Records must be a record count, on a query batch")
			return
		}
		repeat = n
	}
	if len(j.batches) >= maxV1Records {
		v1Error(w, r, 400, "ExceededQuota", "A job holds at most 10000 batches")
		return
	}
	s.seq++
	b := &v1Batch{id: fmt.Sprintf("751Dn%010dBAT", s.seq)[:18], created: v1Now(), state: "Completed"}
	if j.isQuery() {
		s.v1QueryLocked(j, b, string(body), repeat)
	} else {
		s.v1IngestLocked(j, b, body)
	}
	j.batches = append(j.batches, b)
	writeV1Doc(w, r, 201, func(x *xw) { batchInfo(x, j, b, true, "Queued") })
}

func (s *Server) v1QueryLocked(j *v1Job, b *v1Batch, soql string, repeat int) {
	obj, cols, recs, e := s.selectLocked(strings.TrimSpace(soql), "v"+j.version)
	switch {
	case e != nil:
		b.state, b.msg = "Failed", "InvalidBatch : Failed to process query: "+e.code+": "+e.msg
		return
	case obj.name != j.object:
		b.state, b.msg = "Failed", "InvalidBatch : Failed to process query: the query is on "+obj.name+", the job on "+j.object
		return
	}
	if len(recs) == 0 {
		repeat = 0 // nothing to repeat
	}
	b.cols, b.recs, b.repeat, b.processed = cols, recs, repeat, len(recs)
	if repeat > 0 {
		b.processed = repeat
	}
	b.resultID = fmt.Sprintf("752Dn%010dRES", s.seq)[:18]
}

func (s *Server) v1IngestLocked(j *v1Job, b *v1Batch, body []byte) {
	type input struct{ header, row []string }
	var ins []input
	if j.contentType == "CSV" {
		header, rows, err := parseUpload(&bulkJob{data: body, delimName: "COMMA"})
		if err != nil || header == nil {
			b.state, b.msg = "Failed", "InvalidBatch : Failed to parse CSV header"
			if err != nil {
				b.msg = "InvalidBatch : Failed to parse CSV: " + err.Error()
			}
			return
		}
		for _, row := range rows {
			ins = append(ins, input{header, row})
		}
	} else {
		root, err := parseXML(bytes.NewReader(body))
		if err != nil || root.XMLName.Local != "sObjects" {
			b.state, b.msg = "Failed", "InvalidBatch : Failed to parse XML: the batch is not an sObjects document"
			return
		}
		for _, n := range root.children("sObject") {
			_, header, row := soapRow(n)
			ins = append(ins, input{header, row})
		}
	}
	if len(ins) > maxV1Records {
		b.state, b.msg = "Failed", fmt.Sprintf("InvalidBatch : Records in a batch may not exceed %d", maxV1Records)
		return
	}
	obj := s.objectLocked(j.object)
	if obj == nil { // objects cannot go away, but be safe
		b.state, b.msg = "Failed", "InvalidBatch : Unable to find object: "+j.object
		return
	}
	row := &bulkJob{operation: j.operation, extID: j.extID}
	for _, in := range ins {
		id := ""
		for k, h := range in.header {
			if strings.EqualFold(h, "Id") && k < len(in.row) {
				id = strings.TrimSpace(in.row[k])
			}
		}
		b.processed++
		var o saveOutcome
		if len(in.row) != len(in.header) {
			o.err = fmt.Sprintf("INVALID_INPUT:row has %d fields, the header %d:--", len(in.row), len(in.header))
		} else {
			o.id, o.created, o.err = s.ingestRowLocked(row, obj, in.header, in.row, id)
		}
		if o.err != "" {
			b.failed++
			o.id, o.created = "", false
		}
		b.results = append(b.results, o)
	}
}

// appendQuoted appends a CSV line whose every cell is quoted, as Bulk API
// 1.0 writes them.
func appendQuoted(b []byte, cells ...string) []byte {
	for i, c := range cells {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, strings.ReplaceAll(c, `"`, `""`)...)
		b = append(b, '"')
	}
	return append(b, '\n')
}

// v1ResultList answers a batch's result: a query's result ids, or a
// write's outcome per record in the job's format.
func v1ResultList(w http.ResponseWriter, r *http.Request, j *v1Job, b *v1Batch) {
	switch {
	case j.isQuery():
		writeV1Doc(w, r, 200, func(x *xw) {
			x.start("result-list", "xmlns", nsDataload)
			x.leaf("result", b.resultID)
			x.end("result-list")
		})
	case j.contentType == "CSV":
		out := appendQuoted(nil, "Id", "Success", "Created", "Error")
		for _, o := range b.results {
			out = appendQuoted(out, o.id, strconv.FormatBool(o.err == ""), strconv.FormatBool(o.created), o.err)
		}
		writeBytes(w, r, 200, "text/csv", out, false)
	default:
		writeV1Doc(w, r, 200, func(x *xw) {
			x.start("results", "xmlns", nsDataload)
			for _, o := range b.results {
				x.start("result")
				if o.err != "" {
					code, msg, fields := splitIngestError(o.err)
					x.start("errors")
					for _, f := range fields {
						x.leaf("fields", f)
					}
					x.leaf("message", msg)
					x.leaf("statusCode", code)
					x.end("errors")
				} else {
					x.leaf("id", o.id)
				}
				x.leaf("success", strconv.FormatBool(o.err == ""))
				x.leaf("created", strconv.FormatBool(o.created))
				x.end("result")
			}
			x.end("results")
		})
	}
}

// idGap marks where a generated record's Id goes in its rendering: text
// that neither XML nor CSV escapes, and no fixture holds.
const idGap = "@@fakecrm-generated-id@@"

// appendGeneratedID appends record i's Id in a generated result: its
// source record's key prefix, "Dn", ten digits, "GEN".
func appendGeneratedID(dst []byte, prefix string, i int) []byte {
	dst = append(append(dst, prefix...), "Dn"...)
	d := strconv.Itoa(i)
	for k := len(d); k < 10; k++ {
		dst = append(dst, '0')
	}
	return append(append(dst, d...), "GEN"...)
}

// streamV1Query writes a query batch's result as ct (CSV or XML), 64 KB
// at a time, gzipped when accepted, and stops when the client is gone.
// Each of the batch's records is rendered once; a generated result
// (b.repeat) writes them in turn, each with its own Id in the gaps, so it
// is written at the speed of a copy and never held.
func streamV1Query(w http.ResponseWriter, r *http.Request, ct string, b *v1Batch) {
	h := w.Header()
	h.Set("Content-Type", ctV1XML)
	if ct == "CSV" {
		h.Set("Content-Type", "text/csv")
	}
	var out io.Writer = w
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
		zw := gzip.NewWriter(w)
		defer zw.Close()
		out = zw
	}
	w.WriteHeader(200)
	bw := bufio.NewWriterSize(out, 64<<10)
	defer bw.Flush()
	n, gap := len(b.recs), ""
	if b.repeat > 0 {
		n, gap = b.repeat, idGap
	}
	parts := make([][][]byte, len(b.recs)) // each record's rendering, split at its Id gaps
	prefixes := make([]string, len(b.recs))
	for k, rec := range b.recs {
		var buf bytes.Buffer
		if ct == "CSV" {
			cells := make([]string, len(b.cols))
			for c, col := range b.cols {
				cells[c] = csvCell(col.value(rec))
				if gap != "" && col.rel == "" && col.field == "Id" {
					cells[c] = gap
				}
			}
			buf.Write(appendQuoted(nil, cells...))
		} else {
			(&xw{w: &buf}).record("records", rec, styleBulkV1, gap)
		}
		parts[k] = [][]byte{buf.Bytes()}
		if gap != "" {
			parts[k] = bytes.Split(buf.Bytes(), []byte(gap))
		}
		prefixes[k] = "000"
		if id, ok := rec.vals["Id"].(string); ok && len(id) >= 3 {
			prefixes[k] = id[:3]
		}
	}
	switch {
	case ct == "CSV" && n == 0:
		_, _ = bw.WriteString("Records not found for this query")
		return
	case ct == "CSV":
		names := make([]string, len(b.cols))
		for k, c := range b.cols {
			names[k] = c.name
		}
		_, _ = bw.Write(appendQuoted(nil, names...))
	default:
		_, _ = bw.WriteString(xmlDecl + `<queryResult xmlns="` + nsDataload + `" xmlns:xsi="` + nsXSI + `">`)
	}
	var id []byte
	for i := 0; i < n; i++ {
		k := i % len(parts)
		p := parts[k]
		_, err := bw.Write(p[0])
		for _, q := range p[1:] {
			id = appendGeneratedID(id[:0], prefixes[k], i)
			_, _ = bw.Write(id)
			_, err = bw.Write(q)
		}
		if err != nil {
			return // the client is gone
		}
	}
	if ct != "CSV" {
		_, _ = bw.WriteString("</queryResult>")
	}
}
