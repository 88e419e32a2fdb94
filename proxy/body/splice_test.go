package body

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// SpliceJSON gives what RewriteJSON gives for the same replacements, on
// the fake CRM's fixtures and (when present) the detectors' corpus, with
// random scalar values replaced (escapes, unicode and empty contents
// included).
func TestSpliceJSONAgreesWithRewriteJSON(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/crm/*/*.json")
	corpus, _ := filepath.Glob("../../testdata/corpus/*.json")
	files = append(files, corpus...)
	r := rand.New(rand.NewPCG(5, 6))
	contents := [][]byte{[]byte("[REDACTED:email]"), []byte("a***@example.com"), []byte(""), []byte("quote \" back \\ \n é \u2028"), {0xff, 'x'}}
	docs, replaced := 0, 0
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var scalars []Splice
		if err := WalkJSON(doc, Limits{}, func(v *Value) error {
			if v.Kind != KindObject && v.Kind != KindArray && r.IntN(3) == 0 {
				scalars = append(scalars, Splice{Start: v.Start, End: v.End, Contents: contents[r.IntN(len(contents))]})
			}
			return nil
		}); err != nil {
			continue // not a document the pipeline would rewrite
		}
		docs++
		e := Edits{Replace: map[int][]byte{}}
		for _, s := range scalars {
			e.Replace[s.Start] = s.Contents
		}
		want, _, err := RewriteJSON(nil, doc, &e)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got, err := SpliceJSON([]byte("prefix:"), doc, scalars)
		if err != nil || !bytes.Equal(got, append([]byte("prefix:"), want...)) {
			t.Fatalf("%s: SpliceJSON differs from RewriteJSON (%v)", f, err)
		}
		replaced += len(scalars)
	}
	t.Logf("%d documents, %d values replaced", docs, replaced)
	if docs < 3 || replaced < 100 {
		t.Fatalf("%d documents, %d values replaced: the test did not test", docs, replaced)
	}
}

func TestSpliceJSONRefusesBadSplices(t *testing.T) {
	doc := []byte(`{"a":"x","b":"y"}`)
	for name, sp := range map[string][]Splice{
		"out of order": {{Start: 13, End: 16}, {Start: 5, End: 8}},
		"overlap":      {{Start: 5, End: 14}, {Start: 13, End: 16}},
		"past the end": {{Start: 13, End: 40}},
		"empty span":   {{Start: 5, End: 5}},
	} {
		dst := []byte("keep")
		out, err := SpliceJSON(dst, doc, sp)
		if err == nil || string(out) != "keep" {
			t.Errorf("%s: %q %v", name, out, err)
		}
	}
	out, err := SpliceJSON(nil, doc, []Splice{{Start: 5, End: 8, Contents: []byte("1")}, {Start: 13, End: 16, Contents: []byte("2")}})
	if err != nil || string(out) != `{"a":"1","b":"2"}` {
		t.Errorf("%q %v", out, err)
	}
}
