package body

import (
	"bytes"
	"strconv"
	"strings"
)

// Segments returns how many segments lead from the top value to v: its
// Depth.
func (v *Value) Segments() int { return v.Depth }

// Segment returns the i-th segment (0 ≤ i < Segments()) of the path to v:
// an object member's unescaped name with index -1, or an array index with
// a nil name. The last segment is v's own Key or Index. The name is only
// valid during the callback.
func (v *Value) Segment(i int) (key []byte, index int) {
	f := &v.w.frames[i]
	if f.kind == KindObject {
		return v.w.keyBytes(f.key), -1
	}
	return nil, f.n
}

// Pointer returns the RFC 6901 pointer of v ("" for the top value; "~" and
// "/" in names escaped as "~0" and "~1"). It allocates: call it only for the
// values you keep, or use AppendPointer.
func (v *Value) Pointer() string {
	return string(v.AppendPointer(nil))
}

// AppendPointer appends v's RFC 6901 pointer to dst.
func (v *Value) AppendPointer(dst []byte) []byte { return v.AppendPrefixPointer(dst, v.Depth) }

// AppendPrefixPointer appends the RFC 6901 pointer of v's first n path
// segments (an enclosing member's or element's) to dst.
func (v *Value) AppendPrefixPointer(dst []byte, n int) []byte {
	for i := range n {
		dst = append(dst, '/')
		k, idx := v.Segment(i)
		if k == nil {
			dst = strconv.AppendInt(dst, int64(idx), 10)
			continue
		}
		dst = appendEscaped(dst, k)
	}
	return dst
}

// appendEscaped appends a member name as an RFC 6901 segment: "~" as
// "~0", "/" as "~1".
func appendEscaped(dst, k []byte) []byte {
	if bytes.IndexByte(k, '~') < 0 && bytes.IndexByte(k, '/') < 0 {
		return append(dst, k...) // nearly every name
	}
	for _, c := range k {
		switch c {
		case '~':
			dst = append(dst, "~0"...)
		case '/':
			dst = append(dst, "~1"...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// pointer is a parsed RFC 6901 pointer.
type pointer []ptrSeg

type ptrSeg struct {
	name  string // unescaped
	index int    // name as an array index, or -1 ("-", "01", "x" name no element)
}

// parsePointer parses an RFC 6901 pointer; ok is false when it is malformed
// (not "" and not starting with "/", or a "~" not followed by 0 or 1).
func parsePointer(s string) (p pointer, ok bool) {
	if s == "" {
		return pointer{}, true
	}
	if s[0] != '/' {
		return nil, false
	}
	for _, raw := range strings.Split(s[1:], "/") {
		name, ok := unescapeSegment(raw)
		if !ok {
			return nil, false
		}
		p = append(p, ptrSeg{name: name, index: arrayIndex(name)})
	}
	return p, true
}

func unescapeSegment(s string) (string, bool) {
	if strings.IndexByte(s, '~') < 0 {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '~' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) || (s[i+1] != '0' && s[i+1] != '1') {
			return "", false
		}
		b.WriteByte("~/"[s[i+1]-'0'])
		i++
	}
	return b.String(), true
}

// arrayIndex returns s as RFC 6901's array-index (0 or digits without a
// leading zero), or -1.
func arrayIndex(s string) int {
	if s == "" || len(s) > 18 || (len(s) > 1 && s[0] == '0') {
		return -1
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// matches reports whether segment i of p names v's own position.
func (p pointer) matches(i int, v *Value) bool {
	s := &p[i]
	if v.Key != nil {
		return string(v.Key) == s.name
	}
	return v.Index == s.index
}
