package body

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

var recordKeys = []string{"records", "results"}

// splitJSON returns every batch's document, copied, and the input they
// join back to.
func splitJSON(t *testing.T, doc string, max, read int, keys []string) (docs []string, joined string, err error) {
	t.Helper()
	return splitJSONElems(t, doc, max, 0, read, keys)
}

func splitJSONElems(t *testing.T, doc string, max, elems, read int, keys []string) (docs []string, joined string, err error) {
	t.Helper()
	s := NewJSONSplitter(&dribble{strings.NewReader(doc), read}, max, elems, keys, Limits{MaxDepth: 16})
	var j []byte
	for {
		b, err := s.Next()
		if err == io.EOF {
			return docs, string(j), nil
		}
		if err != nil {
			return docs, string(j), err
		}
		if b.First {
			j = append(j, b.Doc[:b.From]...)
		}
		j = append(append(j, b.Sep...), b.Doc[b.From:b.To]...)
		if b.Last {
			j = append(j, b.Doc[b.To:]...)
		}
		docs = append(docs, string(b.Doc))
	}
}

func TestJSONSplitterBatchesKeepTheShape(t *testing.T) {
	cases := []struct {
		name, doc string
		max       int
		want      []string
	}{
		{"Salesforce query page",
			`{"totalSize":3,"done":false,"nextRecordsUrl":"/q/01g-2000","records":[{"Id":"1"},{"Id":"2"},{"Id":"3"}]}`, 82,
			[]string{
				`{"totalSize":3,"done":false,"nextRecordsUrl":"/q/01g-2000","records":[{"Id":"1"}]}`,
				`{"records":[{"Id":"2"},{"Id":"3"}]}`,
			}},
		{"HubSpot list, paging after the results",
			`{"results":[{"id":"1","p":{"n":"aaaaaaa"}},{"id":"2","p":{"n":"aaaaaaa"}},{"id":"3","p":{"n":"aaaaaaa"}}],"paging":{"next":{"after":"3"}}}`, 80,
			[]string{
				`{"results":[{"id":"1","p":{"n":"aaaaaaa"}},{"id":"2","p":{"n":"aaaaaaa"}}]}`,
				`{"results":[{"id":"3","p":{"n":"aaaaaaa"}}],"paging":{"next":{"after":"3"}}}`,
			}},
		{"top-level array, blanks kept", "[ 1 ,\n \"a]\" , {\"b\":[2]} ]\n", 13,
			[]string{"[ 1 ,\n \"a]\"]", "[{\"b\":[2]} ]\n"}},
		{"a tail that fits no batch with elements",
			`{"results":[{"id":"1"}],"paging":{"next":{"after":"1","link":"https://x/y"}}}`, 70,
			[]string{`{"results":[{"id":"1"}]}`, `{"results":[],"paging":{"next":{"after":"1","link":"https://x/y"}}}`}},
		{"an empty array", `{"records":[],"totalSize":0}`, 64, []string{`{"records":[],"totalSize":0}`}},
		{"strings hiding brackets and quotes", `{"records":["]},\"[", {"a":"\\"}, "\\\"]"]}`, 24,
			[]string{`{"records":["]},\"["]}`, `{"records":[{"a":"\\"}]}`, `{"records":["\\\"]"]}`}},
		{"the first array named records", `{"records":{"x":[1]},"records2":[9],"results":[1,2]}`, 64,
			[]string{`{"records":{"x":[1]},"records2":[9],"results":[1,2]}`}},
	}
	for _, c := range cases {
		for _, read := range []int{1, 5, 4096} {
			docs, joined, err := splitJSON(t, c.doc, c.max, read, recordKeys)
			if err != nil {
				// The last case's duplicate-free head and tail are valid.
				t.Fatalf("%s (reads of %d): %v", c.name, read, err)
			}
			if strings.Join(docs, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("%s (reads of %d):\n got %q\nwant %q", c.name, read, docs, c.want)
			}
			if joined != c.doc {
				t.Errorf("%s: joined %q", c.name, joined)
			}
			for _, d := range docs {
				if err := WalkJSON([]byte(d), Limits{}, nil); err != nil {
					t.Errorf("%s: batch %q is no JSON: %v", c.name, d, err)
				}
			}
		}
	}
}

// A batch holds at most so many records, a page's worth, however short.
func TestJSONSplitterBoundsElements(t *testing.T) {
	for _, read := range []int{1, 4096} {
		docs, joined, err := splitJSONElems(t, `{"records":[1,2,3,4,5],"done":true}`, 1024, 2, read, recordKeys)
		want := []string{`{"records":[1,2]}`, `{"records":[3,4]}`, `{"records":[5],"done":true}`}
		if err != nil || strings.Join(docs, "|") != strings.Join(want, "|") || joined != `{"records":[1,2,3,4,5],"done":true}` {
			t.Errorf("reads of %d: %q %v", read, docs, err)
		}
	}
}

