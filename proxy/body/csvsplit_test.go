package body

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// splitCSV returns every chunk of doc, each copied.
func splitCSV(t *testing.T, doc string, max, read int) ([]string, int, error) {
	t.Helper()
	return splitCSVRows(t, doc, max, 0, read)
}

func splitCSVRows(t *testing.T, doc string, max, rows, read int) ([]string, int, error) {
	t.Helper()
	s := NewCSVSplitter(&dribble{strings.NewReader(doc), read}, max, rows)
	var out []string
	for {
		c, err := s.Next()
		if err == io.EOF {
			return out, s.Header(), nil
		}
		if err != nil {
			return out, s.Header(), err
		}
		out = append(out, string(c))
	}
}

func TestCSVSplitterCutsAtRecordEnds(t *testing.T) {
	const header = "\"Id\",\"Note\"\r\n"
	cases := []struct {
		name, doc string
		max       int
		want      []string // chunks
	}{
		{"one chunk", "Id,Name\n1,A\n2,B\n", 64, []string{"Id,Name\n1,A\n2,B\n"}},
		{"a record per chunk", "Id,Name\n1,A\n2,B\n3,C", 12,
			[]string{"Id,Name\n1,A\n", "Id,Name\n2,B\n", "Id,Name\n3,C"}},
		{"two records per chunk", "Id,Name\n1,A\n2,B\n3,C\n", 16,
			[]string{"Id,Name\n1,A\n2,B\n", "Id,Name\n3,C\n"}},
		// Quoted delimiters, line feeds and quotes stay inside their record
		// whatever the chunk size: the boundary falls after the whole record.
		{"quoted, CRLF", header + "\"1\",\"a, \"\"b\"\"\r\nc\"\r\n\"2\",\"x\"\r\n", 40,
			[]string{header + "\"1\",\"a, \"\"b\"\"\r\nc\"\r\n", header + "\"2\",\"x\"\r\n"}},
		{"line feed right after a doubled quote", "Id,Note\n1,\"a\"\"\nb\"\n2,c\n", 20,
			[]string{"Id,Note\n1,\"a\"\"\nb\"\n", "Id,Note\n2,c\n"}},
		{"a header across lines", "\"I\nd\",N\n1,2\n3,4\n", 13,
			[]string{"\"I\nd\",N\n1,2\n", "\"I\nd\",N\n3,4\n"}},
		{"blank lines before the header belong to it", "\n\r\nId\n1\n2\n", 8,
			[]string{"\n\r\nId\n1\n", "\n\r\nId\n2\n"}},
		{"only a header", "Id,Name\n", 64, []string{"Id,Name\n"}},
		{"a header without a line feed", "Id,Name", 64, []string{"Id,Name"}},
	}
	for _, c := range cases {
		for _, read := range []int{1, 3, 4096} {
			got, _, err := splitCSV(t, c.doc, c.max, read)
			if err != nil {
				t.Fatalf("%s (reads of %d): %v", c.name, read, err)
			}
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("%s (reads of %d):\n got %q\nwant %q", c.name, read, got, c.want)
			}
		}
	}
}

// A chunk holds at most so many records, a page's worth, however short.
func TestCSVSplitterBoundsRecords(t *testing.T) {
	for _, read := range []int{1, 4096} {
		got, _, err := splitCSVRows(t, "Id\n1\n2\n\"3\n3\"\n4\n5", 1024, 2, read)
		want := []string{"Id\n1\n2\n", "Id\n\"3\n3\"\n4\n", "Id\n5"}
		if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("reads of %d: %q %v, want %q", read, got, err, want)
		}
	}
}

func TestCSVSplitterRefusesWhatDoesNotFit(t *testing.T) {
	for _, c := range []struct{ name, doc string }{
		{"a record longer than a chunk", "Id,Note\n1,short\n2,\"" + strings.Repeat("x\n", 40) + "\"\n3,y\n"},
		{"a header longer than a chunk", strings.Repeat("Column,", 20) + "\n1\n"},
		{"a quote never closed runs on", "Id,Note\n1,\"open\n" + strings.Repeat("2,b\n", 40)},
	} {
		got, _, err := splitCSV(t, c.doc, 32, 7)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %v after %q, want ErrTooLarge", c.name, err, got)
		}
		if strings.Contains(err.Error(), "Column") || strings.Contains(err.Error(), "xx") {
			t.Errorf("%s: the error quotes the document: %v", c.name, err)
		}
	}
	// A reader's error is the splitter's.
	boom := errors.New("boom")
	s := NewCSVSplitter(io.MultiReader(strings.NewReader("Id\n1\n"), errReader{boom}), 1024, 0)
	if _, err := s.Next(); !errors.Is(err, boom) {
		t.Errorf("reader error: %v", err)
	}
	if _, err := s.Next(); !errors.Is(err, boom) {
		t.Errorf("errors do not stick: %v", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// The chunks of a large document hold every record once, and the
// splitter's memory does not grow with the document.
func TestCSVSplitterLargeDocument(t *testing.T) {
	var doc bytes.Buffer
	doc.WriteString("Id,Email,Note\r\n")
	for i := range 20000 {
		doc.WriteString("003")
		doc.WriteString(strings.Repeat("x", i%7))
		doc.WriteString(",a@b.c,\"multi\r\nline, \"\"quoted\"\"\"\r\n")
	}
	want, err := csvCells(doc.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	s := NewCSVSplitter(bytes.NewReader(doc.Bytes()), 4096, 0)
	rows := 0
	for {
		c, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := csvCells(c)
		if err != nil {
			t.Fatalf("chunk does not walk: %v", err)
		}
		for _, r := range got {
			if len(r) != 3 || r[2] != want[rows][2] || r[0] != want[rows][0] {
				t.Fatalf("row %d: %v, want %v", rows, r, want[rows])
			}
			rows++
		}
	}
	if rows != len(want) || cap(s.buf) > 4097 {
		t.Errorf("%d rows of %d; buffer %d bytes", rows, len(want), cap(s.buf))
	}
}
