package body

import (
	"bytes"
	"os"
	"testing"
)

// FuzzSplitMultipart splits doc with boundary (or, when it is empty, the
// one doc's first line names) and checks what it gives: a
// split never panics; its spans are in order and within doc; Go's
// mime/multipart reads the same parts from what it accepts; with no edits
// RewriteMultipart returns doc byte for byte; every body replaced with "x"
// (encoded in its part's transfer encoding) re-splits to as many parts,
// each reading "x"; and the parts sel drops are gone from the re-split,
// the others kept with their bodies.
func FuzzSplitMultipart(f *testing.F) {
	for _, name := range []string{"contentversion.txt", "mixed.txt"} {
		doc, err := os.ReadFile("testdata/multipart/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(doc, "boundary_string", []byte{1})
		f.Add(doc, "outer-=_42", []byte{2, 3})
	}
	for _, c := range mpCases {
		b := c.boundary
		if b == "" {
			b = "b"
		}
		f.Add([]byte(c.doc), b, []byte{0, 1})
		f.Add([]byte(c.doc), "", []byte{3})
	}
	f.Fuzz(func(t *testing.T, doc []byte, boundary string, sel []byte) {
		if boundary == "" {
			// The boundary of doc's first line, so that mutations of doc
			// keep one that fits.
			line, _, _ := bytes.Cut(bytes.TrimPrefix(doc, []byte("--")), []byte("\n"))
			boundary = string(bytes.TrimSuffix(bytes.TrimSuffix(bytes.TrimRight(line, " \t\r"), []byte("--")), []byte(" ")))
		}
		pre, epi, parts, err := SplitMultipart(doc, boundary, MultipartLimits{MaxParts: 64, MaxHeaderBytes: 256})
		if err != nil {
			if parts != nil || ErrorCode(err) == "" {
				t.Fatalf("error %v with %d parts", err, len(parts))
			}
			return
		}
		checkSpans(t, doc, pre, epi, parts)
		agreeWithGo(t, doc, boundary, parts)
		if out, err := RewriteMultipart(nil, doc, parts, nil, nil); err != nil || !bytes.Equal(out, doc) {
			t.Fatalf("no edits: %v, %q", err, out)
		}
		if len(parts) == 0 {
			return
		}

		x := map[int][]byte{}
		for i := range parts {
			x[i] = []byte("x")
		}
		out, err := RewriteMultipart(nil, doc, parts, x, nil)
		if err != nil {
			t.Fatalf("every body set to x: %v", err)
		}
		_, _, got, err := SplitMultipart(out, boundary, MultipartLimits{MaxParts: 64, MaxHeaderBytes: 256})
		if err != nil || len(got) != len(parts) {
			t.Fatalf("%q rewrote to %q: %d parts, %v; want %d", doc, out, len(got), err, len(parts))
		}
		for i, p := range got {
			if string(p.Body) != "x" || p.MediaType != parts[i].MediaType || p.Name != parts[i].Name {
				t.Fatalf("%q rewrote to %q: part %d reads %q", doc, out, i, p.Body)
			}
		}

		if len(sel) == 0 {
			return
		}
		drop := map[int]bool{}
		var kept []int
		for i := range parts {
			if sel[i%len(sel)]>>(i/len(sel)%8)&1 == 1 {
				drop[i] = true
			} else {
				kept = append(kept, i)
				if sel[0]&2 != 0 {
					x[i] = []byte{}
				}
			}
		}
		out, err = RewriteMultipart(nil, doc, parts, x, drop)
		if err != nil {
			t.Fatalf("drop %v: %v", drop, err)
		}
		_, _, got, err = SplitMultipart(out, boundary, MultipartLimits{MaxParts: 64, MaxHeaderBytes: 256})
		if err != nil || len(got) != len(kept) {
			t.Fatalf("%q dropped %v to %q: %d parts, %v; want %d", doc, drop, out, len(got), err, len(kept))
		}
		for k, i := range kept {
			if !bytes.Equal(got[k].Body, x[i]) || got[k].Name != parts[i].Name {
				t.Fatalf("%q dropped %v to %q: part %d reads %q, want %q", doc, drop, out, k, got[k].Body, x[i])
			}
		}
	})
}
