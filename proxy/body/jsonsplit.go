package body

import (
	"fmt"
	"io"
)

// JSONSplitter cuts a JSON document read from a stream (a CRM page larger
// than Veil holds in memory) into batches of whole elements of its one big
// array, so that each batch is inspected on its own: the top-level array,
// or the first member of the top-level object named one of the keys
// (records, results) whose value is an array. Each batch is a whole
// document of the input's shape: the first one is the input's head (every
// member before the array, as it is) and its first elements, later ones
// open with a synthetic {"<key>":[ (or [), and the last one ends with the
// input's tail (the members after the array) where the others close with
// a synthetic ]} (or ]). An element therefore sits at the same depth under
// the same names as in the whole document, only its index counts from 0
// in each batch.
//
// The splitter only finds where values end (strings, nesting); it checks
// nothing else. A batch is a document the caller validates whole (walking
// it): when every batch is valid, so was the input, the head and tail
// included, since the splitter validates those two together (as one
// document with the array emptied: a name repeated before and after the
// array is refused) when it meets the tail.
type JSONSplitter struct {
	r     io.Reader
	max   int
	elems int // most elements of a batch; 0: no bound
	keys  [][]byte
	lim   Limits
	buf   []byte // input not yet handed out, from pos
	pos   int
	eof   bool
	state int
	n     int    // batches handed out
	head  []byte // the input up to and including the array's '['
	key   []byte // the member holding the array as written (quotes included); nil for a top-level array
	open  []byte // a later batch's synthetic start
	close []byte // a batch's synthetic end
	sep   []byte
	doc   []byte
	err   error
}

const (
	splitHead = iota
	splitElements
	splitDone
)

// ErrNotSplittable is a document the JSONSplitter cannot cut: no
// top-level array, nor a member of the top-level object named one of its
// keys whose value is an array, in its first max bytes.
var ErrNotSplittable = fmt.Errorf("%w: no array of records to split the body at", ErrTooLarge)

// JSONBatch is one batch of a JSONSplitter. Doc is a whole document;
// Doc[From:To] is the batch's run of elements as the input has it (with
// what separates them). Doc[:From] is the input's head in the first batch,
// synthetic in the others; Doc[To:] is the input's tail in the last one,
// synthetic in the others. Sep is what separated the batch's first element
// from the previous batch's last one in the input (nil in the first
// batch, and in a last batch holding no element). The input is
// first.Doc[:From], then each batch's Sep and Doc[From:To] in turn, then
// last.Doc[To:].
type JSONBatch struct {
	Doc         []byte
	Sep         []byte
	From, To    int
	First, Last bool
}

// NewJSONSplitter splits r into batches of at most size bytes, and of
// at most elems elements when elems is above 0. keys are the member names
// that may hold the records (matched as written, without escapes); with
// none only a top-level array is split. lim bounds the walk of the head
// and tail.
func NewJSONSplitter(r io.Reader, size, elems int, keys []string, lim Limits) *JSONSplitter {
	size = max(size, 8)
	s := &JSONSplitter{r: r, max: size, elems: max(elems, 0), lim: lim, buf: make([]byte, 0, size+1)}
	for _, k := range keys {
		s.keys = append(s.keys, []byte(k))
	}
	return s
}

// Key is the member holding the split array as the input writes it,
// quotes included, or nil for a top-level array (known once Next has
// returned a batch).
func (s *JSONSplitter) Key() []byte { return s.key }

// Next returns the next batch, valid until the next call, or io.EOF after
// the last one. A document it cannot cut is ErrNotSplittable; an element,
// a head or a tail that does not fit in max bytes with the synthetic parts
// is ErrTooLarge; a document that ends early or whose array is malformed
// between elements is an *Error with code invalid_json; an error of the
// reader is returned as it is. Errors stick.
func (s *JSONSplitter) Next() (JSONBatch, error) {
	if s.err != nil {
		return JSONBatch{}, s.err
	}
	b, err := s.next()
	if err != nil {
		s.err = err
		return JSONBatch{}, err
	}
	s.n++
	return b, nil
}

