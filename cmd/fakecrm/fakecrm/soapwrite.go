package fakecrm

// The SOAP API's writes (create, update, upsert, delete) and search.
//
// Writes run each sObjects element through the Bulk API's row ingestion
// (ingestRowLocked), so SOAP, Bulk 1.0 and Bulk 2.0 writes behave alike:
// values are typed like the field's stored values, fieldsToNull and
// xsi:nil set null, upsert matches externalIDFieldName. The record's type
// is its <type> child (Partner) or its xsi:type (Enterprise).
//
// search takes a SOSL subset:
//
//	FIND {term} [IN ALL|NAME|EMAIL|PHONE FIELDS] RETURNING Object[(f1, f2)][, Object2...] [LIMIT n]
//
// A record matches when one of the scope's text fields contains the term
// (case-insensitive, * and quotes ignored); it is returned with the
// listed fields (Id when none are).

import (
	"regexp"
	"strconv"
	"strings"
)

// saveOutcome is one record's result.
type saveOutcome struct {
	id      string
	created bool
	err     string // "CODE:message:fields --" as ingestRowLocked gives it
}

// soapRow turns an sObjects element into a CSV-like header and row for
// ingestRowLocked: null values are "#N/A".
func soapRow(n *xnode) (typ string, header, row []string) {
	typ = n.childText("type")
	if typ == "" {
		if t := n.attr("type"); t != "" { // xsi:type="sf:Contact"
			typ = t[strings.LastIndex(t, ":")+1:]
		}
	}
	for i := range n.Kids {
		f := &n.Kids[i]
		switch name := f.XMLName.Local; {
		case name == "type" && f.XMLName.Space != enterpriseAPI.sobj:
		case name == "fieldsToNull":
			header, row = append(header, strings.TrimSpace(f.Text)), append(row, "#N/A")
		case f.isNil():
			header, row = append(header, name), append(row, "#N/A")
		default:
			header, row = append(header, name), append(row, f.Text)
		}
	}
	return typ, header, row
}

func (c *soapCall) save(op string) {
	nodes := c.op.children("sObjects")
	if len(nodes) == 0 || len(nodes) > maxSOAP {
		c.fault("", "EXCEEDED_ID_LIMIT", "UnexpectedErrorFault", "record limit reached. cannot submit more than "+strconv.Itoa(maxSOAP)+" records into this call")
		return
	}
	s := c.s
	s.mu.Lock()
	type input struct {
		obj         *sobjects
		header, row []string
	}
	ins := make([]input, len(nodes))
	for i, n := range nodes {
		typ, header, row := soapRow(n)
		obj := s.objectLocked(typ)
		if obj == nil {
			s.mu.Unlock()
			msg := "sObject type '" + typ + "' is not supported."
			if typ == "" {
				msg = "Must send a concrete entity type."
			}
			c.fault("", "INVALID_TYPE", "InvalidSObjectFault", msg)
			return
		}
		ins[i] = input{obj, header, row}
	}
	jobOp := map[string]string{"create": "insert", "update": "update", "upsert": "upsert"}[op]
	extID := c.op.childText("externalIDFieldName")
	if op == "upsert" {
		for _, in := range ins {
			if _, ok := in.obj.fields[strings.ToLower(extID)]; !ok {
				s.mu.Unlock()
				c.fault("", "INVALID_FIELD", "InvalidFieldFault", "Field name provided, "+extID+" is not an External ID or indexed field for "+in.obj.name)
				return
			}
		}
	}
	out := make([]saveOutcome, len(ins))
	for i, in := range ins {
		j := &bulkJob{operation: jobOp, extID: in.obj.fields[strings.ToLower(extID)]}
		id := ""
		for k, h := range in.header {
			if strings.EqualFold(h, "Id") {
				id = strings.TrimSpace(in.row[k])
			}
		}
		newID, created, errStr := s.ingestRowLocked(j, in.obj, in.header, in.row, id)
		out[i] = saveOutcome{newID, created, errStr}
	}
	s.mu.Unlock()
	c.respond(func(x *xw) {
		for _, o := range out {
			x.start("result")
			if op == "upsert" {
				x.leaf("created", strconv.FormatBool(o.created))
			}
			writeOutcome(x, o)
			x.end("result")
		}
	})
}

// writeOutcome writes a SaveResult's (UpsertResult's, DeleteResult's)
// errors, id and success.
func writeOutcome(x *xw, o saveOutcome) {
	if o.err != "" {
		code, msg, fields := splitIngestError(o.err)
		x.start("errors")
		for _, f := range fields {
			x.leaf("fields", f)
		}
		x.leaf("message", msg)
		x.leaf("statusCode", code)
		x.end("errors")
		x.nilLeaf("id")
		x.leaf("success", "false")
		return
	}
	x.leaf("id", o.id)
	x.leaf("success", "true")
}

