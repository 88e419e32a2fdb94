package body

import (
	"bytes"
	"math"
	"sync"
)

// XML is the shape of Salesforce's REST XML and SOAP bodies: ParseXML
// validates a document and indexes its elements, attributes and comments;
// XMLDoc.Walk visits every value with its path; RewriteXML replaces values
// and removes elements, attributes and comments, copying the rest byte for
// byte. The tokenizer is hand-written (encoding/xml neither gives the spans
// of attribute values nor checks what is refused here) and refuses every
// construct that could make the CRM read something the detectors did not:
// DTDs and entities, processing instructions, foreign encodings and mixed
// content.

// XMLOptions bound and shape a ParseXML.
type XMLOptions struct {
	// MaxDepth is how many elements may nest: 1 allows <a/> but not
	// <a><b/></a>. 0 means DefaultMaxDepth.
	MaxDepth int
	// Lists are local element names that are always list items: their
	// paths have an index segment even when they have no same-named
	// sibling (records, sObjects).
	Lists []string
}

// XMLDoc is a document ParseXML accepted, with its index. It refers to the
// document it was parsed from, which must not change while it is in use.
type XMLDoc struct {
	doc      []byte
	elems    []xmlElem // in document order: by start tag
	attrs    []xmlAttr // in document order, namespace declarations left out
	comments []xmlComment
	spaces   [][]byte // namespace URIs by id; 0 is none
	xsi      int32    // the id of xsiNamespace, -1 when not declared
}

// xmlElem is an element of the index: 40 bytes, the index's bulk.
// Offsets are int32: ParseXML refuses documents of 2 GiB or more. Its
// attributes are those of XMLDoc.attrs that start before inner, from where
// the previous element's end.
type xmlElem struct {
	open, local, nameEnd int32 // '<', the local name's start, the name's end
	inner, innerEnd      int32 // the content; both at the '/' of "/>" for an empty-element tag
	close                int32 // just past the end tag
	parent               int32 // -1 for the root
	space                int32
	sib                  int32 // index among same-named siblings, -1 when the path has none
	flags                uint8
}

const (
	xmlLeaf  = 1 << iota // no child element: the content is a value
	xmlPlain             // the content is text alone, with no reference, CR, CDATA section or comment
	xmlNil               // xsi:nil="true"
	xmlEmpty             // an empty-element tag
)

type xmlAttr struct {
	name, local, nameEnd int32
	val, valEnd          int32 // between the quotes
	space                int32
	plain                bool // no reference and no white space other than spaces
}

type xmlComment struct {
	start, end int32 // between "<!--" and "-->"
	elem       int32 // the enclosing element, -1 outside the root
}

// Namespaces with fixed meanings.
const (
	xmlNamespace   = "http://www.w3.org/XML/1998/namespace"
	xmlnsNamespace = "http://www.w3.org/2000/xmlns/"
	xsiNamespace   = "http://www.w3.org/2001/XMLSchema-instance"
)

// ParseXML validates doc and indexes its elements. It accepts XML 1.0 with
// namespaces, UTF-8 (or US-ASCII) encoded, a UTF-8 byte order mark allowed
// before it. The errors are *Error with the offset of the fault:
// xml_forbidden for a DTD or any other <! directive, a processing
// instruction other than the XML declaration, a version other than 1.0 or
// an encoding other than UTF-8 and US-ASCII; invalid_xml for a syntax
// error, an entity other than the five predefined ones, anything but
// comments and white space around the root, mixed content (text other than
// white space beside child elements), an unbound prefix or a repeated
// attribute; too_deep beyond MaxDepth; invalid_utf8 for bytes that are not
// UTF-8 (not ASCII, when declared so) or characters XML forbids, literal or
// referenced. The work is linear in the document.
func ParseXML(doc []byte, o XMLOptions) (*XMLDoc, error) {
	if len(doc) >= math.MaxInt32 {
		return nil, &Error{Code: CodeBodyTooLarge, Offset: math.MaxInt32}
	}
	p := getXMLParser(doc, o)
	defer putXMLParser(p)
	err := p.run()
	// The tokenizer stops at the first fault it sees, the character check
	// at the first bad character: the earlier of the two is the error.
	bad := xmlCheckChars(doc, p.ascii)
	if e, ok := err.(*Error); bad >= 0 && (err == nil || ok && e.Offset >= bad) {
		err = &Error{Code: CodeInvalidUTF8, Offset: bad}
	}
	if err != nil {
		p.d.Release()
		return nil, err
	}
	return p.d, nil
}

