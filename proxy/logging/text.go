package logging

import (
	"bytes"
	"net/url"
	"strings"
)

// Redacted replaces a value that must not be logged.
const Redacted = "[redacted]"

// minDigitRun is the shortest digit run the pre-check treats as a possible
// identifier: shorter runs are counts, ports and status codes.
const minDigitRun = 6

// suspicious is the cheap pre-check run over every free-text value: does it
// hold what personal data or a secret looks like? An '@', a run of six or
// more digits (spaces, dashes and dots may separate them, as in card
// numbers, SSNs and IBANs), a '?' after a '/' in the same token (a URL with
// a query), "Bearer " or "eyJ" (a JWT). One pass, no allocation.
func suspicious(s string) bool {
	run, slash := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch byteClass[c] {
		case clsOther:
			run = 0
			continue
		case clsDigit:
			if run++; run >= minDigitRun {
				return true
			}
			continue
		case clsSep:
			if run > 0 && (c == ' ' || c == '-' || c == '.') {
				continue // separators inside a number keep its run going
			}
		}
		run = 0
		switch c {
		case '@':
			return true
		case '/':
			slash = true
		case '?':
			if slash {
				return true
			}
		case 'B', 'b':
			if strings.HasPrefix(s[i+1:], "earer ") {
				return true
			}
		case 'e':
			if strings.HasPrefix(s[i+1:], "yJ") {
				return true
			}
		default:
			if isTokenEnd(c) {
				slash = false
			}
		}
	}
	return false
}

// Byte classes for suspicious: most bytes of clean text are clsOther and
// cost one table load.
const (
	clsOther = iota
	clsDigit
	clsSep     // a token end or number separator
	clsTrigger // a byte that may start a match
)

var byteClass = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = clsDigit
	}
	for c := range 256 {
		if isTokenEnd(byte(c)) {
			t[c] = clsSep
		}
	}
	t['-'], t['.'] = clsSep, clsSep
	for _, c := range "@/?Bbe" {
		t[c] = clsTrigger
	}
	return t
}()

func isTokenEnd(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '"', '\'', '`', ',', ';', '(', ')', '<', '>', '[', ']', '{', '}':
		return true
	}
	return false
}

// cutTokens rewrites the tokens of a dirty text: a URL loses its userinfo,
// query and fragment (a token with a '/' before its '?' counts as a URL, so
// relative paths do too); the word after "Bearer " and anything from "eyJ"
// to the end of its token become Redacted.
func cutTokens(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	afterBearer := false
	for len(s) > 0 {
		end := 0
		for end < len(s) && !isTokenEnd(s[end]) {
			end++
		}
		tok := s[:end]
		switch {
		case tok == "":
		case afterBearer:
			tok = Redacted
		default:
			tok = cutToken(tok)
		}
		afterBearer = strings.EqualFold(tok, "bearer")
		b.WriteString(tok)
		if end < len(s) {
			b.WriteByte(s[end])
			afterBearer = afterBearer && s[end] == ' '
			end++
		}
		s = s[end:]
	}
	return b.String()
}

func cutToken(tok string) string {
	// The query is from the first '?' after a '/', as suspicious reads it:
	// a '?' before the path ("?x/?q=…") does not hide the one after it.
	if s := strings.IndexByte(tok, '/'); s >= 0 {
		if q := strings.IndexByte(tok[s:], '?'); q >= 0 {
			tok = tok[:s+q]
		}
	}
	if i := strings.Index(tok, "eyJ"); i >= 0 {
		return tok[:i] + Redacted
	}
	if strings.Contains(tok, "://") {
		tok = cleanURL(tok)
	}
	return tok
}

// cleanURL keeps the scheme, host and path of a URL: userinfo, query and
// fragment go. A string that does not parse is cut at its first '?' or '#'.
func cleanURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if i := strings.IndexAny(s, "?#"); i >= 0 {
			return s[:i]
		}
		return s
	}
	if u.User == nil && u.RawQuery == "" && !u.ForceQuery && u.Fragment == "" {
		return s
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}

// fallbackScrub stands in for Options.Scrub when none is set: tokens with
// an '@' and runs of six or more digits become Redacted. Crude, but it
// fails towards losing a log detail rather than leaking an identifier.
func fallbackScrub(text []byte) []byte {
	var ats []byte
	for i := 0; i < len(text); {
		end := i
		for end < len(text) && !isTokenEnd(text[end]) {
			end++
		}
		if bytes.IndexByte(text[i:end], '@') >= 0 {
			ats = append(ats, Redacted...)
		} else {
			ats = append(ats, text[i:end]...)
		}
		if end < len(text) {
			ats = append(ats, text[end])
			end++
		}
		i = end
	}
	out := make([]byte, 0, len(ats))
	for i := 0; i < len(ats); {
		if ats[i] < '0' || ats[i] > '9' {
			out = append(out, ats[i])
			i++
			continue
		}
		digits, last := 0, i
		for j := i; j < len(ats); j++ {
			if c := ats[j]; c >= '0' && c <= '9' {
				digits, last = digits+1, j
			} else if c != ' ' && c != '-' && c != '.' {
				break
			}
		}
		if digits >= minDigitRun {
			out = append(out, Redacted...)
		} else {
			out = append(out, ats[i:last+1]...)
		}
		i = last + 1
	}
	return out
}