// splitIngestError splits "CODE:message:field1,field2 --".
func splitIngestError(s string) (code, msg string, fields []string) {
	code, rest, _ := strings.Cut(s, ":")
	msg = rest
	if i := strings.LastIndex(rest, ":"); i >= 0 {
		msg = rest[:i]
		fl := strings.TrimSuffix(strings.TrimSpace(rest[i+1:]), "--")
		fields = strings.Fields(strings.ReplaceAll(fl, ",", " "))
	}
	return code, msg, fields
}

func (c *soapCall) delete() {
	nodes := c.op.children("ids")
	if len(nodes) == 0 || len(nodes) > maxSOAP {
		c.fault("", "EXCEEDED_ID_LIMIT", "UnexpectedErrorFault", "record limit reached. cannot submit more than "+strconv.Itoa(maxSOAP)+" records into this call")
		return
	}
	s := c.s
	s.mu.Lock()
	out := make([]saveOutcome, len(nodes))
	for i, n := range nodes {
		id := strings.TrimSpace(n.Text)
		obj, k := s.findAnyLocked(id)
		if obj == nil {
			out[i] = saveOutcome{err: "ENTITY_IS_DELETED:entity is deleted:--"}
			continue
		}
		obj.records = append(obj.records[:k], obj.records[k+1:]...)
		out[i] = saveOutcome{id: id}
	}
	s.mu.Unlock()
	c.respond(func(x *xw) {
		for _, o := range out {
			x.start("result")
			writeOutcome(x, o)
			x.end("result")
		}
	})
}

var (
	soslRe       = regexp.MustCompile(`(?is)^\s*FIND\s+\{((?:[^}\\]|\\.)*)\}\s*(?:IN\s+(ALL|NAME|EMAIL|PHONE)\s+FIELDS\s+)?RETURNING\s+(.+?)(?:\s+LIMIT\s+(\d+))?\s*$`)
	soslObjectRe = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(([^()]*)\))?\s*$`)
)

// inScope reports whether a field belongs to a SOSL search group.
func inScope(scope, field string) bool {
	f := strings.ToLower(field)
	switch strings.ToUpper(scope) {
	case "NAME":
		return strings.HasSuffix(f, "name")
	case "EMAIL":
		return strings.Contains(f, "email")
	case "PHONE":
		return strings.Contains(f, "phone")
	}
	return true
}

func (c *soapCall) search(sosl string) {
	m := soslRe.FindStringSubmatch(sosl)
	if len(sosl) > 20000 || m == nil {
		c.fault("", "MALFORMED_SEARCH", "MalformedSearchFault", "unexpected token in search")
		return
	}
	term := strings.ToLower(strings.NewReplacer("*", "", `"`, "", `\`, "").Replace(strings.TrimSpace(m[1])))
	limit := -1
	if m[4] != "" {
		limit, _ = strconv.Atoi(m[4])
	}
	var specs []string // split RETURNING at commas outside parentheses
	depth, from := 0, 0
	for i, r := range m[3] {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				specs, from = append(specs, m[3][from:i]), i+1
			}
		}
	}
	specs = append(specs, m[3][from:])
	s := c.s
	s.mu.Lock()
	var found []orderedRecord
	for _, spec := range specs {
		om := soslObjectRe.FindStringSubmatch(spec)
		if om == nil {
			s.mu.Unlock()
			c.fault("", "MALFORMED_SEARCH", "MalformedSearchFault", "unexpected token: '"+strings.TrimSpace(spec)+"'")
			return
		}
		obj := s.objectLocked(om[1])
		if obj == nil {
			s.mu.Unlock()
			c.fault("", "INVALID_TYPE", "InvalidSObjectFault", "sObject type '"+om[1]+"' is not supported.")
			return
		}
		fields := []string{"Id"}
		if strings.TrimSpace(om[2]) != "" {
			fields = nil
			for _, f := range strings.Split(om[2], ",") {
				fields = append(fields, strings.TrimSpace(f))
			}
		}
		cols, e := s.columnsLocked(obj, fields)
		if e != nil {
			s.mu.Unlock()
			c.failWith(e)
			return
		}
		for _, rec := range obj.records {
			if limit >= 0 && len(found) >= limit {
				break
			}
			if term != "" && recordMatches(rec, term, m[2]) {
				found = append(found, s.projectLocked(obj, rec, cols, "v"+c.ver))
			}
		}
	}
	s.mu.Unlock()
	c.respond(func(x *xw) {
		x.start("result")
		for _, rec := range found {
			x.start("searchRecords")
			x.record("record", rec, c.api.style, "")
			x.end("searchRecords")
		}
		x.end("result")
	})
}

// recordMatches reports whether one of rec's text fields in scope holds term.
func recordMatches(rec map[string]any, term, scope string) bool {
	for k, v := range rec {
		if sv, ok := v.(string); ok && inScope(scope, k) && strings.Contains(strings.ToLower(sv), term) {
			return true
		}
	}
	return false
}
