package body

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sort"
	"unicode/utf8"
)

// XMLEdits are the changes RewriteXML makes. Keys are the Start of values
// from a Walk of the same XMLDoc.
type XMLEdits struct {
	// Replace maps a value's start to its new decoded text, which
	// RewriteXML escapes: & < > and CR in element text (so "]]>" is safe),
	// & < > " ' TAB LF CR in an attribute; in a comment, "--" is broken up
	// and a final '-' followed by a space (and a CR reads back as a line
	// end). A character XML cannot carry (invalid UTF-8, a control
	// character) becomes U+FFFD.
	Replace map[int][]byte
	// Splices, when set, are replacements as Replace's, in order of Start
	// (a value's start; End is not read, Contents is the new text),
	// read after Replace: the caller that has its edits in document order
	// need not build a map.
	Splices []Splice
	// Drop maps a value's start to true to remove it: the element whose
	// text it is, with all its markup, the attribute or the comment. Drop
	// wins over Replace.
	Drop map[int]bool
	// DropPointers removes what these RFC 6901 pointers name, as paths of
	// XMLValue name it: an element ("/QueryResult/records/1"), every
	// same-named sibling at once when the index is left out of an indexed
	// path ("/QueryResult/records"), an attribute (".../@type"), or the
	// comments directly inside an element (".../#comment"). A pointer
	// that names nothing is ignored.
	DropPointers []string
}

// RewriteXML appends doc, the document d was parsed from, with the edits
// applied to dst, and returns it. Every byte outside the edited spans is
// copied as it was; an element goes from its '<' to the end of its end
// tag, with the white space before it; an attribute with the white space
// before it. Edits inside what another edit removes or replaces are
// ignored. The result is a document ParseXML accepts with the same
// options, whose values read as the replacements (but for the characters
// XML cannot carry). It returns an *Error with code invalid_edit for a
// key that is no value's start, for removing the root and for a doc that
// is not d's (Offset the key, the root's start or 0), and for a malformed
// pointer (Offset its index in DropPointers). On error dst is returned
// unchanged. dst must not share memory with doc.
func RewriteXML(dst, doc []byte, d *XMLDoc, e *XMLEdits) ([]byte, error) {
	if d == nil || len(doc) != len(d.doc) || len(doc) > 0 && &doc[0] != &d.doc[0] && !bytes.Equal(doc, d.doc) {
		return dst, &Error{Code: CodeInvalidEdit, Offset: 0}
	}
	if e == nil || len(e.Replace) == 0 && len(e.Splices) == 0 && len(e.Drop) == 0 && len(e.DropPointers) == 0 {
		return append(dst, doc...), nil
	}
	ops := make([]xmlOp, 0, len(e.Replace)+len(e.Splices)+len(e.Drop))
	for off, drop := range e.Drop {
		kind, i := d.valueAt(off)
		if kind == xmlKindNone {
			return dst, &Error{Code: CodeInvalidEdit, Offset: off}
		}
		if !drop {
			continue
		}
		op, ok := d.dropOp(kind, i)
		if !ok {
			return dst, &Error{Code: CodeInvalidEdit, Offset: int(d.elems[0].open)}
		}
		ops = append(ops, op)
	}
	for off, text := range e.Replace {
		kind, i := d.valueAt(off)
		if kind == xmlKindNone {
			return dst, &Error{Code: CodeInvalidEdit, Offset: off}
		}
		if !e.Drop[off] {
			ops = append(ops, d.replaceOp(kind, i, text))
		}
	}
	for _, sp := range e.Splices {
		kind, i := d.valueAt(sp.Start)
		if kind == xmlKindNone {
			return dst, &Error{Code: CodeInvalidEdit, Offset: sp.Start}
		}
		if !e.Drop[sp.Start] {
			ops = append(ops, d.replaceOp(kind, i, sp.Contents))
		}
	}
	var next []int32
	for k, s := range e.DropPointers {
		p, ok := parsePointer(s)
		if !ok {
			return dst, &Error{Code: CodeInvalidEdit, Offset: k}
		}
		if next == nil {
			next = d.nexts()
		}
		var err error
		if ops, err = d.dropPointer(ops, p, next); err != nil {
			return dst, err
		}
	}
	// Outermost first; an edit inside an earlier one's span is moot.
	// Replacements alone, from splices in order, are in order already.
	outer := func(a, b xmlOp) int {
		if a.from != b.from {
			return int(a.from - b.from)
		}
		return int(b.to - a.to)
	}
	if !slices.IsSortedFunc(ops, outer) {
		slices.SortFunc(ops, outer)
	}
	out, copied := dst, int32(0)
	for _, op := range ops {
		if op.from < copied {
			continue
		}
		out = append(out, doc[copied:op.from]...)
		out = d.appendOp(out, op)
		copied = op.to
	}
	return append(out, doc[copied:]...), nil
}

