package proxy

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestQueryLiterals(t *testing.T) {
	for _, c := range []struct {
		q    string
		want []literal
	}{
		{"SELECT Id FROM Contact", nil},
		{"SELECT Id FROM Contact WHERE Email = 'jane@x.com'", []literal{{"Email", "jane@x.com", 38}}},
		{"SELECT Id FROM Contact WHERE Account.Phone LIKE '%555%' AND SSN__c IN ('123-45-6789', '078-05-1120')",
			[]literal{{"Phone", "%555%", 49}, {"SSN__c", "123-45-6789", 72}, {"SSN__c", "078-05-1120", 87}}},
		{`SELECT Id FROM Contact WHERE LastName = 'O\'Brien'`, []literal{{"LastName", "O'Brien", -1}}},
		{"FIND {jane@x.com} IN EMAIL FIELDS RETURNING Contact(Id)", []literal{{"", "jane@x.com", 6}}},
		{"SELECT Id FROM Contact WHERE Email = 'unterminated", []literal{{"", "SELECT Id FROM Contact WHERE Email = 'unterminated", 0}}},
		{"FIND {open", []literal{{"", "FIND {open", 0}}},
	} {
		if got := queryLiterals(c.q); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %+v, want %+v", c.q, got, c.want)
		}
	}
}

func TestURLValues(t *testing.T) {
	u, _ := url.Parse("/crm/v3/objects/contacts/jane%40x.com?idProperty=email&b=2&b=3&a%2Fb=1")
	got := urlValues(u, nil)
	want := []urlValue{
		{InQuery, "/a~1b", "a/b", "1", "a/b", 0, 0},
		{InQuery, "/b/0", "b", "2", "b", 0, 0},
		{InQuery, "/b/1", "b", "3", "b", 1, 0},
		{InQuery, "/idProperty", "idProperty", "email", "idProperty", 0, 0},
		{InPath, "/0", "", "crm", "", 0, 0},
		{InPath, "/1", "crm", "v3", "", 1, 0},
		{InPath, "/2", "v3", "objects", "", 2, 0},
		{InPath, "/3", "objects", "contacts", "", 3, 0},
		{InPath, "/4", "email", "jane@x.com", "", 4, 0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
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
		for _, l := range queryLiterals(q) {
			if !strings.Contains(q, l.field) {
				t.Fatalf("field %q is not in %q", l.field, q)
			}
			if !strings.Contains(strings.ReplaceAll(q, `\`, ""), strings.ReplaceAll(l.value, `\`, "")) {
				t.Fatalf("literal %q is not in %q", l.value, q)
			}
			// A literal with an offset is exactly there: rewriting it
			// rewrites nothing else.
			if l.at >= 0 && (l.at+len(l.value) > len(q) || q[l.at:l.at+len(l.value)] != l.value) {
				t.Fatalf("literal %q is not at %d of %q", l.value, l.at, q)
			}
		}
	})
}
