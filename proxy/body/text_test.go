package body

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf16"
)

// utf16Bytes encodes s as UTF-16 in the byte order asked for.
func utf16Bytes(s string, be bool) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		if be {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}

func utf32Bytes(s string, be bool) string {
	var b []byte
	for _, r := range s {
		if be {
			b = append(b, byte(r>>24), byte(r>>16), byte(r>>8), byte(r))
		} else {
			b = append(b, byte(r), byte(r>>8), byte(r>>16), byte(r>>24))
		}
	}
	return string(b)
}

const jsonCard = `{"card":"4111 1111 1111 1111","note":"café €5 😀"}`

var textCases = []struct {
	name, raw, charset string
	text               string
	enc                TextEncoding
	code               string
}{
	{name: "UTF-8", raw: jsonCard, text: jsonCard, enc: TextUTF8},
	{name: "UTF-8 labelled", raw: jsonCard, charset: "UTF-8", text: jsonCard, enc: TextUTF8},
	{name: "us-ascii", raw: "plain", charset: "us-ascii", text: "plain", enc: TextUTF8},
	{name: "UTF-8 BOM", raw: "\xEF\xBB\xBF" + jsonCard, charset: "", text: jsonCard, enc: TextUTF8BOM},
	{name: "UTF-8 BOM over a charset", raw: "\xEF\xBB\xBF" + jsonCard, charset: "iso-8859-1", text: jsonCard, enc: TextUTF8BOM},
	{name: "UTF-16LE with BOM", raw: "\xFF\xFE" + utf16Bytes(jsonCard, false), text: jsonCard, enc: TextUTF16LE | TextBOM},
	{name: "UTF-16BE with BOM", raw: "\xFE\xFF" + utf16Bytes(jsonCard, true), charset: "utf-16", text: jsonCard, enc: TextUTF16BE | TextBOM},
	{name: "UTF-16LE BOM over charset=utf-16", raw: "\xFF\xFE" + utf16Bytes(jsonCard, false), charset: "utf-16", text: jsonCard, enc: TextUTF16LE | TextBOM},
	{name: "UTF-16LE unlabelled", raw: utf16Bytes(jsonCard, false), text: jsonCard, enc: TextUTF16LE},
	{name: "UTF-16BE unlabelled", raw: utf16Bytes(jsonCard, true), text: jsonCard, enc: TextUTF16BE},
	{name: "UTF-16LE labelled", raw: utf16Bytes("€ 4111", false), charset: "UTF-16LE", text: "€ 4111", enc: TextUTF16LE},
	{name: "charset=utf-16 without BOM is BE", raw: utf16Bytes(jsonCard, true), charset: "utf-16", text: jsonCard, enc: TextUTF16BE},
	{name: "UTF-32LE with BOM", raw: "\xFF\xFE\x00\x00" + utf32Bytes(jsonCard, false), text: jsonCard, enc: TextUTF32LE | TextBOM},
	{name: "UTF-32BE with BOM", raw: "\x00\x00\xFE\xFF" + utf32Bytes(jsonCard, true), text: jsonCard, enc: TextUTF32BE | TextBOM},
	{name: "UTF-32LE unlabelled", raw: utf32Bytes(jsonCard, false), text: jsonCard, enc: TextUTF32LE},
	{name: "UTF-32BE unlabelled", raw: utf32Bytes(jsonCard, true), text: jsonCard, enc: TextUTF32BE},
	{name: "utf-32 labelled", raw: utf32Bytes("ab", true), charset: "utf-32", text: "ab", enc: TextUTF32BE},
	{name: "FF FE 00 00 then half a unit: UTF-16LE", raw: "\xFF\xFE\x00\x00A\x00", text: "\x00A", enc: TextUTF16LE | TextBOM},
	{name: "latin1", raw: "caf\xe9 \xa34", charset: "ISO-8859-1", text: "café £4", enc: TextLatin1},
	{name: "latin1 alias", raw: "\x80", charset: "latin1", text: "\u0080", enc: TextLatin1},
	{name: "windows-1252", raw: "\x80 5, caf\xe9 \x93q\x94 \x81", charset: "windows-1252", text: "€ 5, café “q” \u0081", enc: TextWindows1252},
	{name: "cp1252", raw: "\x9f", charset: "CP1252", text: "Ÿ", enc: TextWindows1252},
	{name: "empty", raw: "", text: "", enc: TextUTF8},
	{name: "one byte", raw: "x", text: "x", enc: TextUTF8},
	{name: "UTF-16 lone high surrogate", raw: "\xFF\xFE" + "a\x00\x3D\xD8b\x00", code: CodeInvalidUTF8},
	{name: "UTF-16 lone low surrogate", raw: "a\x00\x00\xDC", code: CodeInvalidUTF8},
	{name: "UTF-16 high surrogate at the end", raw: "\xFE\xFF\x00a\xD8\x3D", code: CodeInvalidUTF8},
	{name: "UTF-16 odd length", raw: "a\x00b", code: CodeInvalidUTF8},
	{name: "UTF-32 out of range", raw: "a\x00\x00\x00\x00\x00\x11\x00", code: CodeInvalidUTF8},
	{name: "UTF-32 surrogate", raw: "\x00\x00\x00a\x00\x00\xD8\x00", code: CodeInvalidUTF8},
	{name: "invalid UTF-8", raw: "caf\xe9", code: CodeInvalidUTF8},
	{name: "invalid UTF-8 after a BOM", raw: "\xEF\xBB\xBFcaf\xe9", code: CodeInvalidUTF8},
	{name: "unknown charset", raw: "x", charset: "shift_jis", code: CodeUnsupportedCharset},
	{name: "unknown charset with a BOM", raw: "\xEF\xBB\xBFx", charset: "utf-7", code: CodeUnsupportedCharset},
}

