package body

import (
	"math/bits"
	"unicode/utf8"
)

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

// notPlainHTML8 is notPlain8 for htmlPlain: <, > and & are not plain
// either.
func notPlainHTML8(x uint64) uint64 {
	const ones, hi = 0x0101010101010101, 0x8080808080808080
	lt, gt, amp := x^'<'*ones, x^'>'*ones, x^'&'*ones
	return notPlain8(x) | ((lt-ones)|(gt-ones)|(amp-ones))&hi
}

// appendQuoted quotes s, the ASCII bytes plain writes as they are (runs
// of strPlain or htmlPlain are skipped 8 bytes at a time).
func appendQuoted[S string | []byte](dst []byte, s S, plain *[256]bool) []byte {
	dst = append(dst, '"')
	start := 0 // s[start:i] is still to be copied as it is
	html := plain == &htmlPlain
	fast := html || plain == &strPlain
	for i := 0; i < len(s); {
		for fast && i+8 <= len(s) {
			x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			m := notPlain8(x)
			if html {
				m = notPlainHTML8(x)
			}
			if m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i == len(s) {
			break
		}
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
