package fakecrm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// sobjects is one Salesforce object's records, in fixture order.
type sobjects struct {
	name    string
	prefix  string // id key prefix (003 Contact, 00Q Lead, ...)
	records []map[string]any
	fields  map[string]string // lower-case → canonical field name
}

func newSObjects(name string, recs []map[string]any) *sobjects {
	o := &sobjects{name: name, records: recs, fields: map[string]string{}, prefix: "a00"}
	for _, r := range recs {
		for k := range r {
			o.fields[strings.ToLower(k)] = k
		}
		if id, ok := r["Id"].(string); ok && len(id) >= 3 {
			o.prefix = id[:3]
		}
	}
	return o
}

func (o *sobjects) find(id string) (int, map[string]any) {
	for i, r := range o.records {
		if r["Id"] == id {
			return i, r
		}
	}
	return -1, nil
}

// project returns rec's fields in order, with attributes first.
func (o *sobjects) project(rec map[string]any, fields []string, version string) orderedRecord {
	out := orderedRecord{keys: []string{"attributes"}, vals: map[string]any{
		"attributes": map[string]string{"type": o.name, "url": fmt.Sprintf("/services/data/%s/sobjects/%s/%s", version, o.name, rec["Id"])},
	}}
	for _, f := range fields {
		if _, dup := out.vals[f]; dup {
			continue
		}
		out.keys = append(out.keys, f)
		out.vals[f] = rec[f]
	}
	return out
}

// orderedRecord marshals its keys in order, as Salesforce does.
type orderedRecord struct {
	keys []string
	vals map[string]any
}

func (r orderedRecord) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, k := range r.keys {
		if i > 0 {
			b = append(b, ',')
		}
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(r.vals[k])
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, kb...), ':'), vb...)
	}
	return append(b, '}'), nil
}

type cursor struct {
	records []orderedRecord
	version string
}

var versionRe = regexp.MustCompile(`^v\d{2,3}\.\d$`)