// Kinds of values, and of edits.
const (
	xmlKindNone = iota
	xmlKindText
	xmlKindAttr
	xmlKindComment
)

// xmlOp replaces doc[from:to] with text, escaped as kind wants (nothing
// for xmlKindNone: a removal); i is the element, attribute or comment.
type xmlOp struct {
	from, to int32
	kind     uint8
	i        int32
	text     []byte
}

// valueAt returns the kind and index of the value that starts at off.
func (d *XMLDoc) valueAt(off int) (kind, i int) {
	if i = sort.Search(len(d.attrs), func(k int) bool { return int(d.attrs[k].val) >= off }); i < len(d.attrs) && int(d.attrs[i].val) == off {
		return xmlKindAttr, i
	}
	if i = sort.Search(len(d.comments), func(k int) bool { return int(d.comments[k].start) >= off }); i < len(d.comments) && int(d.comments[i].start) == off {
		return xmlKindComment, i
	}
	if i = sort.Search(len(d.elems), func(k int) bool { return int(d.elems[k].inner) >= off }); i < len(d.elems) && int(d.elems[i].inner) == off && d.elems[i].flags&xmlLeaf != 0 {
		return xmlKindText, i
	}
	return xmlKindNone, 0
}

// dropOp removes the element of a text, an attribute or a comment; ok is
// false for the root.
func (d *XMLDoc) dropOp(kind, i int) (xmlOp, bool) {
	switch kind {
	case xmlKindText:
		el := &d.elems[i]
		if el.parent < 0 {
			return xmlOp{}, false
		}
		return xmlOp{from: d.spaceBefore(el.open), to: el.close}, true
	case xmlKindAttr:
		a := &d.attrs[i]
		return xmlOp{from: d.spaceBefore(a.name), to: a.valEnd + 1}, true
	}
	c := &d.comments[i]
	return xmlOp{from: c.start - 4, to: c.end + 3}, true
}

// spaceBefore returns where the white space before doc[i] starts.
func (d *XMLDoc) spaceBefore(i int32) int32 {
	for i > 0 && xmlSpace(d.doc[i-1]) {
		i--
	}
	return i
}

func (d *XMLDoc) replaceOp(kind, i int, text []byte) xmlOp {
	op := xmlOp{kind: uint8(kind), i: int32(i), text: text}
	switch kind {
	case xmlKindText:
		el := &d.elems[i]
		op.from, op.to = el.inner, el.innerEnd
		if el.flags&xmlEmpty != 0 && len(text) > 0 {
			op.to = el.close // "/>" becomes ">text</name>"
		}
	case xmlKindAttr:
		op.from, op.to = d.attrs[i].val, d.attrs[i].valEnd
	default:
		op.from, op.to = d.comments[i].start, d.comments[i].end
	}
	return op
}

func (d *XMLDoc) appendOp(dst []byte, op xmlOp) []byte {
	switch op.kind {
	case xmlKindText:
		el := &d.elems[op.i]
		if el.flags&xmlEmpty == 0 || len(op.text) == 0 {
			return xmlAppendEscaped(dst, op.text, false)
		}
		dst = xmlAppendEscaped(append(dst, '>'), op.text, false)
		return append(append(append(dst, "</"...), d.doc[el.open+1:el.nameEnd]...), '>')
	case xmlKindAttr:
		return xmlAppendEscaped(dst, op.text, true)
	case xmlKindComment:
		return xmlAppendComment(dst, op.text)
	}
	return dst
}