func TestDecodeText(t *testing.T) {
	for _, c := range textCases {
		t.Run(c.name, func(t *testing.T) {
			text, enc, err := DecodeText([]byte(c.raw), c.charset)
			if c.code != "" {
				if errorCodeOf(err) != c.code || text != nil {
					t.Fatalf("got %q, %v; want %s", text, err, c.code)
				}
				return
			}
			if err != nil || string(text) != c.text || enc != c.enc {
				t.Fatalf("got %q, %v, %v; want %q, %v", text, enc, err, c.text, c.enc)
			}
			back, err := EncodeText([]byte("prefix"), text, enc)
			if err != nil || string(back) != "prefix"+c.raw {
				t.Fatalf("EncodeText: %q, %v; want the input back", back, err)
			}
		})
	}
}

func TestDecodeTextErrorOffsets(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want int
	}{
		{"ab\xffcd", 2},
		{"\xEF\xBB\xBFab\xff", 5},
		{"\xFF\xFEa\x00\x00\xDC", 4},
		{"a\x00\x00\x00\x00\x00\x11\x00", 4},
	} {
		_, _, err := DecodeText([]byte(c.raw), "")
		if e, ok := err.(*Error); !ok || e.Offset != c.want {
			t.Errorf("%q: %v, want offset %d", c.raw, err, c.want)
		}
	}
}

func TestEncodeText(t *testing.T) {
	for _, c := range []struct {
		text string
		enc  TextEncoding
		want string
		code string
	}{
		{"€", TextWindows1252, "\x80", ""},
		{"Ÿ and ‰", TextWindows1252, "\x9f and \x89", ""},
		{"€", TextLatin1, "", CodeInvalidEdit},
		{"\u0080", TextWindows1252, "", CodeInvalidEdit},
		{"😀", TextUTF16BE | TextBOM, "\xFE\xFF\xD8\x3D\xDE\x00", ""},
		{"😀", TextUTF16LE, "\x3D\xD8\x00\xDE", ""},
		{"😀", TextUTF32LE | TextBOM, "\xFF\xFE\x00\x00\x00\xF6\x01\x00", ""},
		{"x", TextUTF8BOM, "\xEF\xBB\xBFx", ""},
		{"a\xffb", TextUTF8, "", CodeInvalidEdit},
		{"x", TextLatin1 | TextBOM, "", CodeInvalidEdit},
		{"x", TextEncoding(42), "", CodeInvalidEdit},
	} {
		got, err := EncodeText(nil, []byte(c.text), c.enc)
		if errorCodeOf(err) != c.code || string(got) != c.want {
			t.Errorf("EncodeText(%q, %v) = %q, %v; want %q, %q", c.text, c.enc, got, err, c.want, c.code)
		}
	}
}

