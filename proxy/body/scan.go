package body

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// Byte classes, as tables: one load per byte on the hot loops.
var (
	// strPlain: ASCII that stands for itself inside a string.
	strPlain [256]bool
	// isDelim: what may follow a number or literal.
	isDelim [256]bool
	// isSpace: JSON's four whitespace bytes.
	isSpace [256]bool
)

func init() {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		strPlain[c] = c != '"' && c != '\\'
	}
	for _, c := range []byte(" \t\r\n") {
		isSpace[c], isDelim[c] = true, true
	}
	for _, c := range []byte(",]}") {
		isDelim[c] = true
	}
}

const (
	literalTrue  = "true"
	literalFalse = "false"
	literalNull  = "null"
)

func skipSpace(doc []byte, i int) int {
	for i < len(doc) && isSpace[doc[i]] {
		i++
	}
	return i
}

// matchLiteral returns how many leading bytes of b match lit.
func matchLiteral(b []byte, lit string) int {
	n := 0
	for n < len(lit) && n < len(b) && b[n] == lit[n] {
		n++
	}
	return n
}

// syntaxError reports the unexpected byte at doc[i], or the end of doc; a
// byte that does not start valid UTF-8 is reported as such.
func syntaxError(doc []byte, i int) error {
	if i < len(doc) && doc[i] >= utf8.RuneSelf {
		if r, size := utf8.DecodeRune(doc[i:]); r == utf8.RuneError && size <= 1 {
			return &Error{Code: CodeInvalidUTF8, Offset: i}
		}
	}
	return &Error{Code: CodeInvalidJSON, Offset: i}
}

// scanString validates the string whose opening quote is doc[i] and returns
// the offset after its closing quote and whether it holds escapes.
func scanString(doc []byte, i int) (end int, escaped bool, err error) {
	i++
	for i < len(doc) {
		// Strings are mostly plain ASCII: pass it eight bytes at a time and
		// stop at the first byte that needs a look.
		for i+8 <= len(doc) {
			if m := notPlain8(binary.LittleEndian.Uint64(doc[i:])); m != 0 {
				i += bits.TrailingZeros64(m) / 8
				break
			}
			i += 8
		}
		if i >= len(doc) {
			break
		}
		c := doc[i]
		if strPlain[c] {
			i++
			continue
		}
		switch {
		case c == '"':
			return i + 1, escaped, nil
		case c == '\\':
			n := escapeLen(doc[i:])
			if n == 0 {
				return i, false, &Error{Code: CodeInvalidJSON, Offset: i}
			}
			escaped = true
			i += n
		case c < 0x20:
			return i, false, &Error{Code: CodeInvalidJSON, Offset: i}
		default:
			r, size := utf8.DecodeRune(doc[i:])
			if r == utf8.RuneError && size <= 1 {
				return i, false, &Error{Code: CodeInvalidUTF8, Offset: i}
			}
			i += size
		}
	}
	return i, false, &Error{Code: CodeInvalidJSON, Offset: i}
}

// notPlain8 sets the high bit of each byte of x (eight bytes of a string,
// little-endian) that is not strPlain: below 0x20, '"', '\\' or 0x80 and
// up. A byte's high bit can also be set by a borrow from a lower flagged
// byte, never by a plain one, so the lowest bit set is the first byte that
// is not plain, and x is all plain exactly when the result is 0.
func notPlain8(x uint64) uint64 {
	const ones, hi = 0x0101010101010101, 0x8080808080808080
	q := x ^ '"'*ones
	b := x ^ '\\'*ones
	return ((x - 0x20*ones) | (q - ones) | (b - ones) | x) & hi
}

// escapeLen returns the length of the valid escape sequence b starts with,
// or 0.
func escapeLen(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		if len(b) >= 6 && hex4(b[2:6]) >= 0 {
			return 6
		}
	}
	return 0
}

// hex4 decodes four hex digits, or returns -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// unescape appends the contents of a string validated by scanString to dst.
// A \u escape of a lone surrogate becomes U+FFFD, as in encoding/json.
func unescape(dst, s []byte) []byte {
	for {
		j := bytes.IndexByte(s, '\\')
		if j < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:j]...)
		s = s[j:]
		c := s[1]
		if c != 'u' {
			dst = append(dst, simpleEscape[c])
			s = s[2:]
			continue
		}
		r := hex4(s[2:])
		s = s[6:]
		if utf16.IsSurrogate(r) {
			r2 := rune(-1)
			if len(s) >= 6 && s[0] == '\\' && s[1] == 'u' {
				r2 = hex4(s[2:])
			}
			if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
				r, s = dec, s[6:]
			} else {
				r = utf8.RuneError
			}
		}
		dst = utf8.AppendRune(dst, r)
	}
}

var simpleEscape = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// scanNumber matches RFC 8259's number at doc[i]. It returns the offset
// after it, or the offset of the offending byte and false.
func scanNumber(doc []byte, i int) (int, bool) {
	if i < len(doc) && doc[i] == '-' {
		i++
	}
	switch {
	case i < len(doc) && doc[i] == '0':
		i++
	case i < len(doc) && '1' <= doc[i] && doc[i] <= '9':
		i = digits(doc, i+1)
	default:
		return i, false
	}
	if i < len(doc) && doc[i] == '.' {
		j := digits(doc, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(doc) && (doc[i] == 'e' || doc[i] == 'E') {
		i++
		if i < len(doc) && (doc[i] == '+' || doc[i] == '-') {
			i++
		}
		j := digits(doc, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func digits(doc []byte, i int) int {
	for i < len(doc) && '0' <= doc[i] && doc[i] <= '9' {
		i++
	}
	return i
}
