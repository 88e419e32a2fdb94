package body

import (
	"bytes"
	"fmt"
	"io"
)

// XMLSplitter cuts an XML document read from a stream (a Bulk API 1.0
// result, a REST query page larger than Veil holds in memory) into chunks
// of whole children of its root, so that each is inspected on its own.
// Every chunk is a document: the input's prolog and root start tag, byte
// for byte (namespace declarations included), then a run of the root's
// children as the input has them (with the white space and comments
// before each), then a synthetic end tag "</name>", but for the last
// chunk, which ends with the input's own: the white space and comments
// before it, it, and what follows it. A child sits at the same depth
// under the same names as in the whole document; only its index among
// same-named siblings counts from 0 in each chunk.
//
// The splitter only finds where children end (tags, quotes, comments,
// CDATA sections); the caller validates each chunk with ParseXML. When
// every chunk is valid, so was the input: the splitter refuses text
// beside the root's children, which no chunk would show to be mixed
// content, and the last chunk holds the root's end tag and the epilog.
type XMLSplitter struct {
	r     io.Reader
	max   int
	elems int // most list items of a chunk; 0: no bound
	lists [][]byte
	o     XMLOptions
	buf   []byte // input not yet handed out, from pos
	pos   int
	base  int // the input's offset of buf[0]
	eof   bool
	state int
	child bool   // the root has a child element
	head  []byte // the prolog and the root start tag
	close []byte // the synthetic end tag
	out   []byte
	err   error
}

// NewXMLSplitter splits r into chunks of at most size bytes. A chunk holds
// at most elems list items when elems is above 0: children of the root
// whose local name is one of lists (every child when lists is empty);
// other children (done, totalSize) go in the chunk of the item before
// them. o is what the chunks are parsed with: the head is parsed with it
// at once.
func NewXMLSplitter(r io.Reader, size, elems int, lists []string, o XMLOptions) *XMLSplitter {
	size = max(size, 16)
	s := &XMLSplitter{r: r, max: size, elems: max(elems, 0), o: o, buf: make([]byte, 0, size+1)}
	for _, l := range lists {
		s.lists = append(s.lists, []byte(l))
	}
	return s
}

// Head returns the length of the prolog and root start tag that open
// every chunk (known once Next has returned a chunk).
func (s *XMLSplitter) Head() int { return len(s.head) }

// Last reports whether the chunk Next returned last is the document's
// last: it ends with the input's own end tag and epilog, where the others
// end with Close.
func (s *XMLSplitter) Last() bool { return s.state == splitDone }

// Close is the synthetic end tag that every chunk but the last ends with.
func (s *XMLSplitter) Close() []byte { return s.close }

// Next returns the next chunk, valid until the next call, or io.EOF after
// the last one. A child, or the prolog with the root start tag, or the
// root's end with the epilog, that does not fit in max bytes with the
// rest of a chunk is ErrTooLarge; text beside the root's children, or a
// document that ends early, is an *Error with code invalid_xml; a fault
// in the head is ParseXML's error (xml_forbidden for a DTD); an error of
// the reader is returned as it is. Errors stick.
func (s *XMLSplitter) Next() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	c, err := s.next()
	if err != nil {
		s.err = err
		return nil, err
	}
	return c, nil
}

