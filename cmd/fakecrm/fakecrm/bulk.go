package fakecrm

// Salesforce Bulk API 2.0 (jobs/query and jobs/ingest), as jsforce 3.x's
// conn.bulk2 drives it, plus the sObject Collections verbs and the
// /composite resource jsforce sends.
//
// Query jobs are evaluated when created (so a bad query is refused then,
// as the real API does) against the same store and SOQL subset as the REST
// query endpoint; they report UploadComplete until first observed and are
// JobComplete from then on. Results are CSV, paged by maxRecords, with an
// opaque Sforce-Locator ("null" on the last page) and Sforce-NumberOfRecords.
//
// Ingest jobs take one CSV upload (chunked bodies welcome, bounded by
// maxBody) and are processed into the REST store on UploadComplete:
// inserts get ids as createLocked gives them, updates and deletes go by Id,
// upserts by externalIdFieldName. Empty cells are ignored on update and
// "#N/A" sets null, as the real API documents.

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"weak"
)

const maxBulkJobs = 1000

type bulkJob struct {
	kind      string // "query" or "ingest"
	id        string
	operation string
	object    string
	state     string
	version   string // "v62.0"
	created   string
	extID     string
	lineEnd   string // LF or CRLF
	delimName string // COMMA, TAB, ...
	errMsg    string

	// query
	header []string
	rows   [][]string

	// ingest
	uploaded  bool
	data      []byte
	success   [][]string // sf__Id, sf__Created, columns...
	failed    [][]string // sf__Id, sf__Error, columns...
	unproc    [][]string
	inHeader  []string
	processed int
}

type bulkStore struct {
	jobs  map[string]*bulkJob
	order []string
}

// The Server type is shared with other files; the bulk jobs hang off it
// through a weak-keyed side table (dropped when the Server is collected)
// and are guarded by s.mu like the rest of the store.
var (
	bulkMu     sync.Mutex
	bulkStores = map[weak.Pointer[Server]]*bulkStore{}
)

// bulkLocked returns s's job store; s.mu must be held.
func (s *Server) bulkLocked() *bulkStore {
	key := weak.Make(s)
	bulkMu.Lock()
	defer bulkMu.Unlock()
	st := bulkStores[key]
	if st == nil {
		st = &bulkStore{jobs: map[string]*bulkJob{}}
		bulkStores[key] = st
		runtime.AddCleanup(s, func(k weak.Pointer[Server]) {
			bulkMu.Lock()
			delete(bulkStores, k)
			bulkMu.Unlock()
		}, key)
	}
	return st
}

func (st *bulkStore) add(j *bulkJob) {
	st.jobs[j.id] = j
	st.order = append(st.order, j.id)
	for len(st.order) > maxBulkJobs {
		delete(st.jobs, st.order[0])
		st.order = st.order[1:]
	}
}

func (st *bulkStore) remove(id string) {
	delete(st.jobs, id)
	for i, o := range st.order {
		if o == id {
			st.order = append(st.order[:i], st.order[i+1:]...)
			break
		}
	}
}

var delimiters = map[string]rune{"COMMA": ',', "TAB": '\t', "PIPE": '|', "SEMICOLON": ';', "CARET": '^', "BACKQUOTE": '`'}

func (j *bulkJob) comma() rune { return delimiters[j.delimName] }

// info is the job's JSON, with the real API's field names.
func (j *bulkJob) info(state string) map[string]any {
	apiVersion := json.Number(strings.TrimPrefix(j.version, "v"))
	m := map[string]any{
		"id": j.id, "operation": j.operation, "object": j.object,
		"createdById": "005Dn000000FakeAAA", "createdDate": j.created, "systemModstamp": j.created,
		"state": state, "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": apiVersion,
		"lineEnding": j.lineEnd, "columnDelimiter": j.delimName, "numberRecordsProcessed": 0, "retries": 0, "totalProcessingTime": 0,
	}
	if j.kind == "query" {
		m["jobType"] = "V2Query"
		m["isPkChunkingSupported"] = false
		if state == "JobComplete" {
			m["numberRecordsProcessed"] = len(j.rows)
		}
	} else {
		m["jobType"] = "V2Ingest"
		m["contentUrl"] = "services/data/" + j.version + "/jobs/ingest/" + j.id + "/batches"
		m["numberRecordsProcessed"] = j.processed
		m["numberRecordsFailed"] = len(j.failed)
		m["apiActiveProcessingTime"] = 0
		m["apexProcessingTime"] = 0
		if j.extID != "" {
			m["externalIdFieldName"] = j.extID
		}
	}
	if j.errMsg != "" {
		m["errorMessage"] = j.errMsg
	}
	return m
}

