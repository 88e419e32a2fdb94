package body

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"unicode/utf8"
)

var fuzzDocs = []string{
	`{"a":1,"b":[true,false,null],"c":{"d":"e"}}`,
	`{"records":[{"Email":"a@b.c","Phone":"+1 415 555 0100"},{"Email":"x@y.z"}],"done":true}`,
	"{\n  \"k\" : [ 1 , 2.5e-3 , -0 ],\n  \"\" : \"\\u00e9\\ud83d\\ude00\\ud800\"\n}\n",
	`[[],{},"",0,"\\\"\/\b\f\n\r\t"]`,
	`{"a":1,"a":2}`,
	`{"a":1,"\u0061":2}`,
	`[1,]`,
	"[\"\xff\"]",
	`123456789012345678901234567890e99999`,
	`{"a/b":{"m~n":[{"":1}]}}`,
}

// refValid is encoding/json's verdict on doc plus the two rules it does not
// have: whether some object repeats a name, and how deep containers nest.
func refValid(doc []byte) (valid, dup bool, depth int) {
	if !json.Valid(doc) || !utf8.Valid(doc) {
		return false, false, 0
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	type level struct {
		names  map[string]bool // nil for arrays
		expect bool            // the next string token is a name
	}
	var stack []level
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return true, dup, depth
		}
		if err != nil {
			panic("encoding/json: Valid but not tokenizable: " + err.Error())
		}
		if n := len(stack); n > 0 && stack[n-1].names != nil {
			top := &stack[n-1]
			if d, ok := tok.(json.Delim); !(ok && d == '}') {
				if top.expect {
					name := tok.(string)
					dup = dup || top.names[name]
					top.names[name] = true
					top.expect = false
					continue
				}
				top.expect = true // after this value
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, level{names: map[string]bool{}, expect: true})
		case json.Delim('['):
			stack = append(stack, level{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		depth = max(depth, len(stack))
	}
}

func FuzzWalkJSON(f *testing.F) {
	for _, d := range fuzzDocs {
		f.Add([]byte(d))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		prev := -1
		var shapes shapeCheck
		err := WalkJSON(doc, Limits{}, func(v *Value) error {
			if v.Start <= prev || v.Start >= len(doc) {
				t.Fatalf("start %d after %d, doc of %d bytes", v.Start, prev, len(doc))
			}
			prev = v.Start
			shapes.check(t, v)
			if v.Depth != v.Segments() || (v.Key != nil) == (v.Index >= 0) && v.Depth > 0 {
				t.Fatalf("inconsistent path at %d", v.Start)
			}
			// The pointer reads back as the path.
			p, ok := parsePointer(v.Pointer())
			if !ok || len(p) != v.Depth {
				t.Fatalf("pointer %q of a value at depth %d", v.Pointer(), v.Depth)
			}
			for i := range p {
				k, idx := v.Segment(i)
				if k != nil && string(k) != p[i].name || k == nil && idx != p[i].index {
					t.Fatalf("pointer %q, segment %d is %q/%d", v.Pointer(), i, k, idx)
				}
			}
			switch v.Kind {
			case KindObject, KindArray:
				if v.End != -1 || doc[v.Start] != "{["[v.Kind-KindObject] {
					t.Fatalf("container span at %d", v.Start)
				}
				return nil
			}
			if v.End <= v.Start || v.End > len(doc) {
				t.Fatalf("span %d:%d, doc of %d bytes", v.Start, v.End, len(doc))
			}
			raw := doc[v.Start:v.End]
			if v.Kind != KindString {
				if !bytes.Equal(raw, v.Str) {
					t.Fatalf("literal %q, span %q", v.Str, raw)
				}
				return nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil || s != string(v.Str) {
				t.Fatalf("string span %q: encoding/json reads %q (%v), we %q", raw, s, err, v.Str)
			}
			return nil
		})
		valid, dup, depth := refValid(doc)
		code := ErrorCode(err)
		switch {
		case err != nil && code == "":
			t.Fatalf("error without a code: %v", err)
		case !valid && err == nil:
			t.Fatalf("accepted a document encoding/json refuses")
		case valid && dup && code != CodeDuplicateKey && code != CodeTooDeep:
			t.Fatalf("duplicate name: err = %v", err)
		case valid && !dup && depth > DefaultMaxDepth && code != CodeTooDeep:
			t.Fatalf("depth %d: err = %v", depth, err)
		case valid && !dup && depth <= DefaultMaxDepth && err != nil:
			t.Fatalf("refused a valid document: %v", err)
		}
		var e *Error
		if errors.As(err, &e) && (e.Offset < 0 || e.Offset > len(doc)) {
			t.Fatalf("error offset %d, doc of %d bytes", e.Offset, len(doc))
		}
	})
}

// FuzzRewriteJSON applies edits picked by sel to every valid document and
// checks the result against encoding/json's reading of the same change.
func FuzzRewriteJSON(f *testing.F) {
	for i, d := range fuzzDocs {
		f.Add([]byte(d), []byte{byte(i), 1, 2, 3, 4, 5, 6, 7, 0xff, 'x'})
	}
	f.Fuzz(func(t *testing.T, doc, sel []byte) {
		type val struct {
			start int
			ptr   string
		}
		var vals []val
		if WalkJSON(doc, Limits{}, func(v *Value) error {
			vals = append(vals, val{v.Start, v.Pointer()})
			return nil
		}) != nil || len(sel) == 0 {
			return
		}
		e := &Edits{Replace: map[int][]byte{}, Drop: map[int]bool{}}
		for i, v := range vals {
			b := sel[i%len(sel)] ^ byte(i/len(sel))
			switch b % 8 {
			case 0, 1:
				e.Replace[v.start] = sel[:int(b)%len(sel)]
			case 2:
				if v.ptr != "" {
					e.Drop[v.start] = true
				}
			case 3:
				if v.ptr != "" {
					e.DropPointers = append(e.DropPointers, v.ptr)
				}
			}
		}
		out, n, err := RewriteJSON(nil, doc, e)
		if err != nil {
			t.Fatalf("RewriteJSON: %v", err)
		}
		if n != len(e.DropPointers) {
			t.Fatalf("%d of %d pointers matched", n, len(e.DropPointers))
		}
		checkRewrite(t, doc, out, e)
		if err := WalkJSON(out, Limits{}, nil); err != nil {
			t.Fatalf("output refused by WalkJSON: %v", err)
		}
	})
}

// FuzzReadAll feeds arbitrary bytes under every coding: no panic, the limit
// holds, and what decodes agrees with compress/gzip.
func FuzzReadAll(f *testing.F) {
	doc := []byte(fuzzDocs[1])
	for _, enc := range []string{"", "gzip", "deflate"} {
		wire, _ := Encode(nil, doc, enc)
		f.Add(wire, enc, int64(len(doc)))
		f.Add(wire[:len(wire)/2], enc, int64(100))
	}
	f.Add(rawDeflated(f, doc), "deflate", int64(1000))
	f.Add([]byte{}, "gzip, identity", int64(0))
	f.Fuzz(func(t *testing.T, wire []byte, enc string, limit int64) {
		limit = min(max(limit, -1), 1<<20)
		got, err := ReadAll(bytes.NewReader(wire), enc, limit)
		if err != nil {
			if got != nil {
				t.Fatalf("data with an error")
			}
			return
		}
		if int64(len(got)) > max(limit, 0) || int64(len(wire)) > max(limit, 0) {
			t.Fatalf("%d bytes decoded from %d, limit %d", len(got), len(wire), limit)
		}
		c, _ := parseEncoding(enc)
		switch c {
		case identity:
			if !bytes.Equal(got, wire) {
				t.Fatalf("identity changed the bytes")
			}
		case gzipCoding:
			if len(wire) == 0 {
				break
			}
			zr, err := gzip.NewReader(bytes.NewReader(wire))
			if err != nil {
				t.Fatalf("compress/gzip refuses what we read: %v", err)
			}
			ref, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(ref, got) {
				t.Fatalf("compress/gzip reads %d bytes (%v), we %d", len(ref), err, len(got))
			}
		}
		// What was read can be written and read again.
		re, err := Encode(nil, got, enc)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ReadAll(bytes.NewReader(re), enc, int64(len(re))+int64(len(got)))
		if err != nil || !bytes.Equal(back, got) {
			t.Fatalf("round trip: %v", err)
		}
	})
}
