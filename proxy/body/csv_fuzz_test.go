package body

import (
	"errors"
	"strings"
	"testing"
)

// FuzzRewriteCSV rewrites cells picked by sel, in every delimiter Bulk API
// 2.0 allows, with contents that need quoting (the delimiter, quotes, CR,
// LF) or not (empty ones too), and checks the result cell by cell: it is
// valid CSV of the same shape (as many rows and cells: a rewritten cell
// never splits, joins or drops a row), every rewritten cell reads back as
// given and every other cell is copied byte for byte. A replacement at an
// offset that starts no cell is refused with invalid_edit and no output.
func FuzzRewriteCSV(f *testing.F) {
	for i, s := range []string{
		"Id,Email\n003A,jane@x.com\n003B,\"x,\"\"y\"\"\"\n",
		"a\n1\n2\n", "a\n\"\"\n", "a,b\n1,\n", "a,b\r\n1,2\r\n", "h\n\"\n\"\n",
		"Id;Name\n1;Jane\n", "Id\tName\n1\tJane\n", "Id|Name\n1|a,b\n", "Id^Name\n1^2", "Id`Name\n1`2\n",
	} {
		f.Add([]byte(s), byte(i), []byte{byte(i), 1, 2, 3, 0, '"', ',', '\n', '\r', ';', '\t', '|', 'x'})
	}
	f.Fuzz(func(t *testing.T, doc []byte, d byte, sel []byte) {
		// The zero value, an allowed delimiter, or the one SniffCSV reads
		// off the header, as the pipeline does.
		o := SniffCSV(doc)
		if k := int(d) % (len(csvDelimiters) + 2); k <= len(csvDelimiters) {
			o = CSVOptions{Delimiter: append([]byte{0}, csvDelimiters...)[k]}
		}
		type cell struct {
			row, col   int
			start, end int
			value      string
		}
		var cells []cell
		if WalkCSV(doc, o, func(c *Cell) error {
			cells = append(cells, cell{c.Row, c.Col, c.Start, c.End, string(c.Value)})
			return nil
		}) != nil || len(sel) == 0 {
			return
		}
		repl := map[int][]byte{}
		for i, c := range cells {
			b := sel[i%len(sel)] ^ byte(i/len(sel))
			if b%3 == 0 {
				repl[c.start] = sel[:int(b)%len(sel)]
			}
		}
		out, err := RewriteCSV(nil, doc, o, repl)
		if err != nil {
			t.Fatalf("RewriteCSV: %v", err)
		}
		var got []cell
		if err := WalkCSV(out, o, func(c *Cell) error {
			got = append(got, cell{c.Row, c.Col, c.Start, c.End, string(c.Value)})
			return nil
		}); err != nil {
			t.Fatalf("%q rewrote to %q, refused: %v", doc, out, err)
		}
		if len(got) != len(cells) {
			t.Fatalf("%q rewrote to %q: %d cells, want %d", doc, out, len(got), len(cells))
		}
		for i, c := range cells {
			g := got[i]
			if g.row != c.row || g.col != c.col {
				t.Fatalf("%q rewrote to %q: cell %d moved from %d/%d to %d/%d", doc, out, i, c.row, c.col, g.row, g.col)
			}
			if v, ok := repl[c.start]; ok {
				if g.value != string(v) {
					t.Fatalf("%q rewrote to %q: cell %d/%d set to %q reads %q", doc, out, c.row, c.col, v, g.value)
				}
				continue
			}
			if string(out[g.start:g.end]) != string(doc[c.start:c.end]) {
				t.Fatalf("%q rewrote to %q: untouched cell %d/%d changed", doc, out, c.row, c.col)
			}
		}
		// An edit that names no cell.
		if len(doc) > 0 {
			bad := int(sel[0]) % (len(doc) + 1)
			if _, isCell := repl[bad]; !isCell {
				for _, c := range cells {
					isCell = isCell || c.start == bad
				}
				if !isCell {
					repl[bad] = []byte("x")
					out, err := RewriteCSV(nil, doc, o, repl)
					var e *Error
					if out != nil || !errors.As(err, &e) || e.Code != CodeInvalidEdit {
						t.Fatalf("an edit at %d, inside no cell start: %q, %v", bad, out, err)
					}
				}
			}
		}
	})
}

// TestRewriteCSVEmptiesAOneColumnCellInPlace: found by FuzzRewriteCSV
// (testdata/fuzz/FuzzRewriteCSV/7cd525bf5e42a47e). Emptying the cell of a
// one-column document left a blank line, which is no row: the row was
// gone and every row after it moved up.
func TestRewriteCSVEmptiesAOneColumnCellInPlace(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{"SSN\n123-45-6789\n987-65-4321\n", "SSN\n\"\"\n987-65-4321\n"},
		{"SSN\r\n123-45-6789\r\n987-65-4321\r\n", "SSN\r\n\"\"\r\n987-65-4321\r\n"},
		{"0\n0000", "0\n\"\""},
		{"a,b\n1,2\n", "a,b\n,2\n"}, // not alone on its line: left empty
	} {
		out, err := RewriteCSV(nil, []byte(c.doc), CSVOptions{}, map[int][]byte{strings.IndexByte(c.doc, '\n') + 1: nil})
		if err != nil || string(out) != c.want {
			t.Errorf("%q: got %q, %v; want %q", c.doc, out, err, c.want)
		}
		rows := 0
		if err := WalkCSV(out, CSVOptions{}, func(cl *Cell) error {
			if cl.Col == 0 {
				rows++
			}
			return nil
		}); err != nil || rows != strings.Count(strings.TrimSuffix(c.doc, "\n"), "\n") {
			t.Errorf("%q: %d rows after the rewrite (%v)", c.doc, rows, err)
		}
	}
}