// xmlDocs keeps released documents' indexes for ParseXML to fill again.
var xmlDocs = sync.Pool{New: func() any { return new(XMLDoc) }}

// What a released index may keep: one huge document must not pin its
// index for ever (an element is 40 bytes, an attribute 28).
const (
	maxPooledXMLElems    = 1 << 16
	maxPooledXMLAttrs    = 1 << 16
	maxPooledXMLComments = 1 << 10
)

// xmlNamespaceURI is spaces[1] of every document: never written to.
var xmlNamespaceURI = []byte(xmlNamespace)

// Release gives d's index back for a later ParseXML to reuse. Neither d
// nor anything a walk of it gave may be used after; a nil d is a no-op.
func (d *XMLDoc) Release() {
	if d == nil {
		return
	}
	clear(d.spaces[:cap(d.spaces)]) // URIs are slices of the document
	if cap(d.elems) > maxPooledXMLElems || cap(d.attrs) > maxPooledXMLAttrs || cap(d.comments) > maxPooledXMLComments {
		*d = XMLDoc{}
		return
	}
	*d = XMLDoc{elems: d.elems[:0], attrs: d.attrs[:0], comments: d.comments[:0], spaces: d.spaces[:0]}
	xmlDocs.Put(d)
}

// Root returns the root element's namespace URI and local name.
func (d *XMLDoc) Root() (space, local string) {
	e := &d.elems[0]
	return string(d.spaces[e.space]), string(d.doc[e.local:e.nameEnd])
}

type xmlParser struct {
	doc   []byte
	d     *XMLDoc
	max   int
	lists []string
	ascii bool // declared US-ASCII

	stack   []xmlFrame
	kids    []int32 // the children of every open element, outermost first
	raw     []xmlRawAttr
	ids     []int32
	fps     []uint64
	scratch []byte

	prefixes map[string]int32 // prefix → entry in bound
	bound    []int32          // entry → the namespace bound to the prefix (0: none); entry 0 is the default namespace
	binds    []xmlBind        // the bindings of the open elements, to undo
	uris     map[string]int32 // URI → namespace id
	xsi      int32            // the id of xsiNamespace, -1 until declared
	tab      xmlTable
}

// xmlFrame is an open element.
type xmlFrame struct {
	elem   int32
	kids   int32 // where its children start in xmlParser.kids
	binds  int32 // where its bindings start in xmlParser.binds
	text   bool  // character data other than white space: text, a reference or a CDATA section
	child  bool
	impure bool // a reference, a CR, a comment or a CDATA section
}

type xmlBind struct{ entry, prev int32 }

type xmlRawAttr struct {
	name, local, nameEnd, val, valEnd, space int32 // space -1 for a namespace declaration
	plain                                    bool
}

var xmlParsers = sync.Pool{New: func() any { return new(xmlParser) }}

