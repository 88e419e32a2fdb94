package body

import (
	"bytes"
	"fmt"
	"io"
)

// CSVSplitter cuts a CSV document read from a stream (a Bulk API 2.0
// result larger than Veil holds in memory) into chunks of whole records,
// so that each is inspected on its own. Every chunk is the document's
// header record, byte for byte, followed by whole data records; WalkCSV
// reads in a chunk the same cells the whole document holds, rows numbered
// from 0 in each chunk. A record ends at a line feed outside quotes: a
// quote only opens a field at its start and "" inside a quoted field is a
// quote, so in a document WalkCSV accepts, counting quotes tells a line
// feed in a value from one that ends a record (the delimiter plays no
// part). A document WalkCSV refuses is split all the same, and a chunk
// holding the fault is refused when it is walked.
type CSVSplitter struct {
	r    io.Reader
	max  int
	rows int    // most records of a chunk; 0: no bound
	buf  []byte // buf[:head] the header record; then the records not yet handed out
	head int    // -1 until the header is known
	cut  int    // the last chunk handed out was buf[:cut]
	eof  bool
	sent bool // a chunk was handed out
	err  error
}

// NewCSVSplitter splits r into chunks of at most size bytes, header
// included (size at least 2), and at most rows records besides the header
// (a blank line counts as one) when rows is above 0.
func NewCSVSplitter(r io.Reader, size, rows int) *CSVSplitter {
	size = max(size, 2)
	return &CSVSplitter{r: r, max: size, rows: max(rows, 0), buf: make([]byte, 0, size+1), head: -1}
}

// Header is the length of the header record that starts every chunk
// (known once Next has returned a chunk).
func (s *CSVSplitter) Header() int { return s.head }

// Next returns the next chunk: the header record and as many whole data
// records as fit in max bytes, at least one (a document of nothing but a
// header is one chunk). It is valid until the next call. After the last
// chunk it returns io.EOF. A record (or the header) longer than max is
// ErrTooLarge; an error of the reader is returned as it is. Errors stick.
func (s *CSVSplitter) Next() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.cut > 0 { // drop the records handed out last time
		n := copy(s.buf[s.head:cap(s.buf)], s.buf[s.cut:])
		s.buf, s.cut = s.buf[:s.head+n], 0
	}
	if err := s.fill(); err != nil {
		s.err = err
		return nil, err
	}
	if s.head < 0 {
		s.head = s.header()
		if s.head < 0 {
			s.err = fmt.Errorf("%w: a CSV header longer than %d bytes", ErrTooLarge, s.max)
			return nil, s.err
		}
	}
	if len(s.buf) == s.head && s.eof { // nothing left
		if s.sent {
			s.err = io.EOF
			return nil, io.EOF
		}
		s.sent, s.cut = true, len(s.buf)
		return s.buf, nil
	}
	end := len(s.buf)
	if !s.eof || end > s.max || s.rows > 0 {
		// Only whole records, the last one ended by a line feed (or by
		// the end of the document).
		limit := min(len(s.buf), s.max)
		if end = recordEnd(s.buf[:limit], s.head, s.rows); end < 0 && s.eof && len(s.buf) <= s.max {
			end = len(s.buf) // the last record, without a line feed
		}
		if end < 0 {
			s.err = fmt.Errorf("%w: a CSV record longer than %d bytes", ErrTooLarge, s.max-s.head)
			return nil, s.err
		}
	}
	s.sent, s.cut = true, end
	return s.buf[:end], nil
}

// fill reads until the buffer holds max+1 bytes or the document ends.
func (s *CSVSplitter) fill() error {
	if s.eof {
		return nil
	}
	var err error
	s.buf, s.eof, err = readInto(s.r, s.buf)
	return err
}

// header returns the end of the header record in the buffer (blank lines
// before it, which WalkCSV skips, belong to it), or -1 when it does not
// end within max bytes. A document that ends first is all header.
func (s *CSVSplitter) header() int {
	b, i := s.buf[:min(len(s.buf), s.max)], 0
	for {
		switch {
		case i < len(b) && b[i] == '\n':
			i++
			continue
		case i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n':
			i += 2
			continue
		}
		break
	}
	if end := firstRecordEnd(b, i); end >= 0 {
		return end
	}
	if s.eof && len(s.buf) <= s.max {
		return len(s.buf)
	}
	return -1
}

// firstRecordEnd returns the end (just past its line feed) of the record
// that starts at from in b, or -1 when it does not end within b.
func firstRecordEnd(b []byte, from int) int {
	return recordEnd(b, from, 1)
}

// recordEnd returns the end of the last whole record of b[from:] (records
// start at from), the n-th at most when n is above 0, or -1 when the first
// does not end within b.
func recordEnd(b []byte, from int, n int) int {
	last := -1
	quoted := false
	i, q := from, -1 // q: the next quote at or after i (len(b): none); -1 unknown
	for i < len(b) {
		if quoted {
			j := bytes.IndexByte(b[i:], '"')
			if j < 0 {
				break
			}
			i, quoted, q = i+j+1, false, -1
			continue
		}
		if q < i {
			if j := bytes.IndexByte(b[i:], '"'); j >= 0 {
				q = i + j
			} else {
				q = len(b)
			}
		}
		if j := bytes.IndexByte(b[i:q], '\n'); j >= 0 {
			i = i + j + 1
			last = i
			if n--; n == 0 {
				return last
			}
			continue
		}
		if q == len(b) {
			break
		}
		i, quoted = q+1, true
	}
	return last
}

// readInto reads r into buf's spare capacity until it is full or r ends,
// and returns buf grown and whether r ended: the splitters' refill.
func readInto(r io.Reader, buf []byte) ([]byte, bool, error) {
	for len(buf) < cap(buf) {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, true, nil
		}
		if err != nil {
			return buf, false, err
		}
	}
	return buf, false, nil
}