func (s *Server) salesforce(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Sforce-Limit-Info", "api-usage=25/15000")
	rest, ok := strings.CutPrefix(r.URL.Path, "/services/data/")
	if !ok {
		sfError(w, r, 404, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	// A .xml or .json suffix picks the format, as an Accept header would.
	if base, ok := strings.CutSuffix(rest, ".xml"); ok {
		rest, r = base, withFormat(r, true)
	} else if base, ok := strings.CutSuffix(rest, ".json"); ok {
		rest, r = base, withFormat(r, false)
	}
	seg := strings.Split(strings.Trim(rest, "/"), "/")
	if rest == "" || rest == "/" {
		writeJSON(w, r, 200, []map[string]string{{"label": "Winter '25", "url": "/services/data/v62.0", "version": "62.0"}}, false)
		return
	}
	if !versionRe.MatchString(seg[0]) {
		sfError(w, r, 404, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	version, seg := seg[0], seg[1:]
	switch {
	case len(seg) == 1 && (seg[0] == "query" || seg[0] == "queryAll") && r.Method == http.MethodGet:
		s.sfQuery(w, r, version)
	case len(seg) == 2 && seg[0] == "query" && r.Method == http.MethodGet:
		s.sfMore(w, r, seg[1])
	case len(seg) >= 2 && seg[0] == "sobjects":
		s.sfSObject(w, r, version, seg[1:])
	case len(seg) >= 2 && seg[0] == "jobs" && (seg[1] == "query" || seg[1] == "ingest"):
		s.sfBulk(w, r, version, seg[1:]) // bulk.go
	case len(seg) == 2 && seg[0] == "composite" && seg[1] == "sobjects" && (r.Method == http.MethodPatch || r.Method == http.MethodDelete):
		s.sfCollection(w, r) // bulk.go
	case len(seg) == 2 && seg[0] == "composite" && seg[1] == "sobjects":
		s.sfComposite(w, r, version)
	case len(seg) == 1 && seg[0] == "composite" && r.Method == http.MethodPost:
		s.sfCompositeBatch(w, r) // bulk.go
	case len(seg) >= 1 && (seg[0] == "query" || seg[0] == "composite"):
		sfError(w, r, 405, "METHOD_NOT_ALLOWED", "HTTP Method '"+r.Method+"' not allowed")
	default:
		sfError(w, r, 404, "NOT_FOUND", "The requested resource does not exist")
	}
}

func (s *Server) pageSize(r *http.Request) int {
	n := s.opts.PageSize
	if n <= 0 {
		n = 2000
	}
	if v, ok := strings.CutPrefix(r.Header.Get("Sforce-Query-Options"), "batchSize="); ok {
		if b, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && b > 0 {
			n = b
		}
	}
	return n
}

func (s *Server) sfQuery(w http.ResponseWriter, r *http.Request, version string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _, recs, e := s.selectLocked(r.URL.Query().Get("q"), version)
	if e != nil {
		sfError(w, r, e.status, e.code, e.msg)
		return
	}
	s.pageLocked(w, r, &cursor{records: recs, version: version}, 0)
}

// pageOfLocked returns at most n of c's records from offset and, when more
// remain, the locator of the rest ("<id>-<offset>", registered in s.curs):
// the REST API's nextRecordsUrl ends with it, the SOAP API's queryLocator
// is it.
func (s *Server) pageOfLocked(c *cursor, offset, n int) ([]orderedRecord, string) {
	end := min(offset+n, len(c.records))
	if end == len(c.records) {
		return c.records[offset:end], ""
	}
	s.seq++
	loc := fmt.Sprintf("01gDn%010dAAA", s.seq)
	if len(s.curs) > 1000 { // bounded: forget old cursors
		clear(s.curs)
	}
	s.curs[loc] = c
	return c.records[offset:end], fmt.Sprintf("%s-%d", loc, end)
}

// pageLocked writes one page of c from offset, registering a locator for the rest.
func (s *Server) pageLocked(w http.ResponseWriter, r *http.Request, c *cursor, offset int) {
	recs, loc := s.pageOfLocked(c, offset, s.pageSize(r))
	next := ""
	if loc != "" {
		next = fmt.Sprintf("/services/data/%s/query/%s", c.version, loc)
	}
	if wantsXML(r) {
		writeQueryXML(w, r, len(c.records), next, recs) // restxml.go
		return
	}
	body := map[string]any{"totalSize": len(c.records), "done": next == "", "records": recs}
	if next != "" {
		body["nextRecordsUrl"] = next
	}
	writeJSON(w, r, 200, body, false)
}

// lookupLocator finds a locator pageOfLocked gave: the cursor and the
// offset of the rest.
func (s *Server) lookupLocator(locator string) (*cursor, int, bool) {
	loc, off, ok := strings.Cut(locator, "-")
	offset, err := strconv.Atoi(off)
	c := s.curs[loc]
	if !ok || err != nil || c == nil || offset < 0 || offset > len(c.records) {
		return nil, 0, false
	}
	return c, offset, true
}

func (s *Server) sfMore(w http.ResponseWriter, r *http.Request, locator string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, offset, ok := s.lookupLocator(locator)
	if !ok {
		sfError(w, r, 400, "INVALID_QUERY_LOCATOR", "invalid query locator")
		return
	}
	s.pageLocked(w, r, c, offset)
}

func (s *Server) objectLocked(name string) *sobjects {
	for n, o := range s.sf {
		if strings.EqualFold(n, name) {
			return o
		}
	}
	return nil
}

// resolve maps requested fields to canonical names; FIELDS(ALL) is every field.
func (o *sobjects) resolve(req []string) ([]string, string) {
	var out []string
	for _, f := range req {
		if strings.EqualFold(f, "FIELDS(ALL)") {
			out = append(out, o.allFields()...)
			continue
		}
		c, ok := o.fields[strings.ToLower(f)]
		if !ok {
			return nil, f
		}
		out = append(out, c)
	}
	return out, ""
}

func (o *sobjects) allFields() []string {
	var out []string
	for _, c := range o.fields {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

func (s *Server) sfSObject(w http.ResponseWriter, r *http.Request, version string, seg []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	obj := s.objectLocked(seg[0])
	if obj == nil {
		sfError(w, r, 404, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	if len(seg) == 1 {
		if r.Method != http.MethodPost {
			sfError(w, r, 405, "METHOD_NOT_ALLOWED", "HTTP Method '"+r.Method+"' not allowed. Allowed are GET,POST")
			return
		}
		rec, ok := readRecord(w, r, obj) // restxml.go: JSON or XML
		if !ok {
			return
		}
		id := s.createLocked(obj, rec)
		if wantsXML(r) {
			writeSaveResultXML(w, r, id)
			return
		}
		writeJSON(w, r, 201, map[string]any{"id": id, "success": true, "errors": []any{}}, false)
		return
	}
	if len(seg) != 2 {
		sfError(w, r, 404, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	i, rec := obj.find(seg[1])
	if rec == nil {
		sfError(w, r, 404, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		fields := obj.allFields()
		if f := r.URL.Query().Get("fields"); f != "" {
			var bad string
			if fields, bad = obj.resolve(strings.Split(f, ",")); bad != "" {
				sfError(w, r, 400, "INVALID_FIELD", "No such column '"+bad+"' on entity '"+obj.name+"'.")
				return
			}
		}
		if wantsXML(r) {
			writeRecordXML(w, r, obj.project(rec, fields, version))
			return
		}
		writeJSON(w, r, 200, obj.project(rec, fields, version), true)
	case http.MethodPatch:
		patch, ok := readRecord(w, r, obj)
		if !ok {
			return
		}
		for k, v := range patch {
			if k == "Id" || k == "attributes" {
				continue
			}
			rec[k] = plain(v)
			obj.fields[strings.ToLower(k)] = k
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		obj.records = append(obj.records[:i], obj.records[i+1:]...)
		w.WriteHeader(http.StatusNoContent)
	default:
		sfError(w, r, 405, "METHOD_NOT_ALLOWED", "HTTP Method '"+r.Method+"' not allowed. Allowed are HEAD,GET,PATCH,DELETE")
	}
}

func (s *Server) createLocked(obj *sobjects, rec map[string]any) string {
	s.seq++
	id := fmt.Sprintf("%sDn%010dNEW", obj.prefix, s.seq)[:18]
	clean := map[string]any{"Id": id}
	for k, v := range rec {
		if k != "attributes" && k != "Id" {
			clean[k] = plain(v)
			obj.fields[strings.ToLower(k)] = k
		}
	}
	obj.records = append(obj.records, clean)
	return id
}

// plain turns json.Number back into a float64 or int for storage.
func plain(v any) any {
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return i
		}
		f, _ := n.Float64()
		return f
	}
	return v
}

func (s *Server) sfComposite(w http.ResponseWriter, r *http.Request, version string) {
	if r.Method != http.MethodPost {
		sfError(w, r, 405, "METHOD_NOT_ALLOWED", "HTTP Method '"+r.Method+"' not allowed. Allowed are POST")
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
		attrs, _ := rec["attributes"].(map[string]any)
		typ, _ := attrs["type"].(string)
		obj := s.objectLocked(typ)
		if obj == nil {
			out = append(out, map[string]any{"success": false, "errors": []map[string]any{{"statusCode": "INVALID_TYPE", "message": "sObject type is not supported", "fields": []string{}}}})
			continue
		}
		out = append(out, map[string]any{"id": s.createLocked(obj, rec), "success": true, "errors": []any{}})
	}
	writeJSON(w, r, 200, out, false)
}
