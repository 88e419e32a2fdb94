package inspect

import (
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
)

var querySeeds = []string{
	"", "q=SELECT+Id%2C+Name+FROM+Contact+LIMIT+1", "a=1&b=2&a=3", "a", "a=", "=v", "&&a=1&&", "a=1;b=2", "q=%zz", "q=%4",
	"%41=%42", "q=a+b%2Bc", "k%3Db=v%26w", "q=%E2%82%AC", "q=%", "a=1&b=%G1&c=3", "x=" + strings.Repeat("%2C", 50),
	strings.Repeat("a=1&", 999) + "b=2", strings.Repeat("a=1&", 1000), strings.Repeat("&", 20000) + "a=1",
}

func sameParse(t *testing.T, q string) {
	t.Helper()
	got, gerr := parseQuery(q)
	want, werr := url.ParseQuery(q)
	if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
		t.Fatalf("parseQuery(%q): error %v, url.ParseQuery %v", q, gerr, werr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parseQuery(%q) = %q, url.ParseQuery %q", q, got, want)
	}
}

// TestParseQueryMatchesStdlib: parseQuery gives what url.ParseQuery gives,
// values and error, clean queries and broken ones alike, at and past the
// number of parameters it leaves to the standard library.
func TestParseQueryMatchesStdlib(t *testing.T) {
	for _, q := range querySeeds {
		sameParse(t, q)
	}
	if _, err := parseQuery(strings.Repeat("a=1&", 10001)); err == nil {
		t.Fatal("a query past the standard library's limit on parameters parses")
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, q := range querySeeds {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) { sameParse(t, q) })
}

func BenchmarkParseQuery(b *testing.B) {
	q := "q=" + url.QueryEscape("SELECT Id, FirstName, LastName, Email, Phone, MailingStreet, Level__c FROM Contact ORDER BY LastModifiedDate DESC LIMIT 1")
	for _, c := range []struct {
		name  string
		parse func(string) (url.Values, error)
	}{{"veil", parseQuery}, {"stdlib", url.ParseQuery}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.parse(q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestParseQueryHonoursGODEBUG: with urlmaxqueryparams set, the standard
// library's limit is the one applied, even under maxFastParams.
func TestParseQueryHonoursGODEBUG(t *testing.T) {
	t.Setenv("GODEBUG", "urlmaxqueryparams=10")
	defer func(old bool) { stdlibQueryOnly = old }(stdlibQueryOnly)
	stdlibQueryOnly = strings.Contains(os.Getenv("GODEBUG"), "urlmaxqueryparams")
	q := strings.Repeat("a=1&", 20)
	if _, err := url.ParseQuery(q); err == nil {
		t.Skip("this Go reads GODEBUG once, at start: the limit cannot be lowered from a test")
	}
	sameParse(t, q)
}
