package fakecrm

import (
	"errors"
	"regexp"
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
