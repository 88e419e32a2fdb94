package proxy

import (
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/veil-proxy/veil/proxy/body"
)

// Where a finding sits (policy.Finding.In).
const (
	InBody  = "body"
	InQuery = "query" // pointer /<parameter>
	InPath  = "path"  // pointer /<segment index>
)

// urlValue is one value of a request URL that the detectors scan: a query
// parameter (a SOQL or SOSL literal inside q), or a path segment.
type urlValue struct {
	in      string
	pointer string
	field   string // the field it names, for hints: the SOQL field, the parameter, the segment before
	value   string

	// Where value sits, so that a finding in it can be rewritten (a
	// tokenized search term): query parameter param's value number index
	// (in "path": segment index), from byte at; at is -1 where value is not
	// a verbatim substring (a SOQL literal with escapes).
	param string
	index int
	at    int
}

// urlValues lists the values of a request URL worth scanning, in a stable
// order: query parameters by name, then path segments. A SOQL/SOSL q is
// split into its literals, each under the field it is compared with
// ("WHERE Email = 'jane@x.com'" is an email in field Email), so hints work
// as they do in bodies. HubSpot's ?idProperty=email names the field of the
// record id in the path.
func urlValues(u *url.URL, q url.Values) []urlValue {
	var out []urlValue
	if q == nil {
		q = u.Query()
	}
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		ptr := "/" + body.EscapePointerToken(k)
		for i, v := range q[k] {
			p := ptr
			if len(q[k]) > 1 {
				p += "/" + strconv.Itoa(i)
			}
			if k == "q" {
				// The literals under the fields they are compared with, and
				// the rest of q scanned too: a search term need not be
				// quoted (parameterizedSearch?q=jane@x.com).
				lits, gaps := queryParts(v)
				for _, lit := range lits {
					out = append(out, urlValue{in: InQuery, pointer: p, field: lit.field, value: lit.value, param: k, index: i, at: lit.at})
				}
				for _, g := range gaps {
					out = append(out, urlValue{in: InQuery, pointer: p, field: k, value: g.value, param: k, index: i, at: g.at})
				}
				continue
			}
			out = append(out, urlValue{in: InQuery, pointer: p, field: k, value: v, param: k, index: i})
		}
	}
	segs := strings.Split(strings.TrimPrefix(u.Path, "/"), "/") // u.Path is decoded
	idProperty := q.Get("idProperty")
	for i, s := range segs {
		if s == "" {
			continue
		}
		field := ""
		if i > 0 {
			field = segs[i-1]
		}
		if idProperty != "" && i == len(segs)-1 {
			field = idProperty
		}
		out = append(out, urlValue{in: InPath, pointer: "/" + strconv.Itoa(i), field: field, value: s, index: i})
	}
	return out
}

// literal is a SOQL/SOSL literal: its value, the field it is compared
// with, and where its value starts in the query (-1 when the literal has
// escapes, so the value is not a substring of the query).
type literal struct {
	field, value string
	at           int
}

// queryLiterals returns the string literals of a SOQL query ('…', with
// backslash escapes) and SOSL search terms ({…}), each with the field
// identifier that last preceded it. A query that does not parse (an
// unterminated literal) is returned whole, so nothing goes unscanned.
func queryLiterals(q string) []literal {
	lits, _ := queryParts(q)
	return lits
}

// queryParts is queryLiterals, and the text of q outside them (between
// literals, quotes and braces included): the gaps, each at its offset, so
// that a search term outside any literal is scanned, and rewritten in
// place when tokenized, without overlapping a literal. A q that does not
// parse is one literal and has no gaps.
func queryParts(q string) (lits, gaps []literal) {
	var out []literal
	field, ident := "", ""
	last := 0 // where the current gap starts
	gap := func(to int) {
		if to > last {
			gaps = append(gaps, literal{value: q[last:to], at: last})
		}
	}
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(q) && q[j] != '\''; j++ {
				if q[j] == '\\' && j+1 < len(q) {
					j++
				}
				b.WriteByte(q[j])
			}
			if j >= len(q) {
				return []literal{{value: q}}, nil
			}
			gap(i + 1)
			last = j
			at := i + 1
			if j-at != b.Len() {
				at = -1
			}
			out = append(out, literal{field: field, value: b.String(), at: at})
			i = j + 1
		case c == '{':
			j := strings.IndexByte(q[i:], '}')
			if j < 0 {
				return []literal{{value: q}}, nil
			}
			gap(i + 1)
			last = i + j
			out = append(out, literal{value: q[i+1 : i+j], at: i + 1})
			i += j + 1
		case isIdentStart(c):
			j := i
			for j < len(q) && (isIdentStart(q[j]) || q[j] >= '0' && q[j] <= '9' || q[j] == '.') {
				j++
			}
			ident = q[i:j]
			if !soqlOperator(ident) {
				field = ident
				if k := strings.LastIndexByte(field, '.'); k >= 0 { // Account.Phone
					field = field[k+1:]
				}
			}
			i = j
		default:
			i++
		}
	}
	gap(len(q))
	return out, gaps
}

// soqlOperator reports whether ident is a keyword between a field and its
// literal (WHERE Email LIKE '…'), in any case, without a copy.
func soqlOperator(ident string) bool {
	for _, k := range soqlOperators {
		if strings.EqualFold(ident, k) {
			return true
		}
	}
	return false
}

var soqlOperators = []string{"LIKE", "IN", "NOT", "INCLUDES", "EXCLUDES", "AND", "OR", "WHERE"}

func isIdentStart(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' || c == '_' }