// dropPointer adds to ops the removal of what p names.
// next is d.nexts().
func (d *XMLDoc) dropPointer(ops []xmlOp, p pointer, next []int32) ([]xmlOp, error) {
	root := &d.elems[0]
	if len(p) == 0 || len(p) == 1 && p[0].name == string(d.doc[root.local:root.nameEnd]) {
		return ops, &Error{Code: CodeInvalidEdit, Offset: int(root.open)}
	}
	e, n := int32(-1), 0 // the element the first n segments name (-1: above the root)
	for n < len(p) {
		name := p[n].name
		if n == len(p)-1 && len(name) > 0 && (name[0] == '@' || name == "#comment") {
			return d.dropInside(ops, e, name), nil
		}
		// The children of e named so.
		first, last := int32(0), int32(1)
		if e >= 0 {
			first, last = e+1, next[e]
		}
		c := first
		for c < last && string(d.doc[d.elems[c].local:d.elems[c].nameEnd]) != name {
			c = next[c]
		}
		if c >= last {
			return ops, nil
		}
		if d.elems[c].sib < 0 {
			e, n = c, n+1
			continue
		}
		if n == len(p)-1 { // every one of them
			for ; c < last; c = next[c] {
				if el := &d.elems[c]; string(d.doc[el.local:el.nameEnd]) == name {
					ops = append(ops, xmlOp{from: d.spaceBefore(el.open), to: el.close})
				}
			}
			return ops, nil
		}
		for idx := p[n+1].index; c < last && (d.elems[c].sib != int32(idx) || string(d.doc[d.elems[c].local:d.elems[c].nameEnd]) != name); {
			c = next[c]
		}
		if c >= last {
			return ops, nil
		}
		e, n = c, n+2
	}
	if e == 0 {
		return ops, &Error{Code: CodeInvalidEdit, Offset: int(root.open)}
	}
	return append(ops, xmlOp{from: d.spaceBefore(d.elems[e].open), to: d.elems[e].close}), nil
}

// dropInside adds the removal of e's attributes of local name name[1:]
// ("@name"), or of the comments directly in e (-1: outside the root).
func (d *XMLDoc) dropInside(ops []xmlOp, e int32, name string) []xmlOp {
	if name[0] == '@' {
		if e < 0 {
			return ops
		}
		from, to := d.attrRange(e)
		for a := from; a < to; a++ {
			if at := &d.attrs[a]; string(d.doc[at.local:at.nameEnd]) == name[1:] {
				ops = append(ops, xmlOp{from: d.spaceBefore(at.name), to: at.valEnd + 1})
			}
		}
		return ops
	}
	for i := range d.comments {
		if c := &d.comments[i]; c.elem == e {
			ops = append(ops, xmlOp{from: c.start - 4, to: c.end + 3})
		}
	}
	return ops
}

// attrRange returns the attributes of element e: d.attrs[from:to].
func (d *XMLDoc) attrRange(e int32) (from, to int) {
	el := &d.elems[e]
	from = sort.Search(len(d.attrs), func(k int) bool { return d.attrs[k].name > el.open })
	to = from
	for to < len(d.attrs) && d.attrs[to].name < el.inner {
		to++
	}
	return from, to
}

// nexts returns, for each element, the index of the first element after
// its subtree.
func (d *XMLDoc) nexts() []int32 {
	next := make([]int32, len(d.elems))
	var open []int32
	for e := range d.elems {
		for p := d.elems[e].parent; len(open) > 0 && open[len(open)-1] != p; open = open[:len(open)-1] {
			next[open[len(open)-1]] = int32(e)
		}
		open = append(open, int32(e))
	}
	for _, e := range open {
		next[e] = int32(len(d.elems))
	}
	return next
}

// xmlRef reads the reference at doc[i] ('&') and returns the character it
// stands for and its end, or the code of the error: invalid_xml for one
// that is malformed or names an entity other than the predefined five,
// invalid_utf8 for a character XML forbids.
func xmlRef(doc []byte, i int) (r rune, end int, code string) {
	j := i + 1
	if j < len(doc) && doc[j] == '#' {
		j++
		base := int64(10)
		if j < len(doc) && doc[j] == 'x' {
			base, j = 16, j+1
		}
		v, digits := int64(0), j
		for ; j < len(doc); j++ {
			c, d := doc[j], int64(-1)
			switch {
			case '0' <= c && c <= '9':
				d = int64(c - '0')
			case base == 16 && 'a' <= c|0x20 && c|0x20 <= 'f':
				d = int64(c|0x20-'a') + 10
			}
			if d < 0 {
				break
			}
			if v <= utf8.MaxRune {
				v = v*base + d
			}
		}
		if j == digits || j >= len(doc) || doc[j] != ';' {
			return 0, i, CodeInvalidXML
		}
		if v > utf8.MaxRune || !xmlIsChar(rune(v)) {
			return 0, i, CodeInvalidUTF8
		}
		return rune(v), j + 1, ""
	}
	for _, ent := range xmlEntities {
		if bytes.HasPrefix(doc[j:], []byte(ent.name)) {
			return ent.r, j + len(ent.name), ""
		}
	}
	return 0, i, CodeInvalidXML
}

var xmlEntities = [...]struct {
	name string
	r    rune
}{{"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"quot;", '"'}, {"apos;", '\''}}

// xmlIsChar reports whether XML 1.0 allows r (a valid rune).
func xmlIsChar(r rune) bool {
	return r >= 0x20 && r != 0xFFFE && r != 0xFFFF && (r < 0xD800 || r > 0xDFFF) || r == '\t' || r == '\n' || r == '\r'
}

