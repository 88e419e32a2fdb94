package crm

import "strings"

// QueryLiteral is a SOQL/SOSL literal: its value, the field it is compared
// with, and where its value starts in the query (-1 when the literal has
// escapes, so the value is not a substring of the query).
type QueryLiteral struct {
	Field, Value string
	At           int
}

// QueryLiterals returns the string literals of a SOQL query ('…', with
// backslash escapes) and SOSL search terms ({…}), each with the field
// identifier that last preceded it. A query that does not parse (an
// unterminated literal) is returned whole, so nothing goes unscanned.
func QueryLiterals(q string) []QueryLiteral {
	lits, _ := QueryParts(q)
	return lits
}

// QueryParts is QueryLiterals, and the text of q outside them (between
// literals, quotes and braces included): the gaps, each at its offset, so
// that a search term outside any literal is scanned, and rewritten in
// place when tokenized, without overlapping a literal. A q that does not
// parse is one literal and has no gaps.
func QueryParts(q string) (lits, gaps []QueryLiteral) {
	var out []QueryLiteral
	field := ""
	last := 0 // where the current gap starts
	gap := func(to int) {
		if to > last {
			gaps = append(gaps, QueryLiteral{Value: q[last:to], At: last})
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
				return []QueryLiteral{{Value: q}}, nil
			}
			gap(i + 1)
			last = j
			at := i + 1
			if j-at != b.Len() {
				at = -1
			}
			out = append(out, QueryLiteral{Field: field, Value: b.String(), At: at})
			i = j + 1
		case c == '{':
			j := strings.IndexByte(q[i:], '}')
			if j < 0 {
				return []QueryLiteral{{Value: q}}, nil
			}
			gap(i + 1)
			last = i + j
			out = append(out, QueryLiteral{Value: q[i+1 : i+j], At: i + 1})
			i += j + 1
		case isIdentStart(c):
			j, dot := i+1, -1
			for j < len(q) && identChars[q[j]] {
				if q[j] == '.' {
					dot = j
				}
				j++
			}
			if ident := q[i:j]; !soqlOperator(ident) {
				field = ident
				if dot >= 0 { // Account.Phone
					field = q[dot+1 : j]
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
	if len(ident) >= len(soqlOperatorsByLen) {
		return false
	}
	for _, k := range soqlOperatorsByLen[len(ident)] {
		if strings.EqualFold(ident, k) {
			return true
		}
	}
	return false
}

var soqlOperators = []string{"LIKE", "IN", "NOT", "INCLUDES", "EXCLUDES", "AND", "OR", "WHERE"}

// soqlOperatorsByLen are soqlOperators by their length: most identifiers
// are compared with none.
var soqlOperatorsByLen = func() (t [9][]string) {
	for _, k := range soqlOperators {
		t[len(k)] = append(t[len(k)], k)
	}
	return t
}()