func getXMLParser(doc []byte, o XMLOptions) *xmlParser {
	p := xmlParsers.Get().(*xmlParser)
	p.doc, p.lists, p.max, p.ascii, p.xsi = doc, o.Lists, o.MaxDepth, false, -1
	if p.max <= 0 {
		p.max = DefaultMaxDepth
	}
	// About one element per two '<' (end tags), a few more for "/>":
	// the index seldom grows.
	c := bytes.Count(doc, []byte{'<'})
	n := c/2 + c/16 + 1
	d := xmlDocs.Get().(*XMLDoc)
	d.doc, d.spaces = doc, append(d.spaces[:0], nil, xmlNamespaceURI)
	if cap(d.elems) < n {
		d.elems = make([]xmlElem, 0, n)
	}
	p.d = d
	if p.prefixes == nil {
		p.prefixes, p.uris = map[string]int32{}, map[string]int32{}
	}
	p.prefixes[""], p.prefixes["xml"] = 0, 1
	p.bound = append(p.bound[:0], 0, 1)
	p.uris[""], p.uris[xmlNamespace] = 0, 1
	p.stack, p.kids, p.binds, p.raw = p.stack[:0], p.kids[:0], p.binds[:0], p.raw[:0]
	return p
}

func putXMLParser(p *xmlParser) {
	if len(p.prefixes) > 64 || len(p.uris) > 64 {
		p.prefixes, p.uris = nil, nil
	} else {
		clear(p.prefixes)
		clear(p.uris)
	}
	if cap(p.kids) > maxPooledKeys || cap(p.raw) > maxPooledKeys || cap(p.scratch) > maxPooledBytes || cap(p.ids) > maxPooledKeys || cap(p.fps) > maxPooledKeys ||
		cap(p.bound) > maxPooledKeys || cap(p.tab.slots) > 4*maxPooledKeys {
		*p = xmlParser{}
	}
	if cap(p.stack) > maxPooledFrames {
		p.stack = nil
	}
	p.doc, p.d, p.lists = nil, nil, nil
	xmlParsers.Put(p)
}

func xmlInvalid(i int) error { return &Error{Code: CodeInvalidXML, Offset: i} }

var xmlBOM = []byte("\xef\xbb\xbf")

func (p *xmlParser) run() error {
	doc := p.doc
	i := 0
	if bytes.HasPrefix(doc, xmlBOM) {
		i = len(xmlBOM)
	}
	if bytes.HasPrefix(doc[i:], []byte("<?xml")) && i+5 < len(doc) && (xmlSpace(doc[i+5]) || doc[i+5] == '?') {
		var err error
		if i, err = p.decl(i); err != nil {
			return err
		}
	}
	done := false // the root has ended
	for {
		var f *xmlFrame
		var err error
		if n := len(p.stack); n > 0 {
			f = &p.stack[n-1]
			if i, err = p.text(i, f); err != nil {
				return err
			}
		} else {
			if i = xmlSkipSpace(doc, i); i == len(doc) {
				break
			}
			if doc[i] != '<' {
				return xmlInvalid(i) // text outside the root
			}
		}
		if i+1 >= len(doc) {
			return xmlInvalid(len(doc))
		}
		switch doc[i+1] {
		case '?':
			return &Error{Code: CodeXMLForbidden, Offset: i}
		case '!':
			switch {
			case bytes.HasPrefix(doc[i:], []byte("<!--")):
				i, err = p.comment(i, f)
			case bytes.HasPrefix(doc[i:], []byte("<![CDATA[")):
				if f == nil {
					return xmlInvalid(i)
				}
				k := bytes.Index(doc[i+9:], []byte("]]>"))
				if k < 0 {
					return xmlInvalid(len(doc))
				}
				if err = p.markText(f, i); err != nil {
					return err
				}
				f.impure = true
				i += 9 + k + 3
			default:
				return &Error{Code: CodeXMLForbidden, Offset: i}
			}
		case '/':
			if f == nil {
				return xmlInvalid(i)
			}
			i, err = p.endTag(i)
			done = len(p.stack) == 0
		default:
			if done {
				return xmlInvalid(i) // a second root
			}
			i, err = p.startTag(i)
			done = len(p.stack) == 0
		}
		if err != nil {
			return err
		}
	}
	if !done {
		return xmlInvalid(len(doc)) // no root, or one left open
	}
	p.number(p.kids)
	p.d.xsi = p.xsi
	return nil
}

