package crm

import (
	"reflect"
	"strings"
	"testing"
)

func TestQueryLiterals(t *testing.T) {
	for _, c := range []struct {
		q    string
		want []QueryLiteral
	}{
		{"SELECT Id FROM Contact", nil},
		{"SELECT Id FROM Contact WHERE Email = 'jane@x.com'", []QueryLiteral{{"Email", "jane@x.com", 38}}},
		{"SELECT Id FROM Contact WHERE Account.Phone LIKE '%555%' AND SSN__c IN ('123-45-6789', '078-05-1120')",
			[]QueryLiteral{{"Phone", "%555%", 49}, {"SSN__c", "123-45-6789", 72}, {"SSN__c", "078-05-1120", 87}}},
		{`SELECT Id FROM Contact WHERE LastName = 'O\'Brien'`, []QueryLiteral{{"LastName", "O'Brien", -1}}},
		{"FIND {jane@x.com} IN EMAIL FIELDS RETURNING Contact(Id)", []QueryLiteral{{"", "jane@x.com", 6}}},
		{"SELECT Id FROM Contact WHERE Email = 'unterminated", []QueryLiteral{{"", "SELECT Id FROM Contact WHERE Email = 'unterminated", 0}}},
		{"FIND {open", []QueryLiteral{{"", "FIND {open", 0}}},
	} {
		if got := QueryLiterals(c.q); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %+v, want %+v", c.q, got, c.want)
		}
	}
}

// FuzzQueryLiterals: any q splits without panicking, and every literal is
// text of the query, so nothing is invented: with backslashes removed
// from both, a literal is a substring of q (an escape pair \x reads x).
func FuzzQueryLiterals(f *testing.F) {
	for _, s := range []string{"SELECT Id FROM Contact WHERE Email = 'a@b.c'", `x = 'a\'b'`, "FIND {x} IN ALL FIELDS", "'", "{", `'\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		for _, l := range QueryLiterals(q) {
			if !strings.Contains(q, l.Field) {
				t.Fatalf("field %q is not in %q", l.Field, q)
			}
			if !strings.Contains(strings.ReplaceAll(q, `\`, ""), strings.ReplaceAll(l.Value, `\`, "")) {
				t.Fatalf("literal %q is not in %q", l.Value, q)
			}
			// A literal with an offset is exactly there: rewriting it
			// rewrites nothing else.
			if l.At >= 0 && (l.At+len(l.Value) > len(q) || q[l.At:l.At+len(l.Value)] != l.Value) {
				t.Fatalf("literal %q is not at %d of %q", l.Value, l.At, q)
			}
		}
	})
}

// Item 3: the whole q is split, outside its literals too, without two
// values overlapping (a tokenized term is rewritten once).
func TestQueryGaps(t *testing.T) {
	for _, c := range []struct {
		q          string
		lits, gaps []QueryLiteral
	}{
		{"4111111111111111", nil, []QueryLiteral{{"", "4111111111111111", 0}}},
		{"jane.doe@example.com", nil, []QueryLiteral{{"", "jane.doe@example.com", 0}}},
		{"FIND {jane@x.com} IN EMAIL FIELDS", []QueryLiteral{{"", "jane@x.com", 6}}, []QueryLiteral{{"", "FIND {", 0}, {"", "} IN EMAIL FIELDS", 16}}},
		{"SELECT Id FROM Contact WHERE Email = 'a@b.co' AND Phone = 4155550143",
			[]QueryLiteral{{"Email", "a@b.co", 38}},
			[]QueryLiteral{{"", "SELECT Id FROM Contact WHERE Email = '", 0}, {"", "' AND Phone = 4155550143", 44}}},
		{"x = 'open", []QueryLiteral{{"", "x = 'open", 0}}, nil},
	} {
		lits, gaps := QueryParts(c.q)
		if !equalLits(lits, c.lits) || !equalLits(gaps, c.gaps) {
			t.Errorf("%q: literals %+v gaps %+v, want %+v %+v", c.q, lits, gaps, c.lits, c.gaps)
		}
		for _, g := range gaps {
			if c.q[g.At:g.At+len(g.Value)] != g.Value {
				t.Errorf("%q: gap %+v is not where it says", c.q, g)
			}
		}
	}
}

func equalLits(a, b []QueryLiteral) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// word is strings.EqualFold for the lexers' identifiers (ASCII), only
// quicker to say no.
func TestWordIsEqualFoldOnIdentifiers(t *testing.T) {
	keywords := append(append([]string{"FIND", "SELECT", "FROM", "WHERE", "HAVING", "ORDER", "GROUP", "LIMIT", "OFFSET",
		"WITH", "FOR", "USING", "UPDATE", "RETURNING"}, soqlOperators...), predicateKeywords[:]...)
	ids := []string{"", "a", "Email", "Account.Phone", "SSN__c", "x1", "_"}
	for _, k := range keywords {
		ids = append(ids, k, strings.ToLower(k), k[:len(k)-1], k+"S", k+".x", "x"+k)
		if len(k) > 1 {
			ids = append(ids, strings.ToLower(k[:1])+k[1:])
		}
	}
	for _, id := range ids {
		for _, k := range keywords {
			if got, want := word(id, k), strings.EqualFold(id, k); got != want {
				t.Errorf("word(%q, %q) = %v, EqualFold %v", id, k, got, want)
			}
		}
	}
}

// soqlObjectFields is soqlObject as it was written first, over
// strings.Fields: the reference soqlObject keeps to.
func soqlObjectFields(q string) string {
	fields := strings.Fields(q)
	depth := 0
	for i := 0; i < len(fields); i++ {
		if depth == 0 && i+1 < len(fields) && strings.EqualFold(fields[i], "FROM") {
			return identPrefix(fields[i+1])
		}
		depth += strings.Count(fields[i], "(") - strings.Count(fields[i], ")")
	}
	return ""
}

var soqlObjectSeeds = []string{
	"SELECT Id FROM Contact", "SELECT Id, (SELECT Id FROM Contacts) FROM Account WHERE Name = 'x'",
	"select id from contact", "SELECT Id FROM", "FROM", "SELECT Id\tFROM\u00a0Lead\u0085x", "SELECT (Id FROM Lead) FROM ((x)",
	"SELECT Id from Custom__c WHERE x = ')'", "FROM FROM Account", "SELECT Id ＦＲＯＭ Lead FROM Case",
}

// TestSOQLObjectMatchesFields and FuzzSOQLObject hold soqlObject to the
// reference over strings.Fields: the same words (Unicode spaces
// included), the same depth, the same object.
func TestSOQLObjectMatchesFields(t *testing.T) {
	for _, q := range soqlObjectSeeds {
		if got, want := soqlObject(q), soqlObjectFields(q); got != want {
			t.Errorf("soqlObject(%q) = %q, the reference says %q", q, got, want)
		}
	}
	if got := soqlObject("SELECT Id, (SELECT Id FROM Contacts) FROM Account"); got != "Account" {
		t.Errorf("the sub-query's FROM taken: %q", got)
	}
}

func FuzzSOQLObject(f *testing.F) {
	for _, q := range soqlObjectSeeds {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if got, want := soqlObject(q), soqlObjectFields(q); got != want {
			t.Fatalf("soqlObject(%q) = %q, the reference says %q", q, got, want)
		}
	})
}