// sfBulk serves /services/data/vNN.N/jobs/{query|ingest}/... (seg starts
// at query or ingest). Empty segments are dropped: jsforce asks for
// results pages as jobs/query//{id}/results?locator=...
func (s *Server) sfBulk(w http.ResponseWriter, r *http.Request, version string, seg []string) {
	clean := seg[:0:0]
	for _, p := range seg {
		if p != "" {
			clean = append(clean, p)
		}
	}
	seg = clean
	kind := seg[0]
	if len(seg) == 1 {
		switch r.Method {
		case http.MethodPost:
			if kind == "query" {
				s.bulkCreateQuery(w, r, version)
			} else {
				s.bulkCreateIngest(w, r, version)
			}
		case http.MethodGet:
			s.bulkList(w, r, kind)
		default:
			sfError(w, r, 405, "METHOD_NOT_ALLOWED", "HTTP Method '"+r.Method+"' not allowed. Allowed are GET,POST")
		}
		return
	}
	if len(seg) > 3 {
		sfError(w, r, 404, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	// An upload is read before taking the lock: it may be slow.
	var upload []byte
	if len(seg) == 3 && kind == "ingest" && seg[2] == "batches" && r.Method == http.MethodPut {
		var status int
		var code, msg string
		if upload, status, code, msg = readCSVBody(r); status != 0 {
			sfError(w, r, status, code, msg)
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.bulkLocked()
	j := st.jobs[seg[1]]
	if j == nil || j.kind != kind {
		sfError(w, r, 404, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	if len(seg) == 2 {
		switch r.Method {
		case http.MethodGet:
			if j.kind == "query" && j.state == "UploadComplete" {
				j.state = "JobComplete"
			}
			writeJSON(w, r, 200, j.info(j.state), false)
		case http.MethodPatch:
			s.bulkPatchLocked(w, r, j)
		case http.MethodDelete:
			if j.state == "Open" {
				sfError(w, r, 400, "INVALIDJOBSTATE", "Job is in Open state and cannot be deleted; abort it first")
				return
			}
			st.remove(j.id)
			w.WriteHeader(http.StatusNoContent)
		default:
			sfError(w, r, 405, "METHOD_NOT_ALLOWED", "HTTP Method '"+r.Method+"' not allowed. Allowed are GET,PATCH,DELETE")
		}
		return
	}
	sub := seg[2]
	switch {
	case kind == "query" && sub == "results" && r.Method == http.MethodGet:
		bulkResultsLocked(w, r, j)
	case kind == "ingest" && sub == "batches" && r.Method == http.MethodPut:
		if j.state != "Open" {
			sfError(w, r, 400, "INVALIDJOBSTATE", "Job is not in the Open state: "+j.state)
			return
		}
		if j.uploaded {
			sfError(w, r, 400, "INVALIDJOBSTATE", "Data can be uploaded only once per job")
			return
		}
		j.uploaded, j.data = true, upload
		w.WriteHeader(http.StatusCreated)
	case kind == "ingest" && r.Method == http.MethodGet && (sub == "successfulResults" || sub == "failedResults" || sub == "unprocessedrecords"):
		if j.state == "Open" || j.state == "UploadComplete" || j.state == "InProgress" {
			sfError(w, r, 400, "INVALIDJOBSTATE", "Job is not complete: "+j.state)
			return
		}
		var hdr []string
		var rows [][]string
		switch sub {
		case "successfulResults":
			hdr, rows = append([]string{"sf__Id", "sf__Created"}, j.inHeader...), j.success
		case "failedResults":
			hdr, rows = append([]string{"sf__Id", "sf__Error"}, j.inHeader...), j.failed
		default:
			hdr, rows = j.inHeader, j.unproc
		}
		writeCSV(w, r, j, hdr, rows, nil)
	case kind == "query" && sub == "results", kind == "ingest" && sub == "batches",
		kind == "ingest" && (sub == "successfulResults" || sub == "failedResults" || sub == "unprocessedrecords"):
		sfError(w, r, 405, "METHOD_NOT_ALLOWED", "HTTP Method '"+r.Method+"' not allowed")
	default:
		sfError(w, r, 404, "NOT_FOUND", "The requested resource does not exist")
	}
}

func (s *Server) newJobLocked(kind, version string) *bulkJob {
	s.seq++
	return &bulkJob{
		kind: kind, id: fmt.Sprintf("750Dn%010dJOB", s.seq)[:18], version: version,
		created: time.Now().UTC().Format("2006-01-02T15:04:05.000-0700"), lineEnd: "LF", delimName: "COMMA",
	}
}

// jobOptions validates lineEnding and columnDelimiter into j.
func jobOptions(j *bulkJob, lineEnding, delim string) string {
	if lineEnding != "" {
		if lineEnding != "LF" && lineEnding != "CRLF" {
			return "lineEnding must be LF or CRLF"
		}
		j.lineEnd = lineEnding
	}
	if delim != "" {
		if _, ok := delimiters[delim]; !ok {
			return "columnDelimiter is not valid: " + delim
		}
		j.delimName = delim
	}
	return ""
}

func (s *Server) bulkCreateQuery(w http.ResponseWriter, r *http.Request, version string) {
	var body struct {
		Operation       string `json:"operation"`
		Query           string `json:"query"`
		ContentType     string `json:"contentType"`
		LineEnding      string `json:"lineEnding"`
		ColumnDelimiter string `json:"columnDelimiter"`
	}
	if err := readBody(r, &body); err != nil {
		sfError(w, r, 400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
		return
	}
	if body.Operation != "query" && body.Operation != "queryAll" {
		sfError(w, r, 400, "INVALIDJOB", "operation must be query or queryAll")
		return
	}
	if body.ContentType != "" && body.ContentType != "CSV" {
		sfError(w, r, 400, "INVALIDJOB", "contentType must be CSV")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.newJobLocked("query", version)
	if msg := jobOptions(j, body.LineEnding, body.ColumnDelimiter); msg != "" {
		sfError(w, r, 400, "INVALIDJOB", msg)
		return
	}
	obj, header, rows, status, code, msg := s.bulkSelectLocked(body.Query)
	if status != 0 {
		sfError(w, r, status, code, msg)
		return
	}
	j.operation, j.object, j.header, j.rows, j.state = body.Operation, obj, header, rows, "UploadComplete"
	s.bulkLocked().add(j)
	writeJSON(w, r, 200, j.info(j.state), false)
}

// bulkSelectLocked runs soql as sfQuery does and renders the rows as CSV
// cells (a relationship's field in a column of its own: Account.Name).
func (s *Server) bulkSelectLocked(soql string) (object string, header []string, rows [][]string, status int, code, msg string) {
	obj, cols, recs, e := s.selectLocked(soql, "")
	if e != nil {
		return "", nil, nil, e.status, e.code, e.msg
	}
	for _, c := range cols {
		header = append(header, c.name)
	}
	rows = make([][]string, len(recs))
	for i, rec := range recs {
		row := make([]string, len(cols))
		for k, c := range cols {
			row[k] = csvCell(c.value(rec))
		}
		rows[i] = row
	}
	return obj.name, header, rows, 0, "", ""
}

// csvCell renders a stored value as Bulk API CSV does: null is empty.
func csvCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func (s *Server) bulkList(w http.ResponseWriter, r *http.Request, kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.bulkLocked()
	recs := []map[string]any{}
	for _, id := range st.order {
		if j := st.jobs[id]; j.kind == kind {
			recs = append(recs, j.info(j.state))
		}
	}
	writeJSON(w, r, 200, map[string]any{"done": true, "records": recs, "nextRecordsUrl": nil}, false)
}

func (s *Server) bulkPatchLocked(w http.ResponseWriter, r *http.Request, j *bulkJob) {
	var body struct {
		State string `json:"state"`
	}
	if err := readBody(r, &body); err != nil {
		sfError(w, r, 400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
		return
	}
	switch {
	case body.State == "Aborted" && (j.state == "Open" || j.state == "UploadComplete" || j.state == "InProgress"):
		if j.kind == "ingest" {
			j.inHeader, j.unproc, _ = parseUpload(j)
		}
		j.state = "Aborted"
		writeJSON(w, r, 200, j.info(j.state), false)
	case body.State == "UploadComplete" && j.kind == "ingest" && j.state == "Open":
		s.ingestLocked(j)
		// The close answers UploadComplete, as the real API does; the
		// next poll sees the outcome.
		writeJSON(w, r, 200, j.info("UploadComplete"), false)
	case body.State == "Aborted" || body.State == "UploadComplete" && j.kind == "ingest":
		sfError(w, r, 400, "INVALIDJOBSTATE", "Cannot change the state of a job from "+j.state+" to "+body.State)
	default:
		sfError(w, r, 400, "INVALID_INPUT", "state must be UploadComplete or Aborted")
	}
}

func bulkResultsLocked(w http.ResponseWriter, r *http.Request, j *bulkJob) {
	if j.state == "UploadComplete" {
		j.state = "JobComplete"
	}
	if j.state != "JobComplete" {
		sfError(w, r, 400, "INVALIDJOBSTATE", "Job is not complete: "+j.state)
		return
	}
	qv := r.URL.Query()
	n := 10000
	if v := qv.Get("maxRecords"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m <= 0 {
			sfError(w, r, 400, "INVALID_INPUT", "maxRecords must be a positive integer")
			return
		}
		n = m
	}
	offset := 0
	if loc := qv.Get("locator"); loc != "" {
		b, err := base64.RawURLEncoding.DecodeString(loc)
		o, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || o <= 0 || o > len(j.rows) {
			sfError(w, r, 400, "INVALID_QUERY_LOCATOR", "invalid query locator")
			return
		}
		offset = o
	}
	end := min(offset+n, len(j.rows))
	next := "null"
	if end < len(j.rows) {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	writeCSV(w, r, j, j.header, j.rows[offset:end], func(h http.Header) {
		h.Set("Sforce-Locator", next)
		h.Set("Sforce-NumberOfRecords", strconv.Itoa(end-offset))
	})
}

// writeCSV writes a header row and rows in j's dialect, gzipped when
// accepted.
func writeCSV(w http.ResponseWriter, r *http.Request, j *bulkJob, header []string, rows [][]string, hdr func(http.Header)) {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Comma, cw.UseCRLF = j.comma(), j.lineEnd == "CRLF"
	if len(header) > 0 {
		_ = cw.Write(header)
	}
	_ = cw.WriteAll(rows)
	b := buf.Bytes()
	h := w.Header()
	h.Set("Content-Type", "text/csv")
	if hdr != nil {
		hdr(h)
	}
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		_, _ = zw.Write(b)
		_ = zw.Close()
		b = zb.Bytes()
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(200)
	_, _ = w.Write(b)
}

func (s *Server) bulkCreateIngest(w http.ResponseWriter, r *http.Request, version string) {
	var body struct {
		Object              string `json:"object"`
		Operation           string `json:"operation"`
		ExternalIDFieldName string `json:"externalIdFieldName"`
		ContentType         string `json:"contentType"`
		LineEnding          string `json:"lineEnding"`
		ColumnDelimiter     string `json:"columnDelimiter"`
	}
	if err := readBody(r, &body); err != nil {
		sfError(w, r, 400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
		return
	}
	switch body.Operation {
	case "insert", "update", "upsert", "delete", "hardDelete":
	default:
		sfError(w, r, 400, "INVALIDJOB", "InvalidJob : Invalid operation: "+body.Operation)
		return
	}
	if body.ContentType != "" && body.ContentType != "CSV" {
		sfError(w, r, 400, "INVALIDJOB", "contentType must be CSV")
		return
	}
	if body.Operation == "upsert" && body.ExternalIDFieldName == "" {
		sfError(w, r, 400, "INVALIDJOB", "InvalidJob : External ID was blank for "+body.Object+". An External ID must be specified for upsert.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	obj := s.objectLocked(body.Object)
	if obj == nil {
		sfError(w, r, 400, "INVALIDJOB", "InvalidJob : Unable to find object: "+body.Object)
		return
	}
	j := s.newJobLocked("ingest", version)
	if msg := jobOptions(j, body.LineEnding, body.ColumnDelimiter); msg != "" {
		sfError(w, r, 400, "INVALIDJOB", msg)
		return
	}
	j.operation, j.object, j.extID, j.state = body.Operation, obj.name, body.ExternalIDFieldName, "Open"
	if j.extID != "" {
		if f, ok := obj.fields[strings.ToLower(j.extID)]; ok {
			j.extID = f
		}
	}
	s.bulkLocked().add(j)
	writeJSON(w, r, 200, j.info(j.state), false)
}

// readCSVBody reads an upload (chunked or not, gzip accepted), bounded.
func readCSVBody(r *http.Request) (b []byte, status int, code, msg string) {
	ct := strings.ToLower(strings.TrimSpace(strings.Split(r.Header.Get("Content-Type"), ";")[0]))
	if ct != "text/csv" {
		return nil, 400, "INVALID_INPUT", "Content-Type must be text/csv"
	}
	var rd io.Reader = http.MaxBytesReader(nil, r.Body, maxBody)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(rd)
		if err != nil {
			return nil, 400, "INVALID_INPUT", "The request body is not valid gzip"
		}
		rd = io.LimitReader(zr, maxBody+1)
	}
	b, err := io.ReadAll(rd)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || len(b) > maxBody {
		return nil, 413, "INVALID_INPUT", "The upload exceeds the maximum size"
	}
	if err != nil {
		return nil, 400, "INVALID_INPUT", "The upload could not be read"
	}
	return b, 0, "", ""
}

// parseUpload splits j's upload into its header and rows.
func parseUpload(j *bulkJob) ([]string, [][]string, error) {
	if len(bytes.TrimSpace(j.data)) == 0 {
		return nil, nil, nil
	}
	cr := csv.NewReader(bytes.NewReader(j.data))
	cr.Comma, cr.FieldsPerRecord = j.comma(), -1
	all, err := cr.ReadAll()
	if err != nil || len(all) == 0 {
		return nil, nil, err
	}
	return all[0], all[1:], nil
}

// ingestLocked processes j's upload into the store.
func (s *Server) ingestLocked(j *bulkJob) {
	header, rows, err := parseUpload(j)
	j.inHeader = header
	if err != nil {
		j.state, j.errMsg = "Failed", "ClientInputError : "+err.Error()
		return
	}
	for i, h := range header {
		if strings.TrimSpace(h) == "" {
			j.state, j.errMsg, j.unproc = "Failed", fmt.Sprintf("InvalidBatch : Field name not valid in column %d", i+1), rows
			return
		}
	}
	obj := s.objectLocked(j.object)
	if obj == nil { // the object cannot go away, but be safe
		j.state, j.errMsg, j.unproc = "Failed", "InvalidJob : Unable to find object: "+j.object, rows
		return
	}
	idCol := -1
	for i, h := range header {
		if strings.EqualFold(h, "Id") {
			idCol = i
		}
	}
	for _, row := range rows {
		id := ""
		if idCol >= 0 && idCol < len(row) {
			id = row[idCol]
		}
		j.processed++
		if len(row) != len(header) {
			j.failed = append(j.failed, append([]string{id, fmt.Sprintf("INVALID_INPUT:row has %d fields, the header %d:--", len(row), len(header))}, row...))
			continue
		}
		newID, created, errStr := s.ingestRowLocked(j, obj, header, row, id)
		if errStr != "" {
			j.failed = append(j.failed, append([]string{id, errStr}, row...))
			continue
		}
		j.success = append(j.success, append([]string{newID, strconv.FormatBool(created)}, row...))
	}
	j.state = "JobComplete"
}

const notFoundErr = "INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--"

func (s *Server) ingestRowLocked(j *bulkJob, obj *sobjects, header, row []string, id string) (string, bool, string) {
	switch j.operation {
	case "insert":
		if id != "" {
			return "", false, "INVALID_FIELD_FOR_INSERT_UPDATE:cannot specify Id in an insert call:Id --"
		}
		return s.createLocked(obj, rowValues(obj, header, row, true)), true, ""
	case "update":
		if id == "" {
			return "", false, "MISSING_ARGUMENT:Id not specified in an update call:--"
		}
		_, rec := obj.find(id)
		if rec == nil {
			return "", false, notFoundErr
		}
		applyRow(obj, rec, rowValues(obj, header, row, false))
		return id, false, ""
	case "delete", "hardDelete":
		if id == "" {
			return "", false, "MISSING_ARGUMENT:Id not specified in a delete call:--"
		}
		i, rec := obj.find(id)
		if rec == nil {
			return "", false, notFoundErr
		}
		obj.records = append(obj.records[:i], obj.records[i+1:]...)
		return id, false, ""
	}
	// upsert
	col := -1
	for i, h := range header {
		if strings.EqualFold(h, j.extID) {
			col = i
		}
	}
	if col < 0 {
		return "", false, "MISSING_ARGUMENT:" + j.extID + " not specified:--"
	}
	key := row[col]
	vals := rowValues(obj, header, row, false)
	if strings.EqualFold(j.extID, "Id") {
		if key == "" {
			delete(vals, "Id")
			return s.createLocked(obj, vals), true, ""
		}
		if _, rec := obj.find(key); rec != nil {
			applyRow(obj, rec, vals)
			return key, false, ""
		}
		return "", false, notFoundErr
	}
	if key == "" {
		return "", false, "MISSING_ARGUMENT:" + j.extID + " not specified:--"
	}
	var hits []map[string]any
	for _, rec := range obj.records {
		if equal(rec[j.extID], key) {
			hits = append(hits, rec)
		}
	}
	switch len(hits) {
	case 0:
		return s.createLocked(obj, rowValues(obj, header, row, true)), true, ""
	case 1:
		applyRow(obj, hits[0], vals)
		return fmt.Sprint(hits[0]["Id"]), false, ""
	}
	return "", false, "DUPLICATE_EXTERNAL_ID:" + j.extID + ": more than one record found for external id field:--"
}

// rowValues turns a CSV row into field values. Empty cells are left out
// (on insert they are null anyway; on update they mean "no change") and
// "#N/A" is null. Values of fields that hold booleans or numbers are
// converted. The Id column is kept out.
func rowValues(obj *sobjects, header, row []string, insert bool) map[string]any {
	out := map[string]any{}
	for i, h := range header {
		if strings.EqualFold(h, "Id") {
			continue
		}
		name := h
		if c, ok := obj.fields[strings.ToLower(h)]; ok {
			name = c
		}
		v := row[i]
		switch {
		case v == "":
			continue
		case v == "#N/A":
			if !insert {
				out[name] = nil
			}
			continue
		}
		out[name] = typed(obj, name, v)
	}
	return out
}

func typed(obj *sobjects, field, v string) any {
	for _, rec := range obj.records {
		switch rec[field].(type) {
		case nil:
			continue
		case bool:
			if b, err := strconv.ParseBool(v); err == nil {
				return b
			}
		case float64, int64:
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return n
			}
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				return f
			}
		}
		return v
	}
	return v
}

func applyRow(obj *sobjects, rec map[string]any, vals map[string]any) {
	for k, v := range vals {
		if k == "Id" || k == "attributes" {
			continue
		}
		rec[k] = v
		obj.fields[strings.ToLower(k)] = k
	}
}

// ---- sObject Collections: PATCH and DELETE /composite/sobjects ----

// sfCollection serves the update (PATCH, records carry "id" or "Id" as
// jsforce's _updateMany sends them) and delete (DELETE ?ids=a,b) verbs of
// sObject Collections; POST stays in sfComposite.
func (s *Server) sfCollection(w http.ResponseWriter, r *http.Request) {
	fail := func(code, msg string) map[string]any {
		return map[string]any{"success": false, "errors": []map[string]any{{"statusCode": code, "message": msg, "fields": []string{}}}}
	}
	if r.Method == http.MethodDelete {
		idsParam := r.URL.Query().Get("ids")
		ids := strings.Split(idsParam, ",")
		if idsParam == "" || len(ids) > 200 {
			sfError(w, r, 400, "INVALID_INPUT", "ids must hold 1 to 200 record ids")
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		out := make([]map[string]any, 0, len(ids))
		for _, id := range ids {
			obj, i := s.findAnyLocked(id)
			if obj == nil {
				out = append(out, fail("ENTITY_IS_DELETED", "entity is deleted"))
				continue
			}
			obj.records = append(obj.records[:i], obj.records[i+1:]...)
			out = append(out, map[string]any{"id": id, "success": true, "errors": []any{}})
		}
		writeJSON(w, r, 200, out, false)
		return
	}
	var body struct {
		AllOrNone bool             `json:"allOrNone"`
		Records   []map[string]any `json:"records"`
	}
	if err := readBody(r, &body); err != nil || len(body.Records) == 0 || len(body.Records) > 200 {
		sfError(w, r, 400, "JSON_PARSER_ERROR", "records must hold 1 to 200 sObjects")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]any, 0, len(body.Records))
	for _, rec := range body.Records {
		id, _ := rec["id"].(string)
		if v, ok := rec["Id"].(string); ok {
			id = v
		}
		attrs, _ := rec["attributes"].(map[string]any)
		typ, _ := attrs["type"].(string)
		obj := s.objectLocked(typ)
		switch {
		case obj == nil:
			out = append(out, fail("INVALID_TYPE", "sObject type is not supported"))
			continue
		case id == "":
			out = append(out, fail("MISSING_ARGUMENT", "Id not specified in an update call"))
			continue
		}
		_, stored := obj.find(id)
		if stored == nil {
			out = append(out, fail("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id"))
			continue
		}
		for k, v := range rec {
			if strings.EqualFold(k, "id") || k == "attributes" {
				continue
			}
			stored[k] = plain(v)
			obj.fields[strings.ToLower(k)] = k
		}
		out = append(out, map[string]any{"id": id, "success": true, "errors": []any{}})
	}
	writeJSON(w, r, 200, out, false)
}

func (s *Server) findAnyLocked(id string) (*sobjects, int) {
	for _, o := range s.sf {
		if i, rec := o.find(id); rec != nil {
			return o, i
		}
	}
	return nil, -1
}

// ---- /composite: up to 25 subrequests, in order, with @{ref.field} ----

var compositeRefRe = regexp.MustCompile(`@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[[0-9]+\])*)\}`)

type memWriter struct {
	h    http.Header
	code int
	buf  bytes.Buffer
}

func (m *memWriter) Header() http.Header { return m.h }
func (m *memWriter) WriteHeader(c int) {
	if m.code == 0 {
		m.code = c
	}
}
func (m *memWriter) Write(b []byte) (int, error) {
	m.WriteHeader(200)
	return m.buf.Write(b)
}

// sfCompositeBatch serves POST /composite as conn.requestPost('/composite',
// {allOrNone, compositeRequest: [...]}) sends it. Subrequests run in
// order through the same handler; a later one may quote an earlier one's
// response as @{referenceId.field}. With allOrNone, a failure halts the
// rest (the fake does not roll back the earlier ones).
func (s *Server) sfCompositeBatch(w http.ResponseWriter, r *http.Request) {
	var body struct {
		AllOrNone        bool `json:"allOrNone"`
		CompositeRequest []struct {
			Method      string            `json:"method"`
			URL         string            `json:"url"`
			ReferenceID string            `json:"referenceId"`
			Body        json.RawMessage   `json:"body"`
			HTTPHeaders map[string]string `json:"httpHeaders"`
		} `json:"compositeRequest"`
	}
	if err := readBody(r, &body); err != nil || len(body.CompositeRequest) == 0 || len(body.CompositeRequest) > 25 {
		sfError(w, r, 400, "JSON_PARSER_ERROR", "compositeRequest must hold 1 to 25 subrequests")
		return
	}
	seen := map[string]bool{}
	for _, sub := range body.CompositeRequest {
		if sub.ReferenceID == "" || seen[sub.ReferenceID] || sub.Method == "" || !strings.HasPrefix(sub.URL, "/services/data/") {
			sfError(w, r, 400, "INVALID_INPUT", "each subrequest needs a method, a /services/data/ url and a unique referenceId")
			return
		}
		seen[sub.ReferenceID] = true
	}
	results := map[string]any{}
	halted := false
	out := make([]map[string]any, 0, len(body.CompositeRequest))
	for _, sub := range body.CompositeRequest {
		haltedBody := []map[string]any{{"errorCode": "PROCESSING_HALTED", "message": "The transaction was rolled back since another operation in the same transaction failed."}}
		if halted {
			out = append(out, map[string]any{"body": haltedBody, "httpHeaders": map[string]string{}, "httpStatusCode": 400, "referenceId": sub.ReferenceID})
			continue
		}
		unresolved := ""
		resolve := func(quote bool) func(string) string {
			return func(m string) string {
				p := compositeRefRe.FindStringSubmatch(m)
				v, ok := lookupRef(results[p[1]], p[2])
				if !ok {
					unresolved = p[1]
					return m
				}
				if quote {
					b, _ := json.Marshal(v)
					return strings.Trim(string(b), `"`)
				}
				return fmt.Sprint(v)
			}
		}
		url := compositeRefRe.ReplaceAllStringFunc(sub.URL, resolve(false))
		reqBody := []byte(compositeRefRe.ReplaceAllStringFunc(string(sub.Body), resolve(true)))
		if unresolved != "" {
			out = append(out, map[string]any{"body": []map[string]any{{"errorCode": "PROCESSING_HALTED", "message": "Invalid reference specified. No value for " + unresolved + " found"}},
				"httpHeaders": map[string]string{}, "httpStatusCode": 400, "referenceId": sub.ReferenceID})
			halted = body.AllOrNone
			continue
		}
		var rd io.Reader
		if len(sub.Body) > 0 && string(sub.Body) != "null" {
			rd = bytes.NewReader(reqBody)
		}
		req, err := http.NewRequestWithContext(r.Context(), sub.Method, url, rd)
		if err != nil {
			out = append(out, map[string]any{"body": []map[string]any{{"errorCode": "INVALID_INPUT", "message": "invalid subrequest"}}, "httpHeaders": map[string]string{}, "httpStatusCode": 400, "referenceId": sub.ReferenceID})
			halted = body.AllOrNone
			continue
		}
		req.Header.Set("Authorization", r.Header.Get("Authorization"))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range sub.HTTPHeaders {
			req.Header.Set(k, v)
		}
		mw := &memWriter{h: http.Header{}}
		s.ServeHTTP(mw, req)
		if mw.code == 0 {
			mw.code = 200
		}
		var decoded any
		if mw.buf.Len() > 0 {
			_ = json.Unmarshal(mw.buf.Bytes(), &decoded)
		}
		results[sub.ReferenceID] = decoded
		hdrs := map[string]string{}
		if loc := mw.h.Get("Location"); loc != "" {
			hdrs["Location"] = loc
		}
		out = append(out, map[string]any{"body": decoded, "httpHeaders": hdrs, "httpStatusCode": mw.code, "referenceId": sub.ReferenceID})
		if mw.code >= 400 {
			halted = body.AllOrNone
		}
	}
	writeJSON(w, r, 200, map[string]any{"compositeResponse": out}, false)
}

// lookupRef follows path (".field" and "[n]" steps) into v.
func lookupRef(v any, path string) (any, bool) {
	if v == nil {
		return nil, false
	}
	for path != "" {
		if path[0] == '.' {
			end := strings.IndexAny(path[1:], ".[")
			if end < 0 {
				end = len(path) - 1
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[path[1:1+end]]; !ok {
				return nil, false
			}
			path = path[1+end:]
			continue
		}
		end := strings.IndexByte(path, ']')
		n, _ := strconv.Atoi(path[1:end])
		a, ok := v.([]any)
		if !ok || n >= len(a) {
			return nil, false
		}
		v, path = a[n], path[end+1:]
	}
	return v, v != nil
}