func (s *XMLSplitter) next() ([]byte, error) {
	if s.state == splitDone {
		return nil, io.EOF
	}
	if err := s.refill(); err != nil {
		return nil, err
	}
	if s.state == splitHead {
		if err := s.findRoot(); err != nil {
			return nil, err
		}
		s.state = splitElements
		if s.close == nil { // <root/>: one chunk of everything
			if !s.eof {
				return nil, s.tooLarge("a document with an empty root")
			}
			s.state = splitDone
			return s.buf, nil
		}
	}
	b, start := s.buf, s.pos
	budget := s.max - len(s.head) - len(s.close)
	last, units, items := start, 0, 0
	for {
		u := xmlScanChild(b, last)
		if u.text >= 0 && (u.st == xmlChild || s.child) {
			return nil, &Error{Code: CodeInvalidXML, Offset: s.base + u.text} // mixed content
		}
		switch u.st {
		case xmlRootEnd:
			if !s.eof || len(s.head)+len(b)-start > s.max {
				if units == 0 {
					return nil, s.tooLarge("the root's end and the epilog")
				}
				return s.chunk(start, last), nil
			}
			s.state = splitDone
			s.out = append(append(s.out[:0], s.head...), b[start:]...)
			return s.out, nil
		case xmlShort:
			if s.eof {
				return nil, &Error{Code: CodeInvalidXML, Offset: s.base + len(b)}
			}
			if units == 0 {
				return nil, s.tooLarge("a child of the root")
			}
			return s.chunk(start, last), nil
		}
		item := s.item(b[u.name:u.nameEnd])
		if item && s.elems > 0 && items == s.elems {
			return s.chunk(start, last), nil // full: the next item starts the next chunk
		}
		if u.end-start > budget {
			if units == 0 {
				return nil, s.tooLarge("a child of the root")
			}
			return s.chunk(start, last), nil
		}
		s.child, last, units = true, u.end, units+1
		if item {
			items++
		}
	}
}

// chunk hands out buf[start:last] between the head and the end tag.
func (s *XMLSplitter) chunk(start, last int) []byte {
	s.out = append(append(append(s.out[:0], s.head...), s.buf[start:last]...), s.close...)
	s.pos = last
	return s.out
}

// item reports whether a child of this name is a list item.
func (s *XMLSplitter) item(name []byte) bool {
	if len(s.lists) == 0 {
		return true
	}
	if k := bytes.IndexByte(name, ':'); k >= 0 {
		name = name[k+1:]
	}
	for _, l := range s.lists {
		if bytes.Equal(l, name) {
			return true
		}
	}
	return false
}

func (s *XMLSplitter) tooLarge(what string) error {
	return fmt.Errorf("%w: %s longer than %d bytes", ErrTooLarge, what, s.max)
}

// refill moves the input not yet handed out to the front of the buffer
// and reads until it holds max+1 bytes or the input ends.
func (s *XMLSplitter) refill() error {
	if s.pos > 0 {
		n := copy(s.buf[:cap(s.buf)], s.buf[s.pos:])
		s.buf, s.base, s.pos = s.buf[:n], s.base+s.pos, 0
	}
	if s.eof {
		return nil
	}
	var err error
	s.buf, s.eof, err = readInto(s.r, s.buf)
	return err
}

// findRoot reads the head: a byte order mark, the XML declaration,
// comments and white space, then the root start tag; a head that
// ParseXML refuses (with a synthetic end tag) is refused.
func (s *XMLSplitter) findRoot() error {
	b, i := s.buf, 0
	if bytes.HasPrefix(b, xmlBOM) {
		i = len(xmlBOM)
	}
	if bytes.HasPrefix(b[i:], []byte("<?xml")) {
		k := bytes.Index(b[i:], []byte("?>"))
		if k < 0 {
			return s.short()
		}
		i += k + 2
	}
	for {
		if i = xmlSkipSpace(b, i); i+4 > len(b) {
			return s.short()
		}
		if !bytes.HasPrefix(b[i:], []byte("<!--")) {
			break
		}
		k := bytes.Index(b[i+4:], []byte("-->"))
		if k < 0 {
			return s.short()
		}
		i += 4 + k + 3
	}
	if b[i] != '<' {
		return &Error{Code: CodeInvalidXML, Offset: i}
	}
	if b[i+1] == '!' || b[i+1] == '?' {
		return &Error{Code: CodeXMLForbidden, Offset: i}
	}
	nameEnd, _, _ := xmlName(b, i+1)
	end, empty := xmlTagEnd(b, i)
	if end < 0 {
		return s.short()
	}
	s.head = append([]byte(nil), b[:end]...)
	if empty {
		return nil // the document is one chunk, or too large
	}
	s.close = append(append(append([]byte(nil), "</"...), b[i+1:nameEnd]...), '>')
	d, err := ParseXML(append(append([]byte(nil), s.head...), s.close...), s.o)
	if err != nil {
		return err
	}
	d.Release()
	s.pos = end
	return nil
}