func (s *JSONSplitter) next() (JSONBatch, error) {
	if s.state == splitDone {
		return JSONBatch{}, io.EOF
	}
	if err := s.refill(); err != nil {
		return JSONBatch{}, err
	}
	if s.state == splitHead {
		if err := s.findArray(); err != nil {
			return JSONBatch{}, err
		}
		s.state = splitElements
	}
	first := s.n == 0
	prefix, sep := s.open, []byte(nil)
	if first {
		prefix = s.head
	} else {
		// What separates this batch from the last: blanks, a comma, blanks;
		// or the array's end.
		b := s.buf
		i := skipBlank(b, s.pos)
		switch {
		case i == len(b):
			return JSONBatch{}, s.short("blanks")
		case b[i] == ',':
			j := skipBlank(b, i+1)
			if j == len(b) {
				return JSONBatch{}, s.short("blanks")
			}
			s.sep = append(s.sep[:0], b[s.pos:j]...)
			sep = s.sep
			s.pos = j
			if err := s.refill(); err != nil { // the batch gets the whole buffer
				return JSONBatch{}, err
			}
		case b[i] != ']':
			return JSONBatch{}, &Error{Code: CodeInvalidJSON, Offset: i}
		}
	}
	b, start := s.buf, s.pos
	budget := s.max - len(prefix) - len(s.close)
	last, count := start, 0 // the end of the batch's last element
	for {
		i := skipBlank(b, last)
		if i == len(b) {
			if s.eof {
				return JSONBatch{}, &Error{Code: CodeInvalidJSON, Offset: i}
			}
			if count == 0 {
				return JSONBatch{}, s.tooLarge("an array element")
			}
			break
		}
		if b[i] == ']' && (count > 0 || sep == nil) {
			return s.tail(prefix, sep, start, last, count)
		}
		el := i
		if count > 0 {
			if b[i] != ',' {
				return JSONBatch{}, &Error{Code: CodeInvalidJSON, Offset: i}
			}
			if el = skipBlank(b, i+1); el == len(b) {
				if s.eof {
					return JSONBatch{}, &Error{Code: CodeInvalidJSON, Offset: el}
				}
				break
			}
		}
		end, st := skipValue(b, el)
		if st == valueInvalid {
			return JSONBatch{}, &Error{Code: CodeInvalidJSON, Offset: el}
		}
		if st == valueShort && s.eof {
			return JSONBatch{}, &Error{Code: CodeInvalidJSON, Offset: len(b)}
		}
		if st == valueShort || end-start > budget {
			if count == 0 {
				return JSONBatch{}, s.tooLarge("an array element")
			}
			break
		}
		last, count = end, count+1
		if count == s.elems {
			// The array may end right after: the tail then comes alone.
			break
		}
	}
	s.doc = append(append(append(s.doc[:0], prefix...), b[start:last]...), s.close...)
	s.pos = last
	return JSONBatch{Doc: s.doc, Sep: sep, From: len(prefix), To: len(prefix) + last - start, First: first}, nil
}

// tail ends the batch at the array's end: with the input's tail when it
// fits, or without it (a batch of the tail alone follows).
func (s *JSONSplitter) tail(prefix, sep []byte, start, last, count int) (JSONBatch, error) {
	first := s.n == 0
	if !s.eof && count == 0 {
		// The tail alone: read it whole.
		s.pos = last
		if err := s.refill(); err != nil {
			return JSONBatch{}, err
		}
		start, last = s.pos, s.pos
	}
	b := s.buf
	if !s.eof || len(prefix)+(last-start)+(len(b)-last) > s.max {
		if count == 0 {
			return JSONBatch{}, s.tooLarge("the members after the array")
		}
		s.doc = append(append(append(s.doc[:0], prefix...), b[start:last]...), s.close...)
		s.pos = last
		return JSONBatch{Doc: s.doc, Sep: sep, From: len(prefix), To: len(prefix) + last - start, First: first}, nil
	}
	tail := b[last:]
	// The head and the tail are one object: validated together, with the
	// array emptied, so that a name repeated on both sides of the array,
	// or bytes after the document, are refused as they would be whole.
	s.doc = append(append(s.doc[:0], s.head...), tail...)
	if err := WalkJSON(s.doc, s.lim, nil); err != nil {
		return JSONBatch{}, err
	}
	s.doc = append(append(append(s.doc[:0], prefix...), b[start:last]...), tail...)
	s.pos, s.state = len(b), splitDone
	return JSONBatch{Doc: s.doc, Sep: sep, From: len(prefix), To: len(prefix) + last - start, First: first, Last: true}, nil
}

func (s *JSONSplitter) tooLarge(what string) error {
	return fmt.Errorf("%w: %s longer than %d bytes", ErrTooLarge, what, s.max)
}

// short is a run the buffer cannot hold: too long, or cut short by the
// end of the input.
func (s *JSONSplitter) short(what string) error {
	if s.eof {
		return &Error{Code: CodeInvalidJSON, Offset: len(s.buf)}
	}
	return s.tooLarge(what)
}

// refill moves the input not yet handed out to the front of the buffer
// and reads until it holds max+1 bytes or the input ends.
func (s *JSONSplitter) refill() error {
	if s.pos > 0 {
		n := copy(s.buf[:cap(s.buf)], s.buf[s.pos:])
		s.buf, s.pos = s.buf[:n], 0
	}
	if s.eof {
		return nil
	}
	var err error
	s.buf, s.eof, err = readInto(s.r, s.buf)
	return err
}

// findArray reads the head: the input up to the split array's '['.
func (s *JSONSplitter) findArray() error {
	keyStart, keyEnd, open, st := locateArray(s.buf, s.keys, nil, true)
	switch st {
	case valueShort:
		if s.eof {
			return &Error{Code: CodeInvalidJSON, Offset: len(s.buf)}
		}
		return s.tooLarge("the members before the array")
	case valueInvalid:
		return ErrNotSplittable
	}
	s.head = append([]byte(nil), s.buf[:open]...)
	s.pos = open
	if keyStart < 0 {
		s.open, s.close = []byte("["), []byte("]")
		return nil
	}
	s.key = append([]byte(nil), s.buf[keyStart:keyEnd]...)
	s.open = append(append(append([]byte(nil), '{'), s.key...), ":["...)
	s.close = []byte("]}")
	return nil
}

// EnvelopeEditor is implemented by a JSON body that streams (a response
// over limits.max_body_bytes): the members around its split array still
// pass through fn before they are sent, as a whole document each (the
// head with an empty array closed after it, the tail after an empty array
// opened before it), and fn returns the document to send. fn changes
// values only: a document whose array or synthetic parts moved fails the
// stream.
type EnvelopeEditor interface {
	EditEnvelope(fn func(doc []byte) []byte)
}
