package body

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzAppendJSONString: every replacement RewriteJSON writes goes through
// AppendJSONString. Whatever the bytes (invalid UTF-8, controls, quotes,
// U+2028), the literal is one valid JSON string that WalkJSON and
// encoding/json both read back as encoding/json's own quoting of the same
// bytes reads; it holds no raw control byte, U+2028 or U+2029; and it is
// appended to dst without touching dst. AppendJSONStringHTML writes
// encoding/json's quoting byte for byte.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `"\`, "a\x00b\x1f\x7f", "\n\r\t\b\f", "\u2028\u2029", "\xff\xfe", "é\xc3", "\xed\xa0\x80", "<>&", `\ud83d\ude00`, "\U0001F600"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		out := AppendJSONString([]byte("pre"), s)
		if string(out[:3]) != "pre" {
			t.Fatalf("dst changed: %q", out[:3])
		}
		lit := out[3:]
		var got string
		if err := json.Unmarshal(lit, &got); err != nil {
			t.Fatalf("%q quoted as %q: not a JSON string: %v", s, lit, err)
		}
		ref, _ := json.Marshal(string(s))
		if html := AppendJSONStringHTML(nil, string(s)); !bytes.Equal(html, ref) {
			t.Fatalf("%q: AppendJSONStringHTML wrote %q, encoding/json %q", s, html, ref)
		}
		if html := AppendJSONStringHTML([]byte("pre"), s); string(html) != "pre"+string(ref) {
			t.Fatalf("%q: AppendJSONStringHTML of the bytes wrote %q, encoding/json %q", s, html, ref)
		}
		var want string
		if err := json.Unmarshal(ref, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%q quoted as %q reads %q, encoding/json's quoting reads %q", s, lit, got, want)
		}
		if utf8.Valid(s) && got != string(s) {
			t.Fatalf("valid UTF-8 %q reads back as %q", s, got)
		}
		for _, c := range lit {
			if c < 0x20 {
				t.Fatalf("%q quoted as %q: raw control byte %#x", s, lit, c)
			}
		}
		if bytes.Contains(lit, []byte("\u2028")) || bytes.Contains(lit, []byte("\u2029")) {
			t.Fatalf("%q quoted as %q: raw U+2028/U+2029", s, lit)
		}
		n := 0
		if err := WalkJSON(lit, Limits{}, func(v *Value) error {
			n++
			if v.Kind != KindString || string(v.Str) != want {
				t.Fatalf("%q quoted as %q: WalkJSON reads %v %q", s, lit, v.Kind, v.Str)
			}
			return nil
		}); err != nil || n != 1 {
			t.Fatalf("%q quoted as %q: WalkJSON: %d values, %v", s, lit, n, err)
		}
	})
}

// FuzzPointer: RFC 6901 pointers as RewriteJSON's DropPointers reads them
// (from the policy's decision) and as the walkers and the CSV and form
// pointers write them. A pointer that parses is written back the same by
// escaping its names; a malformed one has a '~' not followed by 0 or 1 or
// does not start with '/'; a segment's array index is the number it spells
// only in canonical decimal (no sign, no leading zero).
func FuzzPointer(f *testing.F) {
	for _, s := range []string{"", "/", "/a/0", "/a~1b/m~0n", "/~", "/~2", "a", "/01", "/-", "/records/18446744073709551616", "//", "/0/Email"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := parsePointer(s)
		malformed := s != "" && s[0] != '/' || strings.Contains(strings.NewReplacer("~0", "", "~1", "").Replace(s), "~")
		if ok == malformed {
			t.Fatalf("%q: parsed %v", s, ok)
		}
		if !ok {
			return
		}
		var b strings.Builder
		for _, seg := range p {
			b.WriteString("/" + EscapePointerToken(seg.name))
			if got := string(AppendPointerToken([]byte("/"), []byte(seg.name))); got != "/"+EscapePointerToken(seg.name) {
				t.Fatalf("%q: AppendPointerToken %q, EscapePointerToken %q", seg.name, got, EscapePointerToken(seg.name))
			}
			want := -1
			if n, err := strconv.ParseUint(seg.name, 10, 63); err == nil && strconv.FormatUint(n, 10) == seg.name && len(seg.name) <= 18 {
				want = int(n)
			}
			if seg.index != want {
				t.Fatalf("%q: segment %q has index %d, want %d", s, seg.name, seg.index, want)
			}
		}
		if b.String() != s {
			t.Fatalf("%q parses and writes back as %q", s, b.String())
		}
	})
}
