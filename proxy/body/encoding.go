package body

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"strings"
	"sync"
)

// coding is a Content-Encoding Veil reads and writes.
type coding uint8

const (
	identity coding = iota
	gzipCoding
	deflateCoding
)

// parseEncoding reads a Content-Encoding header value. Names are
// case-insensitive and "identity" (or nothing) means no coding. A list
// ("gzip, identity") is accepted as long as at most one real coding is in
// it: stacked codings are legal but no CRM sends them, and decoding each
// layer would multiply the work an attacker can ask for.
func parseEncoding(enc string) (coding, error) {
	c := identity
	for name := range strings.SplitSeq(enc, ",") {
		var next coding
		switch name = strings.TrimSpace(name); {
		case name == "" || strings.EqualFold(name, "identity"):
			continue
		case strings.EqualFold(name, "gzip") || strings.EqualFold(name, "x-gzip"):
			next = gzipCoding
		case strings.EqualFold(name, "deflate"):
			next = deflateCoding
		default:
			return identity, ErrUnsupportedEncoding
		}
		if c != identity {
			return identity, ErrUnsupportedEncoding
		}
		c = next
	}
	return c, nil
}

// ReadAll reads r to its end and decodes it according to enc (a
// Content-Encoding value: gzip, x-gzip, deflate, identity or ""). At most
// limit bytes are read from r and at most limit bytes may come out of the
// decoder: past either it stops and returns ErrTooLarge, so a gzip bomb
// costs limit+1 decoded bytes. An encoding it cannot decode is
// ErrUnsupportedEncoding. A corrupt or truncated stream, or bytes after its
// end, is an error too; an empty one is an empty body. "deflate" is read as
// zlib (RFC 9110) or, as some servers send it, raw DEFLATE.
func ReadAll(r io.Reader, enc string, limit int64) ([]byte, error) {
	c, err := parseEncoding(enc)
	if err != nil {
		return nil, err
	}
	limit = min(max(limit, 0), math.MaxInt64-1) // limit+1 must not overflow
	raw := &capReader{r: r, left: limit}
	if c == identity {
		return readLimited(raw, limit)
	}
	d := decoders.Get().(*decoder)
	defer d.release()
	d.br.Reset(raw)
	b, err := d.decode(c, limit)
	if err != nil {
		return nil, decodeError(c, err)
	}
	return b, nil
}

// decoder is the pooled state of one decoding.
type decoder struct {
	br *bufio.Reader // over the raw body; decompressors read it byte by byte
	gz gzip.Reader
	fl io.ReadCloser // raw DEFLATE
	zl io.ReadCloser // zlib; made at first use, for zlib cannot wait for input
}

var decoders = sync.Pool{New: func() any {
	return &decoder{br: bufio.NewReaderSize(nil, 4096), fl: flate.NewReader(nil)}
}}

// release returns d to the pool without its hold on the body.
func (d *decoder) release() {
	d.br.Reset(nil)
	decoders.Put(d)
}

func (d *decoder) decode(c coding, limit int64) ([]byte, error) {
	var dec io.Reader
	hdr, err := d.br.Peek(2)
	switch {
	case len(hdr) == 0 && err == io.EOF:
		return []byte{}, nil // no body at all: nothing was encoded
	case c == gzipCoding:
		if err := d.gz.Reset(d.br); err != nil {
			return nil, err
		}
		dec = &d.gz
	case isZlibHeader(hdr):
		if d.zl == nil {
			d.zl, err = zlib.NewReader(d.br)
		} else {
			err = d.zl.(zlib.Resetter).Reset(d.br, nil)
		}
		if err != nil {
			return nil, err
		}
		dec = d.zl
	default:
		if err := d.fl.(flate.Resetter).Reset(d.br, nil); err != nil {
			return nil, err
		}
		dec = d.fl
	}
	b, err := readLimited(dec, limit)
	if err != nil {
		return nil, err
	}
	// gzip reads on to the next member, so it refuses trailing bytes
	// itself; zlib and DEFLATE stop at the end of their stream and would
	// ignore them. Bytes that no one reads have no business in a body.
	switch _, err := d.br.ReadByte(); err {
	case io.EOF:
		return b, nil
	case nil:
		return nil, errAfterStream
	default:
		return nil, err
	}
}

var errAfterStream = errors.New("data after the end of the stream")

// isZlibHeader reports whether b starts a zlib stream (RFC 1950): DEFLATE
// method, a window size DEFLATE allows, and the header check.
func isZlibHeader(b []byte) bool {
	return len(b) == 2 && b[0]&0x0f == 8 && b[0]>>4 <= 7 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0
}

