package body

import (
	"bytes"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Text is a body in some character encoding. DecodeText turns it into
// UTF-8 for the detectors and EncodeText turns the edited text back into
// its encoding: the caller re-encodes the whole text, so no offsets need
// mapping. Decoding then encoding an unedited body gives back its bytes.

// TextEncoding is how a text body is encoded. TextBOM is a flag on it: the
// body began with a byte order mark, which DecodeText strips and
// EncodeText writes back.
type TextEncoding uint8

// Text encodings.
const (
	TextUTF8 TextEncoding = iota
	TextUTF16LE
	TextUTF16BE
	TextUTF32LE
	TextUTF32BE
	TextLatin1      // ISO-8859-1
	TextWindows1252 // the five bytes it leaves undefined read as C1 controls, as WHATWG reads them

	TextBOM     TextEncoding = 0x80
	TextUTF8BOM              = TextUTF8 | TextBOM
)

// Base returns e without TextBOM.
func (e TextEncoding) Base() TextEncoding { return e &^ TextBOM }

// HasBOM reports whether e carries TextBOM.
func (e TextEncoding) HasBOM() bool { return e&TextBOM != 0 }

var textNames = [...]string{"utf-8", "utf-16le", "utf-16be", "utf-32le", "utf-32be", "iso-8859-1", "windows-1252"}

// String returns the charset name, with "+bom" for TextBOM: a bounded
// metric label.
func (e TextEncoding) String() string {
	if int(e.Base()) >= len(textNames) {
		return "invalid"
	}
	if e.HasBOM() {
		return textNames[e.Base()] + "+bom"
	}
	return textNames[e.Base()]
}

// DecodeText returns raw as UTF-8 text and how it was encoded. The text is
// raw itself (after a UTF-8 BOM) when raw is UTF-8, and new memory
// otherwise.
//
// A byte order mark wins over charset: EF BB BF (UTF-8), FF FE 00 00
// (UTF-32LE, unless what follows is no whole number of 4-byte units: then
// UTF-16LE and U+0000), 00 00 FE FF, FF FE, FE FF. Without one, charset is
// read, its name case-insensitive: utf-8, utf8, us-ascii and ascii are read
// as UTF-8; utf-16 and utf-32 as big-endian (RFC 2781); utf-16le,
// utf-16be, utf-32le, utf-32be; iso-8859-1 and its aliases (latin1, l1,
// …); windows-1252, cp1252. An empty charset is UTF-8, unless the first
// bytes hold the NUL pattern of UTF-32 or UTF-16 ASCII (RFC 4627 §3): "{\x00"
// is UTF-16LE JSON.
//
// Any other charset name, even with a BOM, is an *Error with
// CodeUnsupportedCharset: the caller answers 415 rather than read the body
// in a charset the CRM may not. Input that does not decode (invalid UTF-8,
// a lone surrogate, a code point out of range, a cut code unit) is an
// *Error with CodeInvalidUTF8 and the offset of the bad unit in raw.
func DecodeText(raw []byte, charset string) (text []byte, enc TextEncoding, err error) {
	named, ok := charsetEncoding(charset)
	if !ok {
		return nil, 0, &Error{Code: CodeUnsupportedCharset}
	}
	enc, n := bomEncoding(raw)
	if n == 0 {
		enc = named
		if strings.TrimSpace(charset) == "" {
			enc = nulPattern(raw)
		}
	}
	body := raw[n:]
	if enc.Base() == TextUTF8 {
		if !utf8.Valid(body) {
			return nil, 0, &Error{Code: CodeInvalidUTF8, Offset: n + firstInvalidUTF8(body)}
		}
		return body, enc, nil
	}
	text, bad := decodeUnits(make([]byte, 0, len(body)+len(body)/2), body, enc.Base())
	if bad >= 0 {
		return nil, 0, &Error{Code: CodeInvalidUTF8, Offset: n + bad}
	}
	return text, enc, nil
}

// charsetEncoding maps a charset name; "" maps to UTF-8.
func charsetEncoding(charset string) (TextEncoding, bool) {
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return TextUTF8, true
	case "utf-16", "utf-16be":
		return TextUTF16BE, true
	case "utf-16le":
		return TextUTF16LE, true
	case "utf-32", "utf-32be":
		return TextUTF32BE, true
	case "utf-32le":
		return TextUTF32LE, true
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "iso_8859-1:1987", "latin1", "latin-1", "l1", "iso-ir-100", "csisolatin1", "ibm819", "cp819":
		return TextLatin1, true
	case "windows-1252", "cp1252", "x-cp1252":
		return TextWindows1252, true
	}
	return 0, false
}