// TestTextRoundTrip: every encoding gives back what it read, for every
// character it can hold.
func TestTextRoundTrip(t *testing.T) {
	var all, latin strings.Builder
	for r := rune(1); r < 0x11000; r += 7 {
		if r < 0xD800 || r > 0xDFFF {
			all.WriteRune(r)
		}
	}
	all.WriteRune(0x10FFFF)
	for r := rune(0); r < 0x100; r++ {
		latin.WriteRune(r)
	}
	var cp []byte
	for c := range 256 {
		cp = append(cp, byte(c))
	}
	for _, enc := range []TextEncoding{TextUTF8, TextUTF8BOM, TextUTF16LE, TextUTF16BE, TextUTF32LE, TextUTF32BE,
		TextUTF16LE | TextBOM, TextUTF16BE | TextBOM, TextUTF32LE | TextBOM, TextUTF32BE | TextBOM} {
		raw, err := EncodeText(nil, []byte(all.String()), enc)
		if err != nil {
			t.Fatalf("%v: %v", enc, err)
		}
		text, got, err := DecodeText(raw, enc.Base().String())
		if err != nil || got != enc || string(text) != all.String() {
			t.Errorf("%v: decoded as %v (%v)", enc, got, err)
		}
		if back, _ := EncodeText(nil, text, got); !bytes.Equal(back, raw) {
			t.Errorf("%v: does not round trip", enc)
		}
	}
	for _, cs := range []string{"iso-8859-1", "windows-1252"} {
		text, enc, err := DecodeText(cp, cs)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := EncodeText(nil, text, enc); err != nil || !bytes.Equal(back, cp) {
			t.Errorf("%s: every byte does not round trip: %v", cs, err)
		}
	}
	if text, _, _ := DecodeText(cp, "latin1"); string(text) != latin.String() {
		t.Error("latin1 is not the first 256 code points")
	}
}

func TestSplitJSONP(t *testing.T) {
	for _, c := range []struct {
		doc, inner string
		ok         bool
	}{
		{`cb({"a":1});`, `{"a":1}`, true},
		{`/**/ jQuery123_456({"a":"x)y;(","b":[1,{"c":"\")"}]})`, `{"a":"x)y;(","b":[1,{"c":"\")"}]}`, true},
		{" a.b.c ( [1] ) \n", "[1]", true},
		{"\t$._cb1(\"str)\") ;\n", `"str)"`, true},
		{"cb(-1.5e3)", "-1.5e3", true},
		{"cb(null);", "null", true},
		{"/**/cb({})", "{}", true},
		{"cb(1) + x", "", false},
		{"alert(1); cb({})", "", false},
		{"cb({}) ; x()", "", false},
		{`cb({"a":1)`, "", false},
		{`cb({"a":1}})`, "", false},
		{`cb({"a":1}{})`, "", false},
		{`cb([1]])`, "", false},
		{`cb("abc)`, "", false},
		{"cb()", "", false},
		{"cb( )", "", false},
		{"a[0]({})", "", false},
		{"a..b({})", "", false},
		{"a.({})", "", false},
		{"1cb({})", "", false},
		{"cb({});;", "", false},
		{"/* x */cb({})", "", false},
		{`{"a":1}`, "", false},
		{"cb(1 2)", "", false},
		{"", "", false},
	} {
		start, end, ok := SplitJSONP([]byte(c.doc))
		if ok != c.ok || ok && c.doc[start:end] != c.inner {
			t.Errorf("SplitJSONP(%q) = %d, %d, %v; want %q, %v", c.doc, start, end, ok, c.inner, c.ok)
		}
	}
}
