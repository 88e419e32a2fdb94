package fakecrm

// Bulk API 1.0, under /services/async/<ver>/, authenticated by the
// X-SFDC-Session header (the tokens the REST and SOAP APIs accept):
//
//	POST job                               jobInfo XML: operation (insert, update, upsert, delete,
//	                                       hardDelete, query, queryAll), object, contentType (CSV or
//	                                       XML, the default), externalIdFieldName → 201 jobInfo, Open
//	GET  job/<id>                          jobInfo with the batch and record counts
//	POST job/<id>                          <jobInfo><state>Closed|Aborted</state></jobInfo>
//	POST job/<id>/batch                    CSV rows, XML <sObjects><sObject>…, or a query's SOQL
//	                                       → 201 batchInfo, Queued; processed at once
//	GET  job/<id>/batch                    batchInfoList
//	GET  job/<id>/batch/<bid>              batchInfo: Completed (or Failed, with stateMessage)
//	GET  job/<id>/batch/<bid>/result       writes: "Id","Success","Created","Error" CSV or
//	                                       <results><result>…; queries: <result-list><result>752…
//	GET  job/<id>/batch/<bid>/result/<rid> the query's records: CSV (every cell quoted, as
//	                                       Salesforce writes it) or <queryResult><records
//	                                       xsi:type="sObject"><type>…</type><Id>…</Id>…
//
// Errors are <error xmlns="http://www.force.com/2009/06/asyncapi/dataload">
// <exceptionCode>…</exceptionCode><exceptionMessage>…</exceptionMessage>
// </error> (InvalidSessionId with HTTP 400, as jsforce expects it).
// Writes go through the Bulk API 2.0 row ingestion (ingestRowLocked);
// queries through the REST API's SOQL evaluator (relationships as
// Account.Name columns in CSV, nested records in XML).
//
// Large results: a query batch posted with the header
// "X-Fakecrm-Records: N" has a result of N records, the query's records
// repeated in turn with unique Ids (prefix, "Dn", ten digits, "GEN"),
// generated while it is written (chunked, 64 KB at a time, never held in
// memory): this is how Veil's tests get a Bulk 1.0 XML (or CSV) result of
// a gigabyte. SELECT FIELDS(ALL) FROM Contact gives about 1,050 bytes of
// XML a record: 1,030,000 records make a little over 1 GiB.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	maxV1Records   = 10000   // records per ingest batch, as Salesforce limits them
	maxV1Generated = 1 << 31 // X-Fakecrm-Records
	ctV1XML        = "application/xml"
)

type v1Job struct {
	id, operation, object, extID string
	contentType, state, created  string
	version                      string // "62.0"
	batches                      []*v1Batch
}

type v1Batch struct {
	id, state, msg, created string
	processed, failed       int
	results                 []saveOutcome // ingest
	resultID                string        // query
	cols                    []column
	recs                    []orderedRecord
	repeat                  int // generated result of this many records; 0: recs as they are
}

// v1PathRe splits a Bulk 1.0 path: version, job id, "/batch", batch id,
// "/result", result id.
var v1PathRe = regexp.MustCompile(`^/services/async/(\d{2,3}\.\d)/job(?:/([^/]+)(/batch(?:/([^/]+)(/result(?:/([^/]+))?)?)?)?)?/?$`)

func v1Error(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	writeDoc(w, r, status, ctV1XML, false, func(x *xw) {
		x.start("error", "xmlns", nsDataload)
		x.leaf("exceptionCode", code)
		x.leaf("exceptionMessage", msg)
		x.end("error")
	})
}