// bomEncoding returns the encoding a byte order mark at the start of b
// names, with TextBOM, and the mark's length; 0 when there is none.
func bomEncoding(b []byte) (TextEncoding, int) {
	switch {
	case bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")):
		return TextUTF8BOM, 3
	case bytes.HasPrefix(b, []byte("\xFF\xFE\x00\x00")) && len(b)%4 == 0:
		return TextUTF32LE | TextBOM, 4
	case bytes.HasPrefix(b, []byte("\x00\x00\xFE\xFF")):
		return TextUTF32BE | TextBOM, 4
	case bytes.HasPrefix(b, []byte("\xFF\xFE")):
		return TextUTF16LE | TextBOM, 2
	case bytes.HasPrefix(b, []byte("\xFE\xFF")):
		return TextUTF16BE | TextBOM, 2
	}
	return TextUTF8, 0
}

// nulPattern tells UTF-32 and UTF-16 from the NULs of a first character
// below U+0100, as RFC 4627 §3 does for JSON: 00 00 00 xx, xx 00 00 00,
// 00 xx, xx 00. Anything else is UTF-8.
func nulPattern(b []byte) TextEncoding {
	switch {
	case len(b) >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] != 0:
		return TextUTF32BE
	case len(b) >= 4 && b[0] != 0 && b[1] == 0 && b[2] == 0 && b[3] == 0:
		return TextUTF32LE
	case len(b) >= 2 && b[0] == 0 && b[1] != 0:
		return TextUTF16BE
	case len(b) >= 2 && b[0] != 0 && b[1] == 0:
		return TextUTF16LE
	}
	return TextUTF8
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// decodeUnits appends b, in enc (not UTF-8), to dst as UTF-8. It stops at
// the first unit that does not decode and returns its offset as bad, or
// -1 when all of b decoded.
func decodeUnits(dst, b []byte, enc TextEncoding) (out []byte, bad int) {
	switch enc {
	case TextLatin1:
		for _, c := range b {
			dst = utf8.AppendRune(dst, rune(c))
		}
		return dst, -1
	case TextWindows1252:
		for _, c := range b {
			r := rune(c)
			if c >= 0x80 && c < 0xA0 {
				r = cp1252[c-0x80]
			}
			dst = utf8.AppendRune(dst, r)
		}
		return dst, -1
	case TextUTF16LE, TextUTF16BE:
		be := enc == TextUTF16BE
		for i := 0; i < len(b); i += 2 {
			if i+1 == len(b) {
				return dst, i
			}
			r := unit16(b[i:], be)
			if utf16.IsSurrogate(r) {
				if r >= 0xDC00 || i+3 >= len(b) {
					return dst, i
				}
				if r = utf16.DecodeRune(r, unit16(b[i+2:], be)); r == utf8.RuneError {
					return dst, i
				}
				i += 2
			}
			dst = utf8.AppendRune(dst, r)
		}
		return dst, -1
	case TextUTF32LE, TextUTF32BE:
		for i := 0; i < len(b); i += 4 {
			if i+3 >= len(b) {
				return dst, i
			}
			var u uint32
			if enc == TextUTF32BE {
				u = uint32(b[i])<<24 | uint32(b[i+1])<<16 | uint32(b[i+2])<<8 | uint32(b[i+3])
			} else {
				u = uint32(b[i+3])<<24 | uint32(b[i+2])<<16 | uint32(b[i+1])<<8 | uint32(b[i])
			}
			if u > utf8.MaxRune || utf16.IsSurrogate(rune(u)) {
				return dst, i
			}
			dst = utf8.AppendRune(dst, rune(u))
		}
		return dst, -1
	}
	return dst, 0
}

func unit16(b []byte, be bool) rune {
	if be {
		return rune(b[0])<<8 | rune(b[1])
	}
	return rune(b[1])<<8 | rune(b[0])
}

// cp1252 maps windows-1252's bytes 0x80 to 0x9F; the five it leaves
// undefined (81, 8D, 8F, 90, 9D) map to the C1 controls of their value.
var cp1252 = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

// EncodeText appends text, UTF-8, encoded as enc, with the byte order mark
// first when enc has TextBOM. Text that is not UTF-8, a character Latin-1
// or windows-1252 cannot hold, or an enc DecodeText never returns (TextBOM
// on Latin-1 or windows-1252) is an *Error with CodeInvalidEdit and the
// offset in text (0 for enc); on error it returns nil.
func EncodeText(dst, text []byte, enc TextEncoding) ([]byte, error) {
	base := enc.Base()
	if int(base) >= len(textNames) || enc.HasBOM() && (base == TextLatin1 || base == TextWindows1252) {
		return nil, &Error{Code: CodeInvalidEdit}
	}
	if !utf8.Valid(text) {
		return nil, &Error{Code: CodeInvalidEdit, Offset: firstInvalidUTF8(text)}
	}
	if enc.HasBOM() {
		dst = appendUnit(dst, base, 0xFEFF)
	}
	if base == TextUTF8 {
		return append(dst, text...), nil
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRune(text[i:])
		switch base {
		case TextLatin1:
			if r > 0xFF {
				return nil, &Error{Code: CodeInvalidEdit, Offset: i}
			}
			dst = append(dst, byte(r))
		case TextWindows1252:
			c, ok := cp1252Byte(r)
			if !ok {
				return nil, &Error{Code: CodeInvalidEdit, Offset: i}
			}
			dst = append(dst, c)
		default:
			dst = appendUnit(dst, base, r)
		}
		i += size
	}
	return dst, nil
}

