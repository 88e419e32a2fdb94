package body

import (
	"bytes"
	"hash/maphash"
	"strconv"
	"sync"
	"unicode/utf8"
)

// XMLValue is one value of an XML document met during XMLDoc.Walk: the
// text of a leaf element, an attribute's value or a comment. A value and
// every slice in it belong to the walk and are only valid during the
// callback: copy what you keep.
type XMLValue struct {
	Attr    bool   // an attribute's value
	Comment bool   // a comment's contents
	Name    []byte // the local name of the element or attribute; "#comment" for a comment
	Space   []byte // the namespace URI of that name, nil when none
	// Text is the decoded value: references resolved, line ends read as
	// LF, CDATA sections' contents in, comments left out; an attribute's
	// white space read as spaces.
	Text []byte
	// Start and End are the raw span a replacement rewrites: an element's
	// whole content between its tags (both at the '/' of an empty-element
	// tag "<a/>"), an attribute's value between its quotes, a comment's
	// contents between "<!--" and "-->". Start tells values apart.
	Start, End int
	// Nil and Type describe Element (the owner, for an attribute): its
	// xsi:nil is "true" (or "1"); the value of its xsi:type, the prefix
	// left unresolved ("sf:sObject"), nil when none. A comment has neither.
	Nil     bool
	Type    []byte
	Element int // the element's index in document order; the owner for an attribute, the enclosing element (-1 outside the root) for a comment
	Parent  int // the index of Element's parent, -1 for the root (and outside it)
	// Leaf reports that Element has no child element: a leaf's text, a
	// leaf's attribute, a comment in a leaf's text (false outside the root).
	Leaf bool

	w    *xmlWalk
	nseg int
	last []byte // the last segment of an attribute or a comment
}

// Segments returns the length of the path to v: every element from the
// root down to v's element, each as its local name followed by its index
// among same-named siblings when it has any (or is one of
// XMLOptions.Lists), then "@" and the local name for an attribute, or
// "#comment" for a comment.
func (v *XMLValue) Segments() int { return v.nseg }

// Segment returns the i-th segment (0 ≤ i < Segments()) of the path to v:
// a name with index -1, or an index with a nil name.
func (v *XMLValue) Segment(i int) (key []byte, index int) {
	w := v.w
	if i >= len(w.segs) {
		return v.last, -1
	}
	s := w.segs[i]
	if s.off < 0 {
		return nil, int(s.end)
	}
	return w.d.doc[s.off:s.end:s.end], -1
}

// Pointer returns the RFC 6901 pointer of v, "/QueryResult/records/0/Email".
// It allocates: call it only for the values you keep, or use AppendPointer.
func (v *XMLValue) Pointer() string { return string(v.AppendPointer(nil)) }