func TestJSONSplitterRefusals(t *testing.T) {
	big := strings.Repeat("x", 100)
	cases := []struct {
		name, doc string
		keys      []string
		tooLarge  bool // else invalid JSON
		notSplit  bool
	}{
		{"one giant record", `{"records":[{"Id":"1"},{"Note":"` + big + `"}]}`, recordKeys, true, false},
		{"not a collection: only a top-level array splits", `{"records":[1,2,3]}`, nil, true, true},
		{"no records member", `{"Id":"1","Note":"x"}`, recordKeys, true, true},
		{"records that are no array", `{"records":{"a":1},"Note":"x"}`, recordKeys, true, true},
		{"no records member in the first batch's bytes", `{"Id":"1","Note":"` + big + `"}`, recordKeys, true, false},
		{"a scalar", `"` + big + `"`, recordKeys, true, true},
		{"members before the array too long", `{"Note":"` + big + `","records":[1]}`, recordKeys, true, false},
		{"members after the array too long", `{"records":[1],"Note":"` + big + `"}`, recordKeys, true, false},
		{"a name on both sides of the array", `{"done":true,"records":[1],"done":false}`, recordKeys, false, false},
		{"bytes after the document", `{"records":[1,2]}{"records":[3]}`, recordKeys, false, false},
		{"a missing comma", `{"records":[1 2]}`, recordKeys, false, false},
		{"a trailing comma", `{"records":[1,2,]}`, recordKeys, false, false},
		{"cut short", `{"records":[{"Id":"1"},{"Id":`, recordKeys, false, false},
	}
	for _, c := range cases {
		_, joined, err := splitJSON(t, c.doc, 64, 3, c.keys)
		var syntax *Error
		switch {
		case err == nil:
			t.Errorf("%s: split", c.name)
		case c.tooLarge && !errors.Is(err, ErrTooLarge):
			t.Errorf("%s: %v, want ErrTooLarge", c.name, err)
		case c.notSplit != errors.Is(err, ErrNotSplittable):
			t.Errorf("%s: %v, ErrNotSplittable %v", c.name, err, c.notSplit)
		case !c.tooLarge && !errors.As(err, &syntax):
			t.Errorf("%s: %v, want a syntax error", c.name, err)
		}
		if !strings.HasPrefix(c.doc, joined) {
			t.Errorf("%s: handed out %q", c.name, joined)
		}
		if err != nil && strings.Contains(err.Error(), "xxx") {
			t.Errorf("%s: the error quotes the document: %v", c.name, err)
		}
	}
}

// ArrayBounds finds the array again in a rewritten batch: elements
// dropped, values changed, names escaped elsewhere.
func TestArrayBounds(t *testing.T) {
	for _, c := range []struct {
		doc, key, elems string
	}{
		{`{"totalSize":2,"records":[{"a":1}, {"b":"]"}]}`, `"records"`, `{"a":1}, {"b":"]"}`},
		{`{"records" : [ ] , "x":1}`, `"records"`, ` `},
		{`{"rec\u006frds":[1],"records":[2]}`, `"records"`, `2`},
		{` [1,[2]] `, ``, `1,[2]`},
	} {
		var key []byte
		if c.key != "" {
			key = []byte(c.key)
		}
		open, close, err := ArrayBounds([]byte(c.doc), key)
		if err != nil || c.doc[open:close] != c.elems {
			t.Errorf("%s: %q, %v; want %q", c.doc, c.doc[open:max(open, close)], err, c.elems)
		}
	}
	for _, c := range []struct{ doc, key string }{
		{`{"results":[1]}`, `"records"`},
		{`[1]`, `"records"`},
		{`{"records":[1}`, `"records"`},
		{`{"records":1}`, `"records"`},
	} {
		if _, _, err := ArrayBounds([]byte(c.doc), []byte(c.key)); err == nil {
			t.Errorf("%s: bounds found", c.doc)
		}
	}
}

// Every element of a long page comes out once, in order, and the
// splitter's buffers stay at the batch size.
func TestJSONSplitterLargeDocument(t *testing.T) {
	var doc bytes.Buffer
	doc.WriteString(`{"totalSize":5000,"done":true,"records":[`)
	for i := range 5000 {
		if i > 0 {
			doc.WriteString(",\n ")
		}
		doc.WriteString(`{"attributes":{"type":"Contact"},"Id":"003`)
		doc.WriteString(strings.Repeat("0", i%9))
		doc.WriteString(`","Note":"a \"quoted\" ] and } and \\"}`)
	}
	doc.WriteString(`],"nextRecordsUrl":null}`)
	key := []byte(`"records"`)
	want := jsonElements(t, doc.Bytes(), key)
	s := NewJSONSplitter(bytes.NewReader(doc.Bytes()), 2048, 0, recordKeys, Limits{})
	var got []string
	batches := 0
	for {
		b, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		batches++
		got = append(got, jsonElements(t, b.Doc, s.Key())...)
	}
	if len(got) != len(want) || batches < 100 || cap(s.buf) > 2049 || cap(s.doc) > 2048 {
		t.Fatalf("%d elements of %d in %d batches; buffers %d, %d", len(got), len(want), batches, cap(s.buf), cap(s.doc))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("element %d: %s, want %s", i, got[i], want[i])
		}
	}
}