// appendUnit appends r in enc, UTF-8 or a UTF-16 or UTF-32 one.
func appendUnit(dst []byte, enc TextEncoding, r rune) []byte {
	switch enc {
	case TextUTF16LE, TextUTF16BE:
		if r >= 0x10000 {
			hi, lo := utf16.EncodeRune(r)
			return appendUnit(appendUnit(dst, enc, hi), enc, lo)
		}
		if enc == TextUTF16BE {
			return append(dst, byte(r>>8), byte(r))
		}
		return append(dst, byte(r), byte(r>>8))
	case TextUTF32BE:
		return append(dst, byte(r>>24), byte(r>>16), byte(r>>8), byte(r))
	case TextUTF32LE:
		return append(dst, byte(r), byte(r>>8), byte(r>>16), byte(r>>24))
	}
	return utf8.AppendRune(dst, r)
}

func cp1252Byte(r rune) (byte, bool) {
	if r < 0x80 || r >= 0xA0 && r <= 0xFF {
		return byte(r), true
	}
	for i, m := range cp1252 {
		if m == r {
			return byte(0x80 + i), true
		}
	}
	return 0, false
}

// SplitJSONP finds the JSON inside a JSONP answer: whitespace, an optional
// "/**/" (which many servers put first), a callback (JavaScript identifiers
// of ASCII letters, digits, _ and $, joined by dots: a.b.c), "(", the
// value, ")", and optionally ";", whitespace around each. It returns the
// span of the value, trimmed of whitespace, and ok=false for any other
// shape: the value must be one string, one object or array (brackets
// balanced outside strings) or one bare scalar, so that "alert(1); cb({})"
// or "cb(1) + x" is not taken for a call. The caller validates the JSON.
// Linear in len(doc).
func SplitJSONP(doc []byte) (start, end int, ok bool) {
	i := jsonpOpen(doc)
	if i < 0 {
		return 0, 0, false
	}
	j := trimJSSpace(doc, i, len(doc))
	if j > i && doc[j-1] == ';' {
		j = trimJSSpace(doc, i, j-1)
	}
	if j == i || doc[j-1] != ')' {
		return 0, 0, false
	}
	start, end = skipJSSpace(doc, i), trimJSSpace(doc, i, j-1)
	if start >= end || !oneValue(doc[start:end]) {
		return 0, 0, false
	}
	return start, end, true
}

// jsonpOpen returns the offset past the "(" of a JSONP call at the start
// of doc, or -1.
func jsonpOpen(doc []byte) int {
	i := skipJSSpace(doc, 0)
	if bytes.HasPrefix(doc[i:], []byte("/**/")) {
		i = skipJSSpace(doc, i+4)
	}
	for {
		if i == len(doc) || !identStart(doc[i]) {
			return -1
		}
		for i++; i < len(doc) && (identStart(doc[i]) || doc[i] >= '0' && doc[i] <= '9'); i++ {
		}
		if i == len(doc) || doc[i] != '.' {
			break
		}
		i++
	}
	if i = skipJSSpace(doc, i); i == len(doc) || doc[i] != '(' {
		return -1
	}
	return i + 1
}

func identStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$'
}

func isJSSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func skipJSSpace(b []byte, i int) int {
	for i < len(b) && isJSSpace(b[i]) {
		i++
	}
	return i
}

// trimJSSpace returns j moved back over the whitespace before it, not
// below from.
func trimJSSpace(b []byte, from, j int) int {
	for j > from && isJSSpace(b[j-1]) {
		j--
	}
	return j
}

// oneValue reports whether v is shaped as one JSON value: a string, an
// object or array whose brackets balance outside strings and close at its
// end, or a scalar of letters, digits, '+', '-' and '.'.
func oneValue(v []byte) bool {
	switch v[0] {
	case '"':
		return stringEnd(v, 0) == len(v)
	case '{', '[':
		depth := 0
		for k := 0; k < len(v); k++ {
			switch v[k] {
			case '"':
				e := stringEnd(v, k)
				if e < 0 {
					return false
				}
				k = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return k == len(v)-1
				}
			case '(', ')', ';':
				return false
			}
		}
		return false
	}
	for _, c := range v {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