// xmlCheckChars returns the offset of the first byte of doc that is not
// UTF-8 (not ASCII, when ascii) or starts a character XML forbids, or -1.
func xmlCheckChars(doc []byte, ascii bool) int {
	const hi, lo = 0x8080808080808080, 0x2020202020202020
	for i := 0; i < len(doc); {
		// Eight ASCII bytes at a time, none below ' '.
		for i+8 <= len(doc) {
			x := binary.LittleEndian.Uint64(doc[i:])
			if x&hi != 0 || (x-lo)&^x&hi != 0 {
				break
			}
			i += 8
		}
		if i == len(doc) {
			break
		}
		c := doc[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(doc[i:])
		if ascii || r == utf8.RuneError && n == 1 || !xmlIsChar(r) {
			return i
		}
		i += n
	}
	return -1
}

// xmlAppendText appends the decoded character data of a leaf's content
// (the document validated): references resolved, line ends as LF, CDATA
// sections' contents in, comments out.
func xmlAppendText(dst, c []byte) []byte {
	for i := 0; i < len(c); {
		switch c[i] {
		case '<':
			if c[i+2] == '-' { // a comment: no "--" before its end
				i += 4 + bytes.Index(c[i+4:], []byte("--")) + 3
				continue
			}
			k := bytes.Index(c[i+9:], []byte("]]>"))
			dst = xmlAppendLines(dst, c[i+9:i+9+k])
			i += 9 + k + 3
		case '&':
			r, end, _ := xmlRef(c, i)
			dst, i = utf8.AppendRune(dst, r), end
		case '\r':
			dst, i = append(dst, '\n'), i+1
			if i < len(c) && c[i] == '\n' {
				i++
			}
		default:
			j := i + 1
			for j < len(c) && c[j] != '<' && c[j] != '&' && c[j] != '\r' {
				j++
			}
			dst, i = append(dst, c[i:j]...), j
		}
	}
	return dst
}

// xmlAppendLines appends s with its line ends (CR LF, CR) as LF.
func xmlAppendLines(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] != '\r' {
			dst = append(dst, s[i])
			continue
		}
		dst = append(dst, '\n')
		if i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
	}
	return dst
}

// xmlAppendAttr appends the normalized value of an attribute written v:
// references resolved, each line end, TAB and LF as a space.
func xmlAppendAttr(dst, v []byte) []byte {
	for i := 0; i < len(v); {
		switch c := v[i]; c {
		case '&':
			r, end, _ := xmlRef(v, i)
			dst, i = utf8.AppendRune(dst, r), end
		case '\r':
			dst, i = append(dst, ' '), i+1
			if i < len(v) && v[i] == '\n' {
				i++
			}
		case '\t', '\n':
			dst, i = append(dst, ' '), i+1
		default:
			dst, i = append(dst, c), i+1
		}
	}
	return dst
}

// xmlAppendEscaped appends s as element text, or as an attribute value
// in either quotes (attr), each character XML cannot carry as U+FFFD.
func xmlAppendEscaped(dst, s []byte, attr bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 || !xmlIsChar(r) {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, s[i:i+n]...)
			}
			i += n
			continue
		}
		switch {
		case c == '&':
			dst = append(dst, "&amp;"...)
		case c == '<':
			dst = append(dst, "&lt;"...)
		case c == '>':
			dst = append(dst, "&gt;"...)
		case c == '\r':
			dst = append(dst, "&#13;"...)
		case attr && c == '"':
			dst = append(dst, "&quot;"...)
		case attr && c == '\'':
			dst = append(dst, "&apos;"...)
		case attr && c == '\t':
			dst = append(dst, "&#9;"...)
		case attr && c == '\n':
			dst = append(dst, "&#10;"...)
		case c < 0x20 && c != '\t' && c != '\n':
			dst = utf8.AppendRune(dst, utf8.RuneError)
		default:
			dst = append(dst, c)
		}
		i++
	}
	return dst
}

// xmlAppendComment appends s as a comment's contents: a space between two
// '-' and after a final one, each character XML cannot carry as U+FFFD.
func xmlAppendComment(dst, s []byte) []byte {
	start := len(dst)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && n == 1 || !xmlIsChar(r) {
			r = utf8.RuneError
		}
		if r == '-' && len(dst) > start && dst[len(dst)-1] == '-' {
			dst = append(dst, ' ')
		}
		dst = utf8.AppendRune(dst, r)
		i += n
	}
	if len(dst) > start && dst[len(dst)-1] == '-' {
		dst = append(dst, ' ')
	}
	return dst
}