func v1Now() string { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z") }

func (s *Server) bulkV1(w http.ResponseWriter, r *http.Request) {
	if !s.sessionOK(strings.TrimSpace(r.Header.Get("X-SFDC-Session"))) {
		v1Error(w, r, 400, "InvalidSessionId", "Invalid session id")
		return
	}
	m := v1PathRe.FindStringSubmatch(r.URL.Path)
	if m == nil {
		v1Error(w, r, 404, "InvalidUrl", "The requested resource does not exist")
		return
	}
	ver, jobID, batchID, resultID := m[1], m[2], m[4], m[6]
	var kind string // what the path names
	switch {
	case jobID == "":
		kind = "create"
	case m[3] == "":
		kind = "job"
	case batchID == "":
		kind = "batches"
	case m[5] == "":
		kind = "batch"
	case resultID == "":
		kind = "results"
	default:
		kind = "result"
	}
	allowed := map[string][]string{"create": {"POST"}, "job": {"GET", "POST"}, "batches": {"GET", "POST"}}[kind]
	if allowed == nil {
		allowed = []string{"GET"}
	}
	if !slices.Contains(allowed, r.Method) {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		v1Error(w, r, 405, "InvalidUrl", "HTTP method '"+r.Method+"' not allowed. Allowed are "+strings.Join(allowed, ","))
		return
	}
	if kind == "create" {
		s.v1CreateJob(w, r, ver)
		return
	}
	// A batch is read before taking the lock: it may be slow.
	var body []byte
	if r.Method == http.MethodPost {
		var err error
		if body, err = readV1Body(r); err != nil {
			status := 400
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				status = 413
			}
			v1Error(w, r, status, "ClientInputError", "The request body could not be read: "+err.Error())
			return
		}
	}
	s.mu.Lock()
	j := s.xs.jobs[jobID]
	if j == nil {
		s.mu.Unlock()
		v1Error(w, r, 400, "InvalidJob", "Invalid job id: "+jobID)
		return
	}
	switch {
	case kind == "job" && r.Method == http.MethodGet:
		defer s.mu.Unlock()
		writeJobInfo(w, r, 200, j)
	case kind == "job":
		defer s.mu.Unlock()
		s.v1ChangeStateLocked(w, r, j, body)
	case kind == "batches" && r.Method == http.MethodPost:
		defer s.mu.Unlock()
		s.v1AddBatchLocked(w, r, j, body) // bulkv1batch.go
	case kind == "batches":
		defer s.mu.Unlock()
		writeV1Doc(w, r, 200, func(x *xw) {
			x.start("batchInfoList", "xmlns", nsDataload)
			for _, b := range j.batches {
				batchInfo(x, j, b, false, b.state)
			}
			x.end("batchInfoList")
		})
	default:
		var b *v1Batch
		for _, c := range j.batches {
			if c.id == batchID {
				b = c
			}
		}
		switch {
		case b == nil:
			s.mu.Unlock()
			v1Error(w, r, 400, "InvalidBatch", "Invalid batch id: "+batchID)
		case kind == "batch":
			defer s.mu.Unlock()
			writeV1Doc(w, r, 200, func(x *xw) { batchInfo(x, j, b, true, b.state) })
		case b.state != "Completed":
			s.mu.Unlock()
			v1Error(w, r, 400, "InvalidBatch", "Batch not completed: "+b.msg)
		case kind == "results":
			defer s.mu.Unlock()
			v1ResultList(w, r, j, b)
		case !j.isQuery() || resultID != b.resultID:
			s.mu.Unlock()
			v1Error(w, r, 400, "InvalidBatch", "Invalid result id: "+resultID)
		default:
			// A batch's query result does not change once made: it is
			// streamed without the lock.
			ct := j.contentType
			s.mu.Unlock()
			streamV1Query(w, r, ct, b)
		}
	}
}

func (j *v1Job) isQuery() bool { return j.operation == "query" || j.operation == "queryAll" }

// readV1Body reads a request body (gzip accepted), bounded.
func readV1Body(r *http.Request) ([]byte, error) {
	rd, err := openBody(r)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(rd)
}

func writeV1Doc(w http.ResponseWriter, r *http.Request, status int, fill func(x *xw)) {
	writeDoc(w, r, status, ctV1XML, false, fill)
}

