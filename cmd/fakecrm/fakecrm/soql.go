package fakecrm

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// query is the SOQL subset the fake understands:
// SELECT f1, f2 FROM Object [WHERE F = 'v' [AND F LIKE '%v%' ...]] [ORDER BY F [ASC|DESC]] [LIMIT n]
type query struct {
	fields  []string
	object  string
	where   []cond
	orderBy string
	desc    bool
	limit   int
}

type cond struct {
	field, op string // "=", "!=", "LIKE"
	value     any    // string, bool or nil
}

var soqlRe = regexp.MustCompile(`(?is)^\s*SELECT\s+(.+?)\s+FROM\s+([A-Za-z_][A-Za-z0-9_]*)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER\s+BY\s+([A-Za-z_][A-Za-z0-9_]*)(?:\s+(ASC|DESC))?)?(?:\s+LIMIT\s+(\d+))?\s*$`)
var condRe = regexp.MustCompile(`(?is)^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=|!=|LIKE)\s*('(?:[^'\\]|\\.)*'|true|false|null)\s*$`)
var andRe = regexp.MustCompile(`(?i)\s+AND\s+`)

var errMalformed = errors.New("malformed query")

func parseSOQL(q string) (*query, error) {
	if len(q) > 20000 {
		return nil, errMalformed
	}
	m := soqlRe.FindStringSubmatch(q)
	if m == nil {
		return nil, errMalformed
	}
	out := &query{object: m[2], orderBy: m[4], desc: strings.EqualFold(m[5], "DESC")}
	for _, f := range strings.Split(m[1], ",") {
		f = strings.TrimSpace(f)
		if f == "" || strings.ContainsAny(f, " ()") && !strings.EqualFold(f, "FIELDS(ALL)") {
			return nil, errMalformed
		}
		out.fields = append(out.fields, f)
	}
	if m[3] != "" {
		for _, part := range andRe.Split(m[3], -1) {
			c := condRe.FindStringSubmatch(part)
			if c == nil {
				return nil, errMalformed
			}
			var v any
			switch lit := c[3]; strings.ToLower(lit) {
			case "true":
				v = true
			case "false":
				v = false
			case "null":
				v = nil
			default:
				v = strings.ReplaceAll(lit[1:len(lit)-1], `\'`, `'`)
			}
			out.where = append(out.where, cond{field: c[1], op: strings.ToUpper(c[2]), value: v})
		}
	}
	if m[6] != "" {
		n, err := strconv.Atoi(m[6])
		if err != nil {
			return nil, errMalformed
		}
		out.limit = n
	}
	return out, nil
}

func (c cond) match(rec map[string]any) bool {
	got := rec[c.field]
	switch c.op {
	case "LIKE":
		s, ok1 := got.(string)
		pat, ok2 := c.value.(string)
		if !ok1 || !ok2 {
			return false
		}
		return likeMatch(strings.ToLower(s), strings.ToLower(pat))
	case "!=":
		return !equal(got, c.value)
	}
	return equal(got, c.value)
}

func equal(a, b any) bool {
	if as, ok := a.(string); ok {
		bs, ok := b.(string)
		return ok && strings.EqualFold(as, bs)
	}
	return a == b
}

// likeMatch supports % wildcards.
func likeMatch(s, pat string) bool {
	parts := strings.Split(pat, "%")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i, p := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(s, p)
		}
		j := strings.Index(s, p)
		if j < 0 {
			return false
		}
		s = s[j+len(p):]
	}
	return s == ""
}

// ---- evaluation: the query's records as Go values, shared by the REST
// query (JSON and XML), Bulk API 2.0 and 1.0 and the SOAP API ----

// sfErr is a failure as the REST API reports it; the SOAP and Bulk 1.0
// APIs map the code to their own shapes.
type sfErr struct {
	status    int
	code, msg string
}

// column is one selected field: a field of the queried object, or a
// parent's field through a lookup (Account.Name through AccountId).
type column struct {
	name   string    // as results name it: Email, Account.Name
	field  string    // the object's field; for a relationship, its id field
	rel    string    // the relationship (Account); "" for a plain field
	parent *sobjects // the relationship's object
	sub    string    // the parent's field
}

