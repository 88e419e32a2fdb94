package inspect

import (
	"net/url"
	"os"
	"strings"
	"unsafe"
)

// parseQuery is url.ParseQuery, with the same values and the same error,
// made quicker where a request spends on it: a SOQL query escaped by the
// client (every space a '+', every comma a %2C) is hundreds of bytes, and
// the standard library writes an escaped value out a byte at a time
// through a strings.Builder. Anything parseQuery would read differently
// from the standard library is left to it: a query with a ';', an escape
// that is not %XX, or more parameters than maxFastParams is parsed by
// url.ParseQuery itself, so its errors and its limit on the number of
// parameters are exactly its own; and when GODEBUG sets that limit
// (urlmaxqueryparams), every query is.
// TestParseQueryMatchesStdlib and FuzzParseQuery hold the two together.
func parseQuery(raw string) (url.Values, error) {
	if stdlibQueryOnly || strings.Count(raw, "&") >= maxFastParams || strings.IndexByte(raw, ';') >= 0 {
		return url.ParseQuery(raw)
	}
	m := url.Values{}
	for rest := raw; rest != ""; {
		var kv string
		kv, rest, _ = strings.Cut(rest, "&")
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		key, ok := unescapeQuery(k)
		if !ok {
			return url.ParseQuery(raw)
		}
		value, ok := unescapeQuery(v)
		if !ok {
			return url.ParseQuery(raw)
		}
		m[key] = append(m[key], value)
	}
	return m, nil
}

// maxFastParams is far under the standard library's own limit (10,000 by
// default), so that parseQuery never accepts a query it would refuse.
const maxFastParams = 1000

// stdlibQueryOnly: GODEBUG names urlmaxqueryparams, whose limit may be under
// maxFastParams.
var stdlibQueryOnly = strings.Contains(os.Getenv("GODEBUG"), "urlmaxqueryparams")

// unescapeQuery is url.QueryUnescape for a component without a bad escape:
// '+' reads ' ' and %XX the byte XX, in one pass. It reports false for a
// '%' that is not followed by two hex digits.
func unescapeQuery(s string) (string, bool) {
	i := strings.IndexAny(s, "%+")
	if i < 0 {
		return s, true
	}
	b := make([]byte, i, len(s))
	copy(b, s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		switch c {
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", false
			}
			c = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
		case '+':
			c = ' '
		}
		b = append(b, c)
	}
	// b is written here and never again: the string can be its bytes, as
	// strings.Builder makes its own.
	return unsafe.String(unsafe.SliceData(b), len(b)), true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