// decl reads the XML declaration at doc[i:] (known to start "<?xml" and a
// space or '?'): version 1.0, an encoding UTF-8 or US-ASCII, standalone.
func (p *xmlParser) decl(i int) (int, error) {
	doc := p.doc
	seen := 0 // 1 version, 2 encoding, 3 standalone
	j := i + 5
	for {
		k := xmlSkipSpace(doc, j)
		if bytes.HasPrefix(doc[k:], []byte("?>")) && seen > 0 {
			return k + 2, nil
		}
		n := k
		for n < len(doc) && 'a' <= doc[n] && doc[n] <= 'z' {
			n++
		}
		e := xmlSkipSpace(doc, n)
		if k == j || e >= len(doc) || doc[e] != '=' {
			return i, xmlInvalid(k)
		}
		e = xmlSkipSpace(doc, e+1)
		if e >= len(doc) || doc[e] != '"' && doc[e] != '\'' {
			return i, xmlInvalid(e)
		}
		q := bytes.IndexByte(doc[e+1:], doc[e])
		if q < 0 {
			return i, xmlInvalid(len(doc))
		}
		v := doc[e+1 : e+1+q]
		switch name := string(doc[k:n]); {
		case name == "version" && seen == 0:
			if string(v) != "1.0" {
				return i, &Error{Code: CodeXMLForbidden, Offset: e + 1}
			}
			seen = 1
		case name == "encoding" && seen == 1:
			if !xmlEncName(v) {
				return i, xmlInvalid(e + 1)
			}
			p.ascii = bytes.EqualFold(v, []byte("US-ASCII"))
			if !p.ascii && !bytes.EqualFold(v, []byte("UTF-8")) {
				return i, &Error{Code: CodeXMLForbidden, Offset: e + 1}
			}
			seen = 2
		case name == "standalone" && (seen == 1 || seen == 2):
			if string(v) != "yes" && string(v) != "no" {
				return i, xmlInvalid(e + 1)
			}
			seen = 3
		default:
			return i, xmlInvalid(k)
		}
		j = e + 2 + q
	}
}

// xmlEncName reports whether v is an EncName: [A-Za-z] ([A-Za-z0-9._] | '-')*.
func xmlEncName(v []byte) bool {
	for i, c := range v {
		alpha := 'a' <= c|0x20 && c|0x20 <= 'z'
		if !alpha && (i == 0 || !('0' <= c && c <= '9' || c == '.' || c == '_' || c == '-')) {
			return false
		}
	}
	return len(v) > 0
}

// text reads the character data at doc[i:] in f, up to the next '<'.
func (p *xmlParser) text(i int, f *xmlFrame) (int, error) {
	doc := p.doc
	for i < len(doc) {
		switch xmlTextClass[doc[i]] {
		case xmlTextOther:
			if err := p.markText(f, i); err != nil {
				return i, err
			}
			for i++; i < len(doc) && xmlTextClass[doc[i]] <= xmlTextSpace; i++ {
			}
		case xmlTextSpace:
			i++
		case xmlTextLT:
			return i, nil
		case xmlTextAmp:
			_, end, code := xmlRef(doc, i)
			if code != "" {
				return i, &Error{Code: code, Offset: i}
			}
			if err := p.markText(f, i); err != nil {
				return i, err
			}
			f.impure, i = true, end
		case xmlTextBracket:
			if bytes.HasPrefix(doc[i:], []byte("]]>")) {
				return i, xmlInvalid(i)
			}
			if err := p.markText(f, i); err != nil {
				return i, err
			}
			i++
		case xmlTextCR:
			f.impure = true
			i++
		}
	}
	return i, xmlInvalid(len(doc))
}