// decodeError keeps ErrTooLarge recognisable and names the coding of any
// other error; neither carries body bytes.
func decodeError(c coding, err error) error {
	if errors.Is(err, ErrTooLarge) {
		return err
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF // a stream cut short
	}
	name := "gzip"
	if c == deflateCoding {
		name = "deflate"
	}
	return fmt.Errorf("body: %s: %w", name, err)
}

// capReader returns ErrTooLarge once r has given more than left bytes.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < int64(len(p)) {
		p = p[:c.left+1] // one byte more tells "too large" from "exactly full"
	}
	n, err := c.r.Read(p)
	if c.left -= int64(n); c.left < 0 {
		return n, ErrTooLarge
	}
	return n, err
}

// readLimited reads r to its end, or returns ErrTooLarge when it has more
// than limit bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b := make([]byte, 0, min(limit+1, 32<<10))
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
			if int64(cap(b)) > limit+1 {
				b = b[: len(b) : limit+1]
			}
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			return nil, ErrTooLarge
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

var (
	gzipWriters = sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
		return w
	}}
	zlibWriters = sync.Pool{New: func() any {
		w, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed)
		return w
	}}
)

// Encode appends b encoded with enc (as ReadAll reads it) to dst: gzip and
// deflate (zlib) at their fastest level, since a response is compressed
// once and sent at once. With no encoding and a nil dst it returns b
// itself rather than a copy.
func Encode(dst []byte, b []byte, enc string) ([]byte, error) {
	c, err := parseEncoding(enc)
	if err != nil {
		return dst, err
	}
	if c == identity && dst == nil {
		return b, nil
	}
	out := &appendWriter{b: dst}
	switch c {
	case gzipCoding:
		zw := gzipWriters.Get().(*gzip.Writer)
		defer gzipWriters.Put(zw)
		zw.Reset(out)
		return finish(dst, out, zw, b)
	case deflateCoding:
		zw := zlibWriters.Get().(*zlib.Writer)
		defer zlibWriters.Put(zw)
		zw.Reset(out)
		return finish(dst, out, zw, b)
	}
	return append(dst, b...), nil
}

func finish(dst []byte, out *appendWriter, zw io.WriteCloser, b []byte) ([]byte, error) {
	if _, err := zw.Write(b); err != nil {
		return dst, err
	}
	if err := zw.Close(); err != nil {
		return dst, err
	}
	encoded := out.b
	out.b = nil // the pooled writer keeps out, not the body
	return encoded, nil
}

type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// IsJSON reports whether a Content-Type names a JSON document:
// application/json or application/<anything>+json, with any parameters.
// A malformed parameter does not hide the media type: a body an attacker
// labels "application/json; =" is still inspected.
func IsJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		return false
	}
	return IsJSONMediaType(mt)
}

// IsJSONMediaType is IsJSON for a media type already parsed (lower case,
// without parameters).
func IsJSONMediaType(mt string) bool {
	sub, ok := strings.CutPrefix(mt, "application/")
	return ok && (sub == "json" || len(sub) > len("+json") && strings.HasSuffix(sub, "+json"))
}

// Prefix decodes the start of a body encoded with enc from head, its first
// bytes, to at most n bytes: enough to tell what the body is. end reports
// that the decoder met the end of head cleanly (a stream, or gzip members,
// ending there): when head is the whole body, out is its whole decoding.
// A head that decodes to fewer than n bytes without end cannot be told
// apart (a long header or empty blocks ahead of the data). An encoding
// ReadAll does not read decodes to nothing.
func Prefix(head []byte, enc string, n int) (out []byte, end bool) {
	c, err := parseEncoding(enc)
	if err != nil {
		return nil, false
	}
	if c == identity {
		return head[:min(n, len(head))], len(head) <= n
	}
	var dec io.Reader
	src := bytes.NewReader(head)
	switch {
	case c == gzipCoding:
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, false
		}
		dec = zr // every member, as ReadAll reads them
	case isZlibHeader(head[:min(2, len(head))]):
		zr, err := zlib.NewReader(src)
		if err != nil {
			return nil, false
		}
		dec = zr
	default:
		dec = flate.NewReader(src)
	}
	out = make([]byte, n)
	k := 0
	for k < n {
		m, err := dec.Read(out[k:])
		k += m
		if err == io.EOF {
			return out[:k], true
		}
		if err != nil {
			return out[:k], false
		}
	}
	return out[:k], false
}