func (s *Server) v1CreateJob(w http.ResponseWriter, r *http.Request, ver string) {
	rd, err := openBody(r)
	var n *xnode
	if err == nil {
		n, err = parseXML(rd)
	}
	if err != nil || n.XMLName.Local != "jobInfo" {
		v1Error(w, r, 400, "InvalidXML", "The request body is not a jobInfo")
		return
	}
	op, object := n.childText("operation"), n.childText("object")
	ct, extID := n.childText("contentType"), n.childText("externalIdFieldName")
	switch op {
	case "insert", "update", "upsert", "delete", "hardDelete", "query", "queryAll":
	default:
		v1Error(w, r, 400, "InvalidJob", "Invalid operation: "+op)
		return
	}
	switch ct {
	case "":
		ct = "XML" // Bulk API 1.0's default
	case "CSV", "XML":
	default:
		v1Error(w, r, 400, "InvalidJob", "Unsupported content type: "+ct+" (the fake takes CSV and XML)")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	obj := s.objectLocked(object)
	if obj == nil {
		v1Error(w, r, 400, "InvalidJob", "Unable to find object: "+object)
		return
	}
	if op == "upsert" {
		f, ok := obj.fields[strings.ToLower(extID)]
		if !ok {
			v1Error(w, r, 400, "InvalidJob", "External ID was blank for "+obj.name+". An External ID must be specified for upsert.")
			return
		}
		extID = f
	}
	s.seq++
	j := &v1Job{
		id: fmt.Sprintf("750Dn%010dJV1", s.seq)[:18], operation: op, object: obj.name, extID: extID,
		contentType: ct, state: "Open", created: v1Now(), version: ver,
	}
	if s.xs.jobs == nil {
		s.xs.jobs = map[string]*v1Job{}
	}
	s.xs.jobs[j.id] = j
	s.xs.order = append(s.xs.order, j.id)
	for len(s.xs.order) > maxBulkJobs {
		delete(s.xs.jobs, s.xs.order[0])
		s.xs.order = s.xs.order[1:]
	}
	writeJobInfo(w, r, 201, j)
}

func writeJobInfo(w http.ResponseWriter, r *http.Request, status int, j *v1Job) {
	var done, failed, processed, recFailed int
	for _, b := range j.batches {
		if b.state == "Completed" {
			done++
		} else {
			failed++
		}
		processed += b.processed
		recFailed += b.failed
	}
	writeV1Doc(w, r, status, func(x *xw) {
		x.start("jobInfo", "xmlns", nsDataload)
		x.leaf("id", j.id)
		x.leaf("operation", j.operation)
		x.leaf("object", j.object)
		x.leaf("createdById", "005Dn000000FakeAAA")
		x.leaf("createdDate", j.created)
		x.leaf("systemModstamp", j.created)
		x.leaf("state", j.state)
		if j.extID != "" {
			x.leaf("externalIdFieldName", j.extID)
		}
		x.leaf("concurrencyMode", "Parallel")
		x.leaf("contentType", j.contentType)
		for _, kv := range []struct {
			k string
			v int
		}{
			{"numberBatchesQueued", 0}, {"numberBatchesInProgress", 0}, {"numberBatchesCompleted", done},
			{"numberBatchesFailed", failed}, {"numberBatchesTotal", len(j.batches)},
			{"numberRecordsProcessed", processed}, {"numberRetries", 0},
		} {
			x.leaf(kv.k, strconv.Itoa(kv.v))
		}
		x.leaf("apiVersion", j.version)
		x.leaf("numberRecordsFailed", strconv.Itoa(recFailed))
		x.leaf("totalProcessingTime", "0")
		x.leaf("apiActiveProcessingTime", "0")
		x.leaf("apexProcessingTime", "0")
		x.end("jobInfo")
	})
}

// batchInfo writes b as a batchInfo element, reporting state; root: the
// document's root, which carries the namespace.
func batchInfo(x *xw, j *v1Job, b *v1Batch, root bool, state string) {
	if root {
		x.start("batchInfo", "xmlns", nsDataload)
	} else {
		x.start("batchInfo")
	}
	x.leaf("id", b.id)
	x.leaf("jobId", j.id)
	x.leaf("state", state)
	if state == "Failed" {
		x.leaf("stateMessage", b.msg)
	}
	x.leaf("createdDate", b.created)
	x.leaf("systemModstamp", b.created)
	x.leaf("numberRecordsProcessed", strconv.Itoa(b.processed))
	x.leaf("numberRecordsFailed", strconv.Itoa(b.failed))
	x.leaf("totalProcessingTime", "0")
	x.leaf("apiActiveProcessingTime", "0")
	x.leaf("apexProcessingTime", "0")
	x.end("batchInfo")
}

func (s *Server) v1ChangeStateLocked(w http.ResponseWriter, r *http.Request, j *v1Job, body []byte) {
	n, err := parseXML(bytes.NewReader(body))
	if err != nil || n.XMLName.Local != "jobInfo" {
		v1Error(w, r, 400, "InvalidXML", "The request body is not a jobInfo")
		return
	}
	switch state := n.childText("state"); {
	case state != "Closed" && state != "Aborted":
		v1Error(w, r, 400, "InvalidJobState", "Invalid state: "+state+"; a job can be Closed or Aborted")
	case j.state != "Open":
		v1Error(w, r, 400, "InvalidJobState", "Job "+j.id+" is "+j.state+"; only an Open job can be "+state)
	default:
		j.state = state
		writeJobInfo(w, r, 200, j)
	}
}