// short is a head the buffer cannot hold: too long, or cut short by the
// end of the input.
func (s *XMLSplitter) short() error {
	if s.eof {
		d, err := ParseXML(s.buf, s.o)
		d.Release()
		if err == nil {
			err = &Error{Code: CodeInvalidXML, Offset: len(s.buf)}
		}
		return err
	}
	return s.tooLarge("the prolog and the root start tag")
}

// What xmlScanChild found.
const (
	xmlShort   = iota // the buffer ends first
	xmlChild          // a child element
	xmlRootEnd        // the root's end tag
)

type xmlScan struct {
	st            int
	end           int // just past the child; the '<' of the root's end tag
	name, nameEnd int // the child's name
	text          int // the first character data before the child, -1 when none
}

// xmlScanChild scans the root's content in b from i: white space and
// comments, then a child element or the root's end tag.
func xmlScanChild(b []byte, i int) xmlScan {
	u := xmlScan{text: -1}
	depth := 0
	for i < len(b) {
		if b[i] != '<' {
			if depth == 0 && !xmlSpace(b[i]) && u.text < 0 {
				u.text = i
			}
			if k := bytes.IndexByte(b[i:], '<'); depth > 0 && k >= 0 {
				i += k
			} else {
				i++
			}
			continue
		}
		if i+1 >= len(b) {
			return u
		}
		var end int
		switch b[i+1] {
		case '!':
			switch {
			case len(b)-i < 9 && bytes.HasPrefix([]byte("<![CDATA["), b[i:]), len(b)-i < 4:
				return u
			case bytes.HasPrefix(b[i:], []byte("<!--")):
				end = xmlAfter(b, i+4, "-->")
			case bytes.HasPrefix(b[i:], []byte("<![CDATA[")):
				if depth == 0 && u.text < 0 {
					u.text = i
				}
				end = xmlAfter(b, i+9, "]]>")
			default:
				end = xmlAfter(b, i+2, ">")
			}
		case '?':
			end = xmlAfter(b, i+2, "?>")
		case '/':
			if depth == 0 {
				u.st, u.end = xmlRootEnd, i
				return u
			}
			if end = xmlAfter(b, i+2, ">"); end > 0 {
				if depth--; depth == 0 {
					u.st, u.end = xmlChild, end
					return u
				}
			}
		default:
			e, empty := xmlTagEnd(b, i)
			if e < 0 {
				return u
			}
			if depth == 0 {
				u.name = i + 1
				u.nameEnd, _, _ = xmlName(b, i+1)
				if empty {
					u.st, u.end = xmlChild, e
					return u
				}
			}
			if !empty {
				depth++
			}
			end = e
		}
		if end < 0 {
			return u
		}
		i = end
	}
	return u
}

// xmlAfter returns the offset just past the first s in b at or after i,
// or -1.
func xmlAfter(b []byte, i int, s string) int {
	if k := bytes.Index(b[i:], []byte(s)); k >= 0 {
		return i + k + len(s)
	}
	return -1
}

// xmlTagEnd returns the offset just past the start tag at b[i] ('<'),
// minding quotes, and whether it is an empty-element tag; -1 when it does
// not end in b.
func xmlTagEnd(b []byte, i int) (int, bool) {
	for k := i + 1; k < len(b); k++ {
		switch b[k] {
		case '"', '\'':
			q := bytes.IndexByte(b[k+1:], b[k])
			if q < 0 {
				return -1, false
			}
			k += 1 + q
		case '>':
			return k + 1, b[k-1] == '/'
		}
	}
	return -1, false
}