// markText notes character data at i in f: mixed content when f has
// child elements.
func (p *xmlParser) markText(f *xmlFrame, i int) error {
	if f.child {
		return xmlInvalid(i)
	}
	f.text = true
	return nil
}

// comment reads the comment at doc[i:] ("<!--"), in f (nil outside the root).
func (p *xmlParser) comment(i int, f *xmlFrame) (int, error) {
	doc := p.doc
	s := i + 4
	k := bytes.Index(doc[s:], []byte("--"))
	if k < 0 {
		return i, xmlInvalid(len(doc))
	}
	e := s + k
	if e+2 >= len(doc) || doc[e+2] != '>' {
		return i, xmlInvalid(e) // "--" inside a comment, or one ending in '-'
	}
	elem := int32(-1)
	if f != nil {
		elem, f.impure = f.elem, true
	}
	p.d.comments = append(p.d.comments, xmlComment{int32(s), int32(e), elem})
	return e + 3, nil
}

// endTag reads the end tag at doc[i:] ("</") of the innermost open element.
func (p *xmlParser) endTag(i int) (int, error) {
	doc := p.doc
	f := p.stack[len(p.stack)-1]
	e := &p.d.elems[f.elem]
	name := doc[e.open+1 : e.nameEnd]
	j := i + 2
	if !bytes.HasPrefix(doc[j:], name) {
		return i, xmlInvalid(i)
	}
	j = xmlSkipSpace(doc, j+len(name))
	if j >= len(doc) || doc[j] != '>' {
		return i, xmlInvalid(i)
	}
	p.stack = p.stack[:len(p.stack)-1]
	e.innerEnd, e.close = int32(i), int32(j+1)
	if !f.child {
		e.flags |= xmlLeaf
		if !f.impure {
			e.flags |= xmlPlain
		}
	}
	p.number(p.kids[f.kids:])
	p.kids = p.kids[:f.kids]
	p.unbind(int(f.binds))
	return j + 1, nil
}

// xmlSkipSpace returns the offset of the first byte at or after i that is
// not XML white space.
func xmlSkipSpace(doc []byte, i int) int {
	for i < len(doc) && xmlSpace(doc[i]) {
		i++
	}
	return i
}

func xmlSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// Classes of bytes in character data.
const (
	xmlTextOther = iota
	xmlTextSpace
	xmlTextLT
	xmlTextAmp
	xmlTextBracket
	xmlTextCR
)

var xmlTextClass = [256]uint8{
	' ': xmlTextSpace, '\t': xmlTextSpace, '\n': xmlTextSpace, '\r': xmlTextCR,
	'<': xmlTextLT, '&': xmlTextAmp, ']': xmlTextBracket,
}

