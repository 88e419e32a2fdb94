package body

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
)

// The splitters under fuzzing, read through reads of every size: whatever
// the input, they never panic, never hand out more than max bytes, and
// what they hand out puts the input back together byte for byte (a prefix
// of it when they stop with an error, which is then one they document).
// When the input is a document its walker accepts, every piece is one
// too, holding the same records; when every piece is, so was the input.

// dribble reads at most n bytes per Read.
type dribble struct {
	r io.Reader
	n int
}

func (d *dribble) Read(p []byte) (int, error) {
	if len(p) > d.n {
		p = p[:d.n]
	}
	return d.r.Read(p)
}

type csvCell struct {
	col           int
	column, value string
}

func csvCells(doc []byte) ([][]csvCell, error) {
	var rows [][]csvCell
	err := WalkCSV(doc, SniffCSV(doc), func(c *Cell) error {
		for len(rows) <= c.Row {
			rows = append(rows, nil)
		}
		rows[c.Row] = append(rows[c.Row], csvCell{c.Col, string(c.Column), string(c.Value)})
		return nil
	})
	return rows, err
}

func FuzzCSVSplit(f *testing.F) {
	for _, s := range []string{
		"Id,Name\n1,Ada\n2,Grace\n",
		"\"Id\",\"Name\"\r\n\"1\",\"A, \"\"quoted\"\"\nname\"\r\n\"2\",\"B\"\r\n",
		"Id|Note\n1|\"a|b\"\n2|\"line\none\"\n3|x",
		"\n\nId;Note\n\n1;x\n\n2;y\n",
		"\"multi\nline header\",b\n1,2\n",
		"Id\n\"\"\n\n\"\"\n",
		"Id,Note\n1,unterminated \"quote\n2,x\n",
		"Id,Note\n1,\"never closed\n2,x\n",
		"only a header",
		"",
	} {
		f.Add([]byte(s), uint16(16), uint8(3))
		f.Add([]byte(s), uint16(64), uint8(1))
	}
	f.Fuzz(func(t *testing.T, doc []byte, size uint16, read uint8) {
		limit := int(size%512) + 2
		s := NewCSVSplitter(&dribble{bytes.NewReader(doc), int(read%64) + 1}, limit, int(read/64)) // 0 to 3 records, 0: any
		var (
			joined []byte
			chunks [][]byte
			err    error
		)
		for {
			var c []byte
			if c, err = s.Next(); err != nil {
				break
			}
			if len(c) > limit {
				t.Fatalf("chunk of %d bytes, max %d", len(c), limit)
			}
			h := s.Header()
			if h < 0 || h > len(c) || !bytes.Equal(c[:h], doc[:h]) {
				t.Fatalf("chunk %d does not start with the header (%d bytes): %q", len(chunks), h, c)
			}
			if len(chunks) == 0 {
				joined = append(joined, c...)
			} else {
				joined = append(joined, c[h:]...)
			}
			chunks = append(chunks, append([]byte(nil), c...))
		}
		if err == io.EOF {
			if !bytes.Equal(joined, doc) {
				t.Fatalf("chunks join to %q, want %q", joined, doc)
			}
		} else {
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v is not ErrTooLarge", err)
			}
			if !bytes.HasPrefix(doc, joined) {
				t.Fatalf("chunks %q are not a prefix of %q", joined, doc)
			}
			return
		}
		for i, c := range chunks[:max(len(chunks)-1, 0)] {
			if len(c) > s.Header() && c[len(c)-1] != '\n' {
				t.Fatalf("chunk %d does not end a record: %q", i, c)
			}
		}
		want, wholeErr := csvCells(doc)
		var got [][]csvCell
		var pieceErr error
		for _, c := range chunks {
			rows, err := csvCells(c)
			if err != nil {
				pieceErr = err
				break
			}
			got = append(got, rows...)
		}
		switch {
		case wholeErr == nil && pieceErr != nil:
			t.Fatalf("the document walks, a chunk does not (%v): %q", pieceErr, chunks)
		case wholeErr != nil && pieceErr == nil:
			t.Fatalf("every chunk walks, the document does not (%v): %q", wholeErr, doc)
		case wholeErr == nil:
			if len(got) != len(want) {
				t.Fatalf("%d rows in the chunks, %d in the document", len(got), len(want))
			}
			for r := range want {
				if len(got[r]) != len(want[r]) {
					t.Fatalf("row %d: %v, want %v", r, got[r], want[r])
				}
				for c := range want[r] {
					if got[r][c] != want[r][c] {
						t.Fatalf("row %d: %v, want %v", r, got[r], want[r])
					}
				}
			}
		}
	})
}