// columnsLocked resolves requested field names on obj: FIELDS(ALL) is
// every field, Rel.Field reads the parent that obj's RelId points to (one
// level, standard relationships whose object the fake holds). Duplicates
// are dropped.
func (s *Server) columnsLocked(obj *sobjects, req []string) ([]column, *sfErr) {
	var out []column
	seen := map[string]bool{}
	add := func(c column) {
		if k := strings.ToLower(c.name); !seen[k] {
			seen[k] = true
			out = append(out, c)
		}
	}
	for _, f := range req {
		rel, sub, dotted := strings.Cut(f, ".")
		if !dotted {
			names, bad := obj.resolve([]string{f})
			if bad != "" {
				return nil, &sfErr{400, "INVALID_FIELD", "No such column '" + bad + "' on entity '" + obj.name + "'."}
			}
			for _, n := range names {
				add(column{name: n, field: n})
			}
			continue
		}
		idField, ok := obj.fields[strings.ToLower(rel)+"id"]
		var parent *sobjects
		if ok && !strings.Contains(sub, ".") {
			parent = s.objectLocked(rel)
		}
		if parent == nil {
			return nil, &sfErr{400, "INVALID_FIELD", "Didn't understand relationship '" + rel + "' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name."}
		}
		canon, ok := parent.fields[strings.ToLower(sub)]
		if !ok {
			return nil, &sfErr{400, "INVALID_FIELD", "No such column '" + sub + "' on entity '" + parent.name + "'."}
		}
		relName := strings.TrimSuffix(idField, "Id")
		add(column{name: relName + "." + canon, field: idField, rel: relName, parent: parent, sub: canon})
	}
	return out, nil
}

// projectLocked returns rec's columns in order, attributes first, as
// Salesforce answers them: a relationship's fields nested under its name
// in a record of their own, null when the lookup is empty.
func (s *Server) projectLocked(obj *sobjects, rec map[string]any, cols []column, version string) orderedRecord {
	out := obj.project(rec, nil, version)
	parents := map[string]map[string]any{} // by relationship; nil when empty
	for _, c := range cols {
		if c.rel == "" {
			if _, dup := out.vals[c.field]; !dup {
				out.keys = append(out.keys, c.field)
				out.vals[c.field] = rec[c.field]
			}
			continue
		}
		prec, seen := parents[c.rel]
		if !seen {
			if id, _ := rec[c.field].(string); id != "" {
				_, prec = c.parent.find(id)
			}
			parents[c.rel] = prec
			out.keys = append(out.keys, c.rel)
			out.vals[c.rel] = nil
			if prec != nil {
				out.vals[c.rel] = c.parent.project(prec, nil, version)
			}
		}
		if nr, ok := out.vals[c.rel].(orderedRecord); ok {
			if _, dup := nr.vals[c.sub]; !dup {
				nr.keys = append(nr.keys, c.sub)
				nr.vals[c.sub] = prec[c.sub]
				out.vals[c.rel] = nr
			}
		}
	}
	return out
}

// selectLocked runs soql against the store: the object, the columns and
// the matching records projected (see projectLocked), or the error the
// REST API answers.
func (s *Server) selectLocked(soql, version string) (*sobjects, []column, []orderedRecord, *sfErr) {
	q, err := parseSOQL(soql)
	if err != nil {
		return nil, nil, nil, &sfErr{400, "MALFORMED_QUERY", "unexpected token in query"}
	}
	obj := s.objectLocked(q.object)
	if obj == nil {
		return nil, nil, nil, &sfErr{400, "INVALID_TYPE", "sObject type '" + q.object + "' is not supported."}
	}
	cols, e := s.columnsLocked(obj, q.fields)
	if e != nil {
		return nil, nil, nil, e
	}
	for i := range q.where {
		f, ok := obj.fields[strings.ToLower(q.where[i].field)]
		if !ok {
			return nil, nil, nil, &sfErr{400, "INVALID_FIELD", "No such column '" + q.where[i].field + "' on entity '" + obj.name + "'."}
		}
		q.where[i].field = f
	}
	var matched []map[string]any
	for _, rec := range obj.records {
		ok := true
		for _, c := range q.where {
			ok = ok && c.match(rec)
		}
		if ok {
			matched = append(matched, rec)
		}
	}
	if q.orderBy != "" {
		key := obj.fields[strings.ToLower(q.orderBy)]
		sort.SliceStable(matched, func(i, j int) bool {
			a, b := fmt.Sprint(matched[i][key]), fmt.Sprint(matched[j][key])
			if q.desc {
				return a > b
			}
			return a < b
		})
	}
	if q.limit > 0 && len(matched) > q.limit {
		matched = matched[:q.limit]
	}
	recs := make([]orderedRecord, len(matched))
	for i, rec := range matched {
		recs[i] = s.projectLocked(obj, rec, cols, version)
	}
	return obj, cols, recs, nil
}

// value is c's value in a record projectLocked made (nil when null or when
// the lookup is empty).
func (c column) value(rec orderedRecord) any {
	if c.rel == "" {
		return rec.vals[c.field]
	}
	if nr, ok := rec.vals[c.rel].(orderedRecord); ok {
		return nr.vals[c.sub]
	}
	return nil
}
