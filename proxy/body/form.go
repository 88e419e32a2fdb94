package body

import (
	"hash/maphash"
	"strconv"
)

// Form is the application/x-www-form-urlencoded shape (OAuth token
// requests, legacy web-to-lead posts): name=value pairs joined by '&',
// '+' for a space, %XX escapes. A value is addressed as /<name>, and a
// name met again as /<name>/<k> for its k-th repeat (k from 1), the name
// RFC 6901-escaped.

// CodeInvalidForm is a malformed percent escape.
const CodeInvalidForm = "invalid_form"

// FormField is one pair met during WalkForm. Name and Value are decoded;
// they and the scratch they may live in are valid only during the callback.
type FormField struct {
	Index      int    // 0-based position among the non-empty pairs
	Name       []byte // decoded name
	Value      []byte // decoded value
	Start, End int    // raw span of the pair in the document
	repeat     int    // how many earlier pairs had this name
}

// Pointer is the field's /<name> (or /<name>/<k>) pointer.
func (f *FormField) Pointer() string {
	p := "/" + escapePointer(string(f.Name))
	if f.repeat > 0 {
		p += "/" + strconv.Itoa(f.repeat)
	}
	return p
}

// WalkForm calls fn for every non-empty pair of doc, in order. A pair
// without '=' has an empty value. A malformed escape is an *Error with
// CodeInvalidForm and its offset; an error from fn stops the walk and is
// returned as is. Pairs without escapes or '+' are not copied.
func WalkForm(doc []byte, fn func(f *FormField) error) error {
	var f FormField
	var nameBuf, valBuf []byte
	// Repeats are counted by a seeded 64-bit hash of the name: no copy of
	// each name, and a collision is a 2^-64 chance.
	seed := maphash.MakeSeed()
	seen := make(map[uint64]int, 8)
	for pos := 0; pos <= len(doc); {
		end := pos
		for end < len(doc) && doc[end] != '&' {
			end++
		}
		if end > pos {
			pair := doc[pos:end]
			eq := len(pair)
			for i, c := range pair {
				if c == '=' {
					eq = i
					break
				}
			}
			var err error
			if f.Name, nameBuf, err = formUnescape(pair[:eq], nameBuf, pos); err != nil {
				return err
			}
			f.Value = nil
			if eq < len(pair) {
				if f.Value, valBuf, err = formUnescape(pair[eq+1:], valBuf, pos+eq+1); err != nil {
					return err
				}
			}
			f.Start, f.End = pos, end
			h := maphash.Bytes(seed, f.Name)
			f.repeat = seen[h]
			seen[h]++
			if err := fn(&f); err != nil {
				return err
			}
			f.Index++
		}
		pos = end + 1
	}
	return nil
}

// formUnescape decodes s, returning s itself when it needs no decoding,
// else the decoded bytes in buf (returned for reuse).
func formUnescape(s, buf []byte, offset int) ([]byte, []byte, error) {
	plain := true
	for _, c := range s {
		if c == '%' || c == '+' {
			plain = false
			break
		}
	}
	if plain {
		return s, buf, nil
	}
	buf = buf[:0]
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			buf = append(buf, ' ')
		case '%':
			if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
				return nil, buf, &Error{Code: CodeInvalidForm, Offset: offset + i}
			}
			buf = append(buf, byte(unhex(s[i+1])<<4|unhex(s[i+2])))
			i += 2
		default:
			buf = append(buf, c)
		}
	}
	return buf, buf, nil
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// RewriteForm appends doc to dst with the values of the pairs starting at
// the offsets in replace set to the given (unescaped) values, and the
// pairs starting at the offsets in drop removed. Everything else is copied
// byte for byte. An offset that starts no pair is an *Error with
// CodeInvalidEdit.
func RewriteForm(dst, doc []byte, replace map[int][]byte, drop map[int]bool) ([]byte, error) {
	if len(replace) == 0 && len(drop) == 0 {
		return append(dst, doc...), nil
	}
	done := 0
	first := true
	err := WalkForm(doc, func(f *FormField) error {
		v, rep := replace[f.Start]
		switch {
		case drop[f.Start]:
			done++
			return nil
		case rep:
			done++
			if !first {
				dst = append(dst, '&')
			}
			eq := f.Start
			for eq < f.End && doc[eq] != '=' {
				eq++
			}
			dst = append(dst, doc[f.Start:eq]...)
			dst = append(dst, '=')
			dst = appendFormEscaped(dst, v)
		default:
			if !first {
				dst = append(dst, '&')
			}
			dst = append(dst, doc[f.Start:f.End]...)
		}
		first = false
		return nil
	})
	if err != nil {
		return nil, err
	}
	want := len(drop)
	for off := range replace {
		if !drop[off] {
			want++
		}
	}
	if done != want {
		return nil, &Error{Code: CodeInvalidEdit, Offset: 0}
	}
	return dst, nil
}

// appendFormEscaped is url.QueryEscape without the string round trip.
func appendFormEscaped(dst, v []byte) []byte {
	const hex = "0123456789ABCDEF"
	for _, c := range v {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~':
			dst = append(dst, c)
		case c == ' ':
			dst = append(dst, '+')
		default:
			dst = append(dst, '%', hex[c>>4], hex[c&15])
		}
	}
	return dst
}
