package body

import "unicode/utf8"

// AppendJSONString appends s to dst as a JSON string literal, quotes
// included. It escapes only what JSON requires (", \ and control
// characters) plus U+2028 and U+2029, which JavaScript source cannot hold;
// it leaves <, > and & alone. Bytes that are not UTF-8 become \ufffd, one
// per byte, as in encoding/json.
func AppendJSONString(dst []byte, s []byte) []byte { return appendQuoted(dst, s, &strPlain) }

// AppendJSONStringHTML appends s exactly as encoding/json's Marshal writes
// a string: as AppendJSONString, and <, > and & as \u003c, \u003e and
// \u0026.
func AppendJSONStringHTML[S string | []byte](dst []byte, s S) []byte {
	return appendQuoted(dst, s, &htmlPlain)
}

// htmlPlain is strPlain without <, > and & (built apart: package
// variables are set before init fills strPlain).
var htmlPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendQuoted quotes s, the ASCII bytes plain writes as they are.
func appendQuoted[S string | []byte](dst []byte, s S, plain *[256]bool) []byte {
	dst = append(dst, '"')
	start := 0 // s[start:i] is still to be copied as it is
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(append(dst, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(append(dst, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(dst, s[start:]...), '"')
}

const hexDigits = "0123456789abcdef"
