package body

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

type cellSeen struct {
	ptr, val string
}

func walkAll(t testing.TB, doc string, o CSVOptions) ([]cellSeen, error) {
	var out []cellSeen
	err := WalkCSV([]byte(doc), o, func(c *Cell) error {
		if string(doc[c.Start:c.End]) != rawField(c, doc) {
			t.Fatalf("span %d:%d does not hold the field", c.Start, c.End)
		}
		out = append(out, cellSeen{c.Pointer(), string(c.Value)})
		return nil
	})
	return out, err
}

func rawField(c *Cell, doc string) string { return doc[c.Start:c.End] }

func TestWalkCSV(t *testing.T) {
	tests := []struct {
		doc  string
		o    CSVOptions
		want []cellSeen
	}{
		{"Id,Email\n003A,jane@example.com\n003B,\"joe, \"\"jr\"\"@example.com\"\n", CSVOptions{},
			[]cellSeen{{"/0/Id", "003A"}, {"/0/Email", "jane@example.com"}, {"/1/Id", "003B"}, {"/1/Email", `joe, "jr"@example.com`}}},
		{"a,b\r\n1,\r\n", CSVOptions{}, []cellSeen{{"/0/a", "1"}, {"/0/b", ""}}},
		{"a,b\n1,", CSVOptions{}, []cellSeen{{"/0/a", "1"}, {"/0/b", ""}}},
		{"a/b|c~d\nx|\"multi\nline\"\n\n", CSVOptions{Delimiter: '|'}, []cellSeen{{"/0/a~1b", "x"}, {"/0/c~0d", "multi\nline"}}},
		{"only\n", CSVOptions{}, nil},
	}
	for _, tt := range tests {
		got, err := walkAll(t, tt.doc, tt.o)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%q: %v %v, want %v", tt.doc, got, err, tt.want)
		}
	}
}

func TestWalkCSVErrors(t *testing.T) {
	for _, doc := range []string{
		"a,b\n1,2,3\n",    // too many fields
		"a,b\n1\n",        // too few
		"a,b\n1,x\"y\n",   // bare quote
		"a,b\n1,\"open\n", // unterminated quote
		"a,b\n1,\"q\"x\n", // text after a closing quote
		"a,b\n1,2\r3,4\n", // lone CR
	} {
		_, err := walkAll(t, doc, CSVOptions{})
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalidCSV || strings.Contains(err.Error(), "x") && strings.Contains(doc, "x\"y") && strings.Contains(err.Error(), "x\"y") {
			t.Errorf("%q: err = %v, want invalid_csv", doc, err)
		}
	}
}

func TestRewriteCSV(t *testing.T) {
	doc := []byte("Id,Email,Note\n003A,jane@example.com,\"card 4111, thanks\"\n003B,joe@example.com,plain\n")
	repl := map[int][]byte{}
	_ = WalkCSV(doc, CSVOptions{}, func(c *Cell) error {
		switch string(c.Column) {
		case "Email":
			repl[c.Start] = []byte("[REDACTED:email]")
		case "Note":
			repl[c.Start] = []byte(`said "hi", bye`)
		}
		return nil
	})
	out, err := RewriteCSV(nil, doc, CSVOptions{}, repl)
	if err != nil {
		t.Fatal(err)
	}
	want := "Id,Email,Note\n003A,[REDACTED:email],\"said \"\"hi\"\", bye\"\n003B,[REDACTED:email],\"said \"\"hi\"\", bye\"\n"
	if string(out) != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil || recs[1][2] != `said "hi", bye` {
		t.Fatalf("output not CSV: %v %v", recs, err)
	}
	if _, err := RewriteCSV(nil, doc, CSVOptions{}, map[int][]byte{3: []byte("x")}); err == nil {
		t.Fatal("an offset that is not a cell start must fail")
	}
}

func TestCorpusCSV(t *testing.T) {
	b, err := os.ReadFile("../../testdata/corpus/119_bulk_csv.csv")
	if err != nil {
		t.Skip("corpus not present:", err)
	}
	n := 0
	if err := WalkCSV(b, CSVOptions{}, func(c *Cell) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := (len(recs) - 1) * len(recs[0]); n != want {
		t.Fatalf("%d cells, want %d", n, want)
	}
}

// FuzzWalkCSV: never panics; whatever encoding/csv reads as a rectangular
// document with a header (no CR, which it rewrites), WalkCSV reads the same
// cells; rewriting every cell with its own value round-trips.
func FuzzWalkCSV(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "Id,Email\n003A,\"x,\"\"y\"\"\"\n", "a\n\n1\n", "a,b\n1,", "h\n\"\n\"\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var cells []string
		var starts []int
		err := WalkCSV(doc, CSVOptions{}, func(c *Cell) error {
			if c.Start < 0 || c.End > len(doc) || c.Start > c.End {
				t.Fatalf("span %d:%d outside %d", c.Start, c.End, len(doc))
			}
			cells = append(cells, string(c.Value))
			starts = append(starts, c.Start)
			return nil
		})
		if bytes.IndexByte(doc, '\r') < 0 {
			r := csv.NewReader(bytes.NewReader(doc))
			recs, cerr := r.ReadAll()
			if cerr == nil && len(recs) > 0 {
				var want []string
				for _, rec := range recs[1:] {
					want = append(want, rec...)
				}
				if err != nil {
					t.Fatalf("encoding/csv reads %q but WalkCSV fails: %v", doc, err)
				}
				if fmt.Sprint(want) != fmt.Sprint(cells) {
					t.Fatalf("cells %q, encoding/csv %q", cells, want)
				}
			}
		}
		if err != nil {
			return
		}
		repl := map[int][]byte{}
		for i, s := range starts {
			repl[s] = []byte(cells[i])
		}
		out, err := RewriteCSV(nil, doc, CSVOptions{}, repl)
		if err != nil {
			t.Fatalf("rewrite: %v", err)
		}
		var again []string
		if err := WalkCSV(out, CSVOptions{}, func(c *Cell) error { again = append(again, string(c.Value)); return nil }); err != nil {
			t.Fatalf("rewritten doc invalid: %v", err)
		}
		if fmt.Sprint(again) != fmt.Sprint(cells) {
			t.Fatalf("round trip changed cells: %q → %q", cells, again)
		}
	})
}

func TestSniffCSV(t *testing.T) {
	for doc, want := range map[string]byte{
		"Id,Name\n1,a|b\n":         ',',
		"Id\tName\n1\ta,b\n":       '\t',
		"Id|Account.Name\n1|x,y\n": '|',
		"\"Id;\";Name\n1;2\n":      ';',
		"Id^Name\r\n1^2\r\n":       '^',
		"Id`Name\n1`2\n":           '`',
		"Id\n1,2\n":                0,
		"":                         0,
	} {
		if got := SniffCSV([]byte(doc)).Delimiter; got != want {
			t.Errorf("SniffCSV(%q) = %q, want %q", doc, got, want)
		}
	}
}