// jsonElements returns the elements of the split array of doc, compacted.
func jsonElements(t *testing.T, doc, key []byte) []string {
	t.Helper()
	open, close, err := ArrayBounds(doc, key)
	if err != nil {
		t.Fatalf("ArrayBounds of a valid document: %v: %q", err, doc)
	}
	var els []json.RawMessage
	if err := json.Unmarshal(append(append([]byte("["), doc[open:close]...), ']'), &els); err != nil {
		t.Fatalf("the array's elements do not parse: %v: %q", err, doc[open:close])
	}
	out := make([]string, len(els))
	for i, e := range els {
		var b bytes.Buffer
		if err := json.Compact(&b, e); err != nil {
			t.Fatal(err)
		}
		out[i] = b.String()
	}
	return out
}

func FuzzJSONSplit(f *testing.F) {
	for _, s := range []string{
		`{"totalSize":3,"done":false,"nextRecordsUrl":"/services/data/v62.0/query/01gx-2000","records":[{"Id":"1","Name":"A"},{"Id":"2","Name":"B \"]}\\"},{"Id":"3","n":[1,[2],{"x":"]"}]}]}`,
		`{"results":[{"id":"1","properties":{"email":"a@b.c"}},{"id":"2"}],"paging":{"next":{"after":"2","link":"https://api.hubapi.com/x?after=2"}}}`,
		` [ 1 , "two" , {"three":3} , [4] , null , true ] `,
		`{"records":[],"totalSize":0}`,
		`{"a":1,"records":[1,2],"a":2}`,
		`{"records":[1,2]} trailing`,
		`{"records":[1,2,]}`,
		`{"records":{"not":"an array"},"results":[1]}`,
		`{"totalSize":1,"records":[{"Id":"x"}`,
		`"just a string"`,
		`{"records":[{"a":"\u005d"}]}`,
	} {
		f.Add([]byte(s), uint16(24), uint8(5))
		f.Add([]byte(s), uint16(200), uint8(1))
	}
	keys := []string{"records", "results"}
	f.Fuzz(func(t *testing.T, doc []byte, size uint16, read uint8) {
		limit := int(size%512) + 8
		s := NewJSONSplitter(&dribble{bytes.NewReader(doc), int(read%64) + 1}, limit, int(read/64), keys, Limits{})
		var (
			joined  []byte
			batches []JSONBatch
			err     error
			ended   bool
		)
		for {
			var b JSONBatch
			if b, err = s.Next(); err != nil {
				break
			}
			if ended {
				t.Fatal("a batch after the last one")
			}
			if len(b.Doc) > limit {
				t.Fatalf("batch of %d bytes, max %d", len(b.Doc), limit)
			}
			if b.From < 0 || b.From > b.To || b.To > len(b.Doc) || b.First != (len(batches) == 0) {
				t.Fatalf("batch %d: From %d To %d of %d, First %v", len(batches), b.From, b.To, len(b.Doc), b.First)
			}
			if b.First {
				joined = append(joined, b.Doc[:b.From]...)
			}
			joined = append(append(joined, b.Sep...), b.Doc[b.From:b.To]...)
			if b.Last {
				joined = append(joined, b.Doc[b.To:]...)
				ended = true
			}
			b.Doc = append([]byte(nil), b.Doc...)
			batches = append(batches, b)
		}
		var syntax *Error
		switch {
		case err == io.EOF:
			if !ended || !bytes.Equal(joined, doc) {
				t.Fatalf("batches join to %q (ended %v), want %q", joined, ended, doc)
			}
		case errors.Is(err, ErrTooLarge), errors.As(err, &syntax):
			if !bytes.HasPrefix(doc, joined) {
				t.Fatalf("batches %q are not a prefix of %q", joined, doc)
			}
			if syntax != nil && WalkJSON(doc, Limits{}, nil) == nil {
				t.Fatalf("a valid document refused: %v: %q", err, doc)
			}
			return
		default:
			t.Fatalf("unexpected error %v", err)
		}
		wholeErr := WalkJSON(doc, Limits{}, nil)
		var pieceErr error
		for _, b := range batches {
			if pieceErr = WalkJSON(b.Doc, Limits{}, nil); pieceErr != nil {
				break
			}
		}
		switch {
		case wholeErr == nil && pieceErr != nil:
			t.Fatalf("the document is valid, a batch is not (%v): %+v", pieceErr, batches)
		case wholeErr != nil && pieceErr == nil:
			t.Fatalf("every batch is valid, the document is not (%v): %q", wholeErr, doc)
		case wholeErr == nil:
			want := jsonElements(t, doc, s.Key())
			var got []string
			for _, b := range batches {
				got = append(got, jsonElements(t, b.Doc, s.Key())...)
			}
			if len(got) != len(want) {
				t.Fatalf("%d elements in the batches, %d in the document", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("element %d: %s, want %s", i, got[i], want[i])
				}
			}
		}
	})
}
