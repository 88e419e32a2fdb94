package body

import (
	"bytes"
	"testing"
)

var fuzzCharsets = []string{"", "utf-8", "us-ascii", "utf-16", "utf-16le", "utf-16be", "utf-32", "utf-32le", "utf-32be", "iso-8859-1", "windows-1252", "koi8-r"}

// FuzzDecodeText decodes raw under each charset Veil reads (and one it
// does not) and checks that a decoded body is valid UTF-8 and encodes back
// to raw byte for byte: there is no input that decodes but does not round
// trip, so no normalisation to allow for. A refusal is an *Error.
func FuzzDecodeText(f *testing.F) {
	for _, c := range textCases {
		for i, cs := range fuzzCharsets {
			if cs == c.charset {
				f.Add([]byte(c.raw), byte(i))
			}
		}
	}
	f.Add([]byte("\xFF\xFE\x00\x00"), byte(0))
	f.Fuzz(func(t *testing.T, raw []byte, cs byte) {
		charset := fuzzCharsets[int(cs)%len(fuzzCharsets)]
		text, enc, err := DecodeText(raw, charset)
		if err != nil {
			if text != nil || ErrorCode(err) == "" {
				t.Fatalf("%q, %v", text, err)
			}
			return
		}
		if _, err := EncodeText(nil, text, enc); err != nil {
			t.Fatalf("%q as %s decoded to %q (%v), which does not encode: %v", raw, charset, text, enc, err)
		}
		back, _ := EncodeText(nil, text, enc)
		if !bytes.Equal(back, raw) {
			t.Fatalf("%q as %s decoded to %q (%v), encoded back to %q", raw, charset, text, enc, back)
		}
		_ = Sniff(raw)
	})
}

// FuzzSplitJSONP checks that a found value lies inside doc, trimmed, and
// that the wrapper is read apart from it: with the value swapped for {}
// the same call is found around it.
func FuzzSplitJSONP(f *testing.F) {
	for _, s := range []string{`cb({"a":1});`, `/**/ jQuery123_456({"a":"x)"})`, " a.b.c ( [1] ) \n", "cb(1) + x", "alert(1); cb({})", `cb("a\"")`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		start, end, ok := SplitJSONP(doc)
		_ = Sniff(doc)
		if !ok {
			return
		}
		if start < 0 || start >= end || end > len(doc) || isJSSpace(doc[start]) || isJSSpace(doc[end-1]) {
			t.Fatalf("%q: span %d, %d", doc, start, end)
		}
		swapped := append(append(append([]byte{}, doc[:start]...), "{}"...), doc[end:]...)
		if s, e, ok := SplitJSONP(swapped); !ok || s != start || e != start+2 {
			t.Fatalf("%q: with {} inside: %d, %d, %v", swapped, s, e, ok)
		}
	})
}