// startTag reads the start tag at doc[i:] ('<' and a name start). The
// index entries are filled in place: assembled on the stack and copied,
// they cost a store-forwarding stall each.
func (p *xmlParser) startTag(i int) (int, error) {
	doc, d := p.doc, p.d
	nameEnd, local, ok := xmlName(doc, i+1)
	if !ok {
		return i, xmlInvalid(i + 1)
	}
	if len(p.stack) >= p.max {
		return i, &Error{Code: CodeTooDeep, Offset: i}
	}
	p.raw = p.raw[:0]
	j, inner, empty := nameEnd, 0, false
	for {
		k := xmlSkipSpace(doc, j)
		if k >= len(doc) {
			return i, xmlInvalid(len(doc))
		}
		if doc[k] == '>' {
			j, inner = k+1, k+1
			break
		}
		if doc[k] == '/' {
			if k+1 >= len(doc) || doc[k+1] != '>' {
				return i, xmlInvalid(k)
			}
			j, inner, empty = k+2, k, true
			break
		}
		an, al, ok := xmlName(doc, k)
		if k == j || !ok { // no white space before the attribute, or no name
			return i, xmlInvalid(k)
		}
		m := xmlSkipSpace(doc, an)
		if m >= len(doc) || doc[m] != '=' {
			return i, xmlInvalid(m)
		}
		if m = xmlSkipSpace(doc, m+1); m >= len(doc) || doc[m] != '"' && doc[m] != '\'' {
			return i, xmlInvalid(m)
		}
		end, plain, err := xmlAttrValue(doc, m+1, doc[m])
		if err != nil {
			return i, err
		}
		p.raw = append(p.raw, xmlRawAttr{})
		a := &p.raw[len(p.raw)-1]
		a.name, a.local, a.nameEnd, a.val, a.valEnd, a.plain = int32(k), int32(al), int32(an), int32(m+1), int32(end), plain
		j = end + 1
	}

	id, binds := int32(len(d.elems)), len(p.binds)
	// Declarations first: they are in scope on the element's own name.
	for k := range p.raw {
		if a := &p.raw[k]; xmlIsDecl(doc, a) {
			if err := p.declare(a); err != nil {
				return i, err
			}
			a.space = -1
		}
	}
	d.elems = append(d.elems, xmlElem{})
	e := &d.elems[id]
	e.open, e.local, e.nameEnd, e.inner, e.parent, e.sib = int32(i), int32(local), int32(nameEnd), int32(inner), -1, -1
	var err error
	if e.space, err = p.resolve(i+1, local, true); err != nil {
		return i, err
	}
	for k := range p.raw {
		a := &p.raw[k]
		if a.space < 0 {
			continue
		}
		if a.space, err = p.resolve(int(a.name), int(a.local), false); err != nil {
			return i, err
		}
		if a.space == p.xsi && a.space > 0 && string(doc[a.local:a.nameEnd]) == "nil" {
			v := doc[a.val:a.valEnd]
			if !a.plain {
				p.scratch = xmlAppendAttr(p.scratch[:0], v)
				v = p.scratch
			}
			if v = bytes.Trim(v, " "); string(v) == "true" || string(v) == "1" {
				e.flags |= xmlNil
			}
		}
		d.attrs = append(d.attrs, xmlAttr{a.name, a.local, a.nameEnd, a.val, a.valEnd, a.space, a.plain})
	}
	if err := p.unique(p.raw); err != nil {
		return i, err
	}
	if n := len(p.stack); n > 0 {
		pf := &p.stack[n-1]
		if pf.text {
			return i, xmlInvalid(i) // mixed content
		}
		pf.child = true
		e.parent = pf.elem
	}
	p.kids = append(p.kids, id)
	if empty {
		e.innerEnd, e.close = int32(inner), int32(j)
		e.flags |= xmlLeaf | xmlPlain | xmlEmpty
		p.unbind(binds)
		return j, nil
	}
	p.stack = append(p.stack, xmlFrame{})
	f := &p.stack[len(p.stack)-1]
	f.elem, f.kids, f.binds = id, int32(len(p.kids)), int32(binds)
	return j, nil
}

// xmlAttrValue reads an attribute value from doc[i:] to the closing quote q
// and returns the quote's offset; plain means it holds no reference and no
// white space but spaces, so reads as it is written.
func xmlAttrValue(doc []byte, i int, q byte) (int, bool, error) {
	plain := true
	for ; i < len(doc); i++ {
		c := doc[i]
		if !xmlAttrSpecial[c] {
			continue
		}
		switch c {
		case q:
			return i, plain, nil
		case '<':
			return i, false, xmlInvalid(i)
		case '&':
			_, end, code := xmlRef(doc, i)
			if code != "" {
				return i, false, &Error{Code: code, Offset: i}
			}
			i, plain = end-1, false
		case '\t', '\n', '\r':
			plain = false
		}
	}
	return i, false, xmlInvalid(len(doc))
}

var xmlAttrSpecial = [256]bool{'"': true, '\'': true, '<': true, '&': true, '\t': true, '\n': true, '\r': true}
