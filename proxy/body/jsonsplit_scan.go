package body

import "bytes"

// The JSONSplitter's scanning: where a value ends (strings, nesting) and
// where the split array starts, without validating more; the batches are
// validated whole by their walk.

// ArrayBounds locates the split array in doc, a whole document of a batch
// (rewritten, say): open is just past its '[', close at its ']'. key is
// JSONSplitter.Key: the member holding it, quotes included, or nil for a
// top-level array.
func ArrayBounds(doc, key []byte) (open, close int, err error) {
	var keys [][]byte
	if key != nil {
		if len(key) < 2 {
			return 0, 0, &Error{Code: CodeInvalidEdit}
		}
		keys = [][]byte{key[1 : len(key)-1]}
	}
	_, _, open, st := locateArray(doc, keys, key, key == nil)
	if st != valueDone {
		return 0, 0, &Error{Code: CodeInvalidJSON, Offset: 0}
	}
	i, count := open, 0
	for {
		i = skipBlank(doc, i)
		if i == len(doc) {
			return 0, 0, &Error{Code: CodeInvalidJSON, Offset: i}
		}
		if doc[i] == ']' {
			return open, i, nil
		}
		if count > 0 {
			if doc[i] != ',' {
				return 0, 0, &Error{Code: CodeInvalidJSON, Offset: i}
			}
			i = skipBlank(doc, i+1)
		}
		end, st := skipValue(doc, i)
		if st != valueDone {
			return 0, 0, &Error{Code: CodeInvalidJSON, Offset: i}
		}
		i, count = end, count+1
	}
}

// locateArray finds the split array in b: a top-level array, or the first
// member of the top-level object named one of keys (as written between
// its quotes) whose value is an array. It returns the member name's span
// (quotes included; -1 for a top-level array) and the offset just past
// the '['. valueShort: b ends first; valueInvalid: there is none (or b is
// no JSON there). written, when not nil, must equal the name as written;
// top tells whether a top-level array will do.
func locateArray(b []byte, keys [][]byte, written []byte, top bool) (keyStart, keyEnd, open int, st int) {
	i := skipBlank(b, 0)
	if i == len(b) {
		return -1, -1, 0, valueShort
	}
	switch b[i] {
	case '[':
		if !top {
			return -1, -1, 0, valueInvalid
		}
		return -1, -1, i + 1, valueDone
	case '{':
		if len(keys) == 0 {
			return -1, -1, 0, valueInvalid
		}
	default:
		return -1, -1, 0, valueInvalid
	}
	i++
	for {
		i = skipBlank(b, i)
		if i == len(b) {
			return -1, -1, 0, valueShort
		}
		if b[i] != '"' {
			return -1, -1, 0, valueInvalid
		}
		ks := i
		ke := stringEnd(b, i)
		if ke < 0 {
			return -1, -1, 0, valueShort
		}
		j := skipBlank(b, ke)
		if j == len(b) {
			return -1, -1, 0, valueShort
		}
		if b[j] != ':' {
			return -1, -1, 0, valueInvalid
		}
		if j = skipBlank(b, j+1); j == len(b) {
			return -1, -1, 0, valueShort
		}
		if b[j] == '[' && isKey(b[ks+1:ke-1], keys) && (written == nil || bytes.Equal(b[ks:ke], written)) {
			return ks, ke, j + 1, valueDone
		}
		end, st := skipValue(b, j)
		if st != valueDone {
			return -1, -1, 0, st
		}
		if j = skipBlank(b, end); j == len(b) {
			return -1, -1, 0, valueShort
		}
		if b[j] != ',' {
			return -1, -1, 0, valueInvalid // '}': the object ends without the array
		}
		i = j + 1
	}
}

func isKey(name []byte, keys [][]byte) bool {
	for _, k := range keys {
		if bytes.Equal(name, k) {
			return true
		}
	}
	return false
}

// skipValue's outcomes.
const (
	valueDone    = iota
	valueShort   // b ends before the value does
	valueInvalid // no value starts at i
)

// skipValue returns the end of the value starting at b[i]: a string, an
// object or array (brackets counted, strings skipped: it checks no more),
// or a number or literal (up to the next delimiter).
func skipValue(b []byte, i int) (int, int) {
	switch b[i] {
	case '"':
		if end := stringEnd(b, i); end >= 0 {
			return end, valueDone
		}
		return 0, valueShort
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end := stringEnd(b, j)
				if end < 0 {
					return 0, valueShort
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1, valueDone
				}
			}
		}
		return 0, valueShort
	}
	j := i
	for j < len(b) && !isDelimiter(b[j]) {
		j++
	}
	switch {
	case j == i:
		return 0, valueInvalid
	case j == len(b):
		return 0, valueShort // a number may go on
	}
	return j, valueDone
}

func isDelimiter(c byte) bool {
	switch c {
	case ',', ']', '}', '[', '{', '"', ':', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// stringEnd returns the end (past the closing quote) of the string whose
// opening quote is b[i], or -1 when b ends first.
func stringEnd(b []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return -1
		}
		q := j + k
		n := 0 // backslashes before the quote
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
}

func skipBlank(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
			continue
		}
		break
	}
	return i
}