// AppendPointer appends v's RFC 6901 pointer to dst.
func (v *XMLValue) AppendPointer(dst []byte) []byte {
	for i := range v.nseg {
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

// xmlSeg is a segment of a path: the name doc[off:end], or the index end
// when off is -1.
type xmlSeg struct{ off, end int32 }

type xmlWalk struct {
	d     *XMLDoc
	chain []int32 // the element being visited and its ancestors, root first
	lens  []int   // len(segs) with chain[:k+1]
	segs  []xmlSeg
	text  []byte // decoded values
	typ   int32  // the xsi:type attribute of the element visited, -1 when none
	tbuf  []byte // its value, decoded
	at    []byte // "@" and an attribute's name
	v     XMLValue
}

var xmlWalks = sync.Pool{New: func() any { return new(xmlWalk) }}

var xmlCommentName = []byte("#comment")

// Walk calls fn for every value of the document in document order (the
// order of Start): an element's attributes, then its text when it is a
// leaf (an element with no child element: empty ones too), then what is
// inside. Namespace declarations are not values, nor is the white space
// between elements. Every comment is one, including those inside a leaf's
// text, which are part of the text's span as well. Walk stops at the first
// error fn returns and returns it.
func (d *XMLDoc) Walk(fn func(v *XMLValue) error) error {
	if d == nil || fn == nil {
		return nil
	}
	w := xmlWalks.Get().(*xmlWalk)
	defer w.put()
	w.d, w.chain, w.lens, w.segs = d, w.chain[:0], w.lens[:0], w.segs[:0]
	w.v = XMLValue{w: w}
	cs, ci, ai := d.comments, 0, 0
	for e := range d.elems {
		el := &d.elems[e]
		for ; ci < len(cs) && cs[ci].start < el.open; ci++ {
			if err := fn(w.comment(ci)); err != nil {
				return err
			}
		}
		w.enter(int32(e))
		first := ai
		for w.typ = -1; ai < len(d.attrs) && d.attrs[ai].name < el.inner; ai++ {
			if a := &d.attrs[ai]; a.space == d.xsi && string(d.doc[a.local:a.nameEnd]) == "type" {
				w.typ = int32(ai)
			}
		}
		for a := first; a < ai; a++ {
			if err := fn(w.attr(el, int32(a))); err != nil {
				return err
			}
		}
		if el.flags&xmlLeaf != 0 {
			if err := fn(w.leaf(el)); err != nil {
				return err
			}
		}
	}
	for ; ci < len(cs); ci++ {
		if err := fn(w.comment(ci)); err != nil {
			return err
		}
	}
	return nil
}

func (w *xmlWalk) put() {
	if cap(w.text) > maxPooledBytes || cap(w.tbuf) > maxPooledBytes || cap(w.at) > maxPooledBytes {
		w.text, w.tbuf, w.at = nil, nil, nil
	}
	if cap(w.chain) > maxPooledFrames {
		w.chain, w.lens, w.segs = nil, nil, nil
	}
	w.d, w.v = nil, XMLValue{}
	xmlWalks.Put(w)
}

// enter makes e, whose parent is on the chain, the chain's last element.
func (w *xmlWalk) enter(e int32) {
	el := &w.d.elems[e]
	w.up(el.parent)
	w.chain = append(w.chain, e)
	w.segs = append(w.segs, xmlSeg{el.local, el.nameEnd})
	if el.sib >= 0 {
		w.segs = append(w.segs, xmlSeg{-1, el.sib})
	}
	w.lens = append(w.lens, len(w.segs))
}

// up shortens the chain to end at e, one of its elements (or to nothing,
// for -1).
func (w *xmlWalk) up(e int32) {
	n := len(w.chain)
	for n > 0 && w.chain[n-1] != e {
		n--
	}
	w.chain, w.lens = w.chain[:n], w.lens[:n]
	if n == 0 {
		w.segs = w.segs[:0]
	} else {
		w.segs = w.segs[:w.lens[n-1]]
	}
}

// fill sets what the values of element e share.
func (w *xmlWalk) fill(e int32, el *xmlElem) *XMLValue {
	v := &w.v
	v.Attr, v.Comment, v.Nil, v.Leaf, v.Type, v.last = false, false, false, false, nil, nil
	v.Element, v.Parent = int(e), -1
	if el != nil {
		v.Parent = int(el.parent)
		v.Nil, v.Leaf = el.flags&xmlNil != 0, el.flags&xmlLeaf != 0
		if w.typ >= 0 {
			v.Type = w.d.attrValue(&w.tbuf, w.typ)
		}
	}
	v.nseg = len(w.segs)
	return v
}

func (w *xmlWalk) leaf(el *xmlElem) *XMLValue {
	d := w.d
	v := w.fill(w.chain[len(w.chain)-1], el)
	v.Name, v.Space = d.doc[el.local:el.nameEnd:el.nameEnd], d.spaces[el.space]
	v.Start, v.End = int(el.inner), int(el.innerEnd)
	if el.flags&xmlPlain != 0 {
		v.Text = d.doc[el.inner:el.innerEnd:el.innerEnd]
	} else {
		w.text = xmlAppendText(w.text[:0], d.doc[el.inner:el.innerEnd])
		v.Text = w.text
	}
	return v
}

func (w *xmlWalk) attr(el *xmlElem, a int32) *XMLValue {
	d := w.d
	at := &d.attrs[a]
	v := w.fill(w.chain[len(w.chain)-1], el)
	v.Attr = true
	v.Name, v.Space = d.doc[at.local:at.nameEnd:at.nameEnd], d.spaces[at.space]
	v.Start, v.End = int(at.val), int(at.valEnd)
	v.Text = d.attrValue(&w.text, a)
	w.at = append(append(w.at[:0], '@'), v.Name...)
	v.last, v.nseg = w.at, v.nseg+1
	return v
}

func (w *xmlWalk) comment(c int) *XMLValue {
	d := w.d
	cm := &d.comments[c]
	w.up(cm.elem)
	v := w.fill(cm.elem, nil)
	if cm.elem >= 0 {
		el := &d.elems[cm.elem]
		v.Parent, v.Leaf = int(el.parent), el.flags&xmlLeaf != 0
	}
	v.Comment, v.Name, v.Space = true, xmlCommentName, nil
	v.Start, v.End = int(cm.start), int(cm.end)
	raw := d.doc[cm.start:cm.end:cm.end]
	if bytes.IndexByte(raw, '\r') >= 0 {
		w.text = xmlAppendLines(w.text[:0], raw)
		raw = w.text
	}
	v.Text = raw
	v.last, v.nseg = xmlCommentName, v.nseg+1
	return v
}

// attrValue returns the value of attribute a: in the document when it
// reads as it is written, else decoded into buf.
func (d *XMLDoc) attrValue(buf *[]byte, a int32) []byte {
	at := &d.attrs[a]
	raw := d.doc[at.val:at.valEnd:at.valEnd]
	if at.plain {
		return raw
	}
	*buf = xmlAppendAttr((*buf)[:0], raw)
	return *buf
}

// xmlIsDecl reports whether a is a namespace declaration: xmlns or xmlns:*.
func xmlIsDecl(doc []byte, a *xmlRawAttr) bool {
	if a.local == a.name {
		return string(doc[a.name:a.nameEnd]) == "xmlns"
	}
	return string(doc[a.name:a.local]) == "xmlns:"
}

// declare binds the prefix a declares (the default namespace for xmlns)
// until the element ends.
func (p *xmlParser) declare(a *xmlRawAttr) error {
	doc := p.doc
	uri := doc[a.val:a.valEnd]
	if !a.plain {
		uri = xmlAppendAttr(nil, uri)
	}
	var prefix []byte
	if a.local != a.name {
		prefix = doc[a.local:a.nameEnd]
	}
	switch {
	case string(prefix) == "xml" && string(uri) == xmlNamespace:
		return nil // bound already
	case string(prefix) == "xml", string(prefix) == "xmlns",
		string(uri) == xmlNamespace, string(uri) == xmlnsNamespace,
		prefix != nil && len(uri) == 0: // undeclaring a prefix is XML 1.1
		return xmlInvalid(int(a.name))
	}
	space, ok := p.uris[string(uri)]
	if !ok {
		space = int32(len(p.d.spaces))
		if a.plain {
			uri = uri[:len(uri):len(uri)]
		}
		p.d.spaces = append(p.d.spaces, uri)
		p.uris[string(uri)] = space
		if string(uri) == xsiNamespace {
			p.xsi = space
		}
	}
	entry, ok := p.prefixes[string(prefix)]
	if !ok {
		entry = int32(len(p.bound))
		p.bound = append(p.bound, 0)
		p.prefixes[string(prefix)] = entry
	}
	p.binds = append(p.binds, xmlBind{entry, p.bound[entry]})
	p.bound[entry] = space
	return nil
}

// unbind ends the bindings from binds[from:].
func (p *xmlParser) unbind(from int) {
	for k := len(p.binds) - 1; k >= from; k-- {
		p.bound[p.binds[k].entry] = p.binds[k].prev
	}
	p.binds = p.binds[:from]
}

// resolve returns the namespace of the name at doc[name:] whose local part
// starts at local: its prefix's, the default namespace for an unprefixed
// element, none for an unprefixed attribute.
func (p *xmlParser) resolve(name, local int, elem bool) (int32, error) {
	if local == name {
		if elem {
			return p.bound[0], nil
		}
		return 0, nil
	}
	if entry, ok := p.prefixes[string(p.doc[name:local-1])]; ok && p.bound[entry] != 0 {
		return p.bound[entry], nil
	}
	return 0, xmlInvalid(name) // an unbound prefix
}

// unique refuses an attribute repeated in a start tag: the same local
// name in the same namespace (or the same prefix declared twice).
func (p *xmlParser) unique(raw []xmlRawAttr) error {
	doc := p.doc
	if len(raw) <= 8 {
		for k := 1; k < len(raw); k++ {
			for _, b := range raw[:k] {
				if a := &raw[k]; a.space == b.space && bytes.Equal(doc[a.local:a.nameEnd], doc[b.local:b.nameEnd]) {
					return xmlInvalid(int(a.name))
				}
			}
		}
		return nil
	}
	for strong := false; ; strong = true {
		p.tab.reset(len(raw), strong)
		for k, a := range raw {
			id, dup := p.tab.find(doc, a.local, a.nameEnd, a.space)
			if dup {
				return xmlInvalid(int(a.name))
			}
			if id < 0 {
				break
			}
			if k == len(raw)-1 {
				return nil
			}
		}
	}
}

// number gives each of the siblings kids its index among those of the
// same local name, or -1 when it is alone and not a list item.
func (p *xmlParser) number(kids []int32) {
	el, doc := p.d.elems, p.doc
	if len(kids) <= 32 && p.distinct(kids) {
		for _, k := range kids {
			el[k].sib = p.alone(doc[el[k].local:el[k].nameEnd])
		}
		return
	}
	t := &p.tab
	for t.reset(len(kids), false); ; t.reset(len(kids), true) {
		p.ids = p.ids[:0]
		for _, k := range kids {
			id, _ := t.find(doc, el[k].local, el[k].nameEnd, 0)
			if id < 0 {
				break // fingerprints collide: again with a strong hash
			}
			el[k].sib = t.keys[id].n
			t.keys[id].n++
			p.ids = append(p.ids, id)
		}
		if len(p.ids) == len(kids) {
			break
		}
	}
	for i, k := range kids {
		if n := t.keys[p.ids[i]].n; n == 1 {
			el[k].sib = p.alone(doc[el[k].local:el[k].nameEnd])
		}
	}
}

// distinct reports whether the local names of kids differ, comparing
// fingerprints first: a few siblings of distinct names (a record's fields)
// are the common case.
func (p *xmlParser) distinct(kids []int32) bool {
	el, doc := p.d.elems, p.doc
	fps := p.fps[:0]
	for _, k := range kids {
		name := doc[el[k].local:el[k].nameEnd]
		f := fingerprint(name)
		for j, g := range fps {
			if g == f && bytes.Equal(doc[el[kids[j]].local:el[kids[j]].nameEnd], name) {
				p.fps = fps
				return false
			}
		}
		fps = append(fps, f)
	}
	p.fps = fps
	return true
}

// alone returns the index of an element with no same-named sibling: 0
// for a list item, -1 (none) for any other.
func (p *xmlParser) alone(name []byte) int32 {
	for _, l := range p.lists {
		if l == string(name) {
			return 0
		}
	}
	return -1
}

// xmlName scans the name at doc[i:], a QName (at most one colon, neither
// first nor last), and returns its end and where its local part starts.
func xmlName(doc []byte, i int) (end, local int, ok bool) {
	start := i
	local = i
	for {
		// ASCII name characters (start or not, never ':') in a tight loop.
		for i < len(doc) && xmlNameByte[doc[i]]-xmlNameStart < 2 {
			i++
		}
		if i == len(doc) {
			break
		}
		if c := xmlNameByte[doc[i]]; c == xmlNameColon {
			if local != start || i == start {
				return i, local, false
			}
			i++
			local = i
			continue
		} else if c == xmlNameHigh {
			r, n := utf8.DecodeRune(doc[i:])
			if xmlNameRune(r, i == local) {
				i += n
				continue
			}
		}
		break
	}
	// The name and its local part start with a NameStartChar (one that is
	// not ASCII was checked as such).
	if i == local || xmlNameByte[doc[local]] == xmlNameOnly || xmlNameByte[doc[start]] == xmlNameOnly {
		return i, local, false
	}
	return i, local, true
}

// Classes of bytes in names.
const (
	xmlNameNone  = iota
	xmlNameStart // an ASCII NameStartChar but ':'
	xmlNameOnly  // an ASCII NameChar that cannot start a name
	xmlNameColon
	xmlNameHigh // the first byte of a character that is not ASCII
)

var xmlNameByte = func() (t [256]uint8) {
	for c := range t {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_':
			t[c] = xmlNameStart
		case '0' <= c && c <= '9', c == '-', c == '.':
			t[c] = xmlNameOnly
		case c == ':':
			t[c] = xmlNameColon
		case c >= utf8.RuneSelf:
			t[c] = xmlNameHigh
		}
	}
	return t
}()

// xmlNameRune reports whether r, not ASCII, is a NameStartChar (first) or
// a NameChar of XML 1.0 fifth edition.
func xmlNameRune(r rune, first bool) bool {
	switch {
	case 0xC0 <= r && r <= 0xD6, 0xD8 <= r && r <= 0xF6, 0xF8 <= r && r <= 0x2FF,
		0x370 <= r && r <= 0x37D, 0x37F <= r && r <= 0x1FFF, 0x200C <= r && r <= 0x200D,
		0x2070 <= r && r <= 0x218F, 0x2C00 <= r && r <= 0x2FEF, 0x3001 <= r && r <= 0xD7FF,
		0xF900 <= r && r <= 0xFDCF, 0xFDF0 <= r && r <= 0xFFFD, 0x10000 <= r && r <= 0xEFFFF:
		return true
	case r == 0xB7, 0x300 <= r && r <= 0x36F, 0x203F <= r && r <= 0x2040:
		return !first
	}
	return false
}

// xmlTable finds names fast among many: the siblings of an element, the
// attributes of a start tag. It hashes a name by its fingerprint, mixed
// with a seed; names made to share fingerprints make a long probe, and
// the caller starts again with a strong hash (maphash, seeded per process),
// so that no document makes the work quadratic.
type xmlTable struct {
	slots  []int32 // 1 + an index in keys; 0 is free
	keys   []xmlKey
	strong bool
}

type xmlKey struct {
	off, end int32 // the name, in the document
	space    int32
	n        int32 // for the caller: how many so far
}

var xmlSeed = maphash.MakeSeed()

// xmlMix is the seed of the weak hash.
var xmlMix = maphash.Bytes(xmlSeed, []byte("xml")) | 1

// xmlMaxProbe is the longest probe of the weak hash.
const xmlMaxProbe = 16

// reset empties t for about n names, hashed strong or weak.
func (t *xmlTable) reset(n int, strong bool) {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	if cap(t.slots) >= size {
		t.slots = t.slots[:size]
		clear(t.slots)
	} else {
		t.slots = make([]int32, size)
	}
	t.keys, t.strong = t.keys[:0], strong
}

// find returns the key of the name doc[off:end] in space, added when it
// was not there, and whether it was; -1 when the weak hash probes too long.
func (t *xmlTable) find(doc []byte, off, end, space int32) (int32, bool) {
	name := doc[off:end]
	var h uint64
	if t.strong {
		h = maphash.Bytes(xmlSeed, name) ^ uint64(space)*0x9e3779b97f4a7c15
	} else {
		h = (fingerprint(name) ^ uint64(space)<<40 ^ xmlMix) * 0x9e3779b97f4a7c15
		h ^= h >> 29
	}
	mask := uint64(len(t.slots) - 1)
	for s, probe := h&mask, 0; ; s, probe = (s+1)&mask, probe+1 {
		k := t.slots[s]
		if k == 0 {
			t.keys = append(t.keys, xmlKey{off: off, end: end, space: space})
			t.slots[s] = int32(len(t.keys))
			return int32(len(t.keys) - 1), false
		}
		if key := &t.keys[k-1]; key.space == space && bytes.Equal(doc[key.off:key.end], name) {
			return k - 1, true
		}
		if probe == xmlMaxProbe && !t.strong {
			return -1, false
		}
	}
}
