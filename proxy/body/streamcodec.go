package body

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
)

// A body too large to hold in memory is decoded and re-encoded as it
// streams: NewDecoder reads what ReadAll reads, without a limit (the
// caller bounds what it keeps), and StreamEncoder writes what Encode
// writes, a piece at a time.

// NewDecoder returns a reader of r decoded according to enc (a
// Content-Encoding value, as ReadAll takes it): every gzip member, zlib or
// raw DEFLATE for "deflate", bytes after a zlib or DEFLATE stream refused.
// Its errors are ReadAll's: ErrUnsupportedEncoding for a coding it cannot
// decode, a corrupt or truncated stream named by its coding, and any error
// of r as it is.
func NewDecoder(r io.Reader, enc string) (io.Reader, error) {
	c, err := parseEncoding(enc)
	if err != nil {
		return nil, err
	}
	if c == identity {
		return r, nil
	}
	return &streamDecoder{c: c, br: bufio.NewReaderSize(r, 4096)}, nil
}

// streamDecoder starts its decompressor at the first Read, so that making
// one reads nothing.
type streamDecoder struct {
	c   coding
	br  *bufio.Reader
	dec io.Reader
	err error
}

func (d *streamDecoder) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if d.dec == nil {
		if d.err = d.start(); d.err != nil {
			return 0, d.err
		}
	}
	n, err := d.dec.Read(p)
	switch {
	case err == io.EOF && d.c == gzipCoding:
		d.err = io.EOF // gzip refuses trailing bytes itself
	case err == io.EOF:
		// zlib and DEFLATE stop at the end of their stream: bytes after
		// it have no business in a body (ReadAll refuses them too).
		switch _, e := d.br.ReadByte(); e {
		case io.EOF:
			d.err = io.EOF
		case nil:
			d.err = decodeError(d.c, errAfterStream)
		default:
			d.err = e
		}
	case err != nil:
		d.err = decodeError(d.c, err)
	}
	return n, d.err
}

func (d *streamDecoder) start() error {
	hdr, err := d.br.Peek(2)
	switch {
	case len(hdr) == 0 && err == io.EOF:
		d.dec = eofReader{} // no body at all: nothing was encoded
		return nil
	case len(hdr) == 0:
		return err
	case d.c == gzipCoding:
		zr, err := gzip.NewReader(d.br)
		if err != nil {
			return decodeError(d.c, err)
		}
		d.dec = zr
	case isZlibHeader(hdr):
		zr, err := zlib.NewReader(d.br)
		if err != nil {
			return decodeError(d.c, err)
		}
		d.dec = zr
	default:
		d.dec = flate.NewReader(d.br)
	}
	return nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// StreamEncoder encodes a body a piece at a time, as Encode encodes it
// whole (gzip, or zlib for "deflate", at their fastest level). Flush sends
// what was written so far on to the writer; Close ends the stream.
type StreamEncoder struct {
	c  coding
	gz *gzip.Writer
	zl *zlib.Writer
}

// NewEncoder returns an encoder writing to w, or nil for no encoding at
// all (the caller writes to w itself).
func NewEncoder(w io.Writer, enc string) (*StreamEncoder, error) {
	c, err := parseEncoding(enc)
	if err != nil || c == identity {
		return nil, err
	}
	e := &StreamEncoder{c: c}
	switch c {
	case gzipCoding:
		e.gz = gzipWriters.Get().(*gzip.Writer)
		e.gz.Reset(w)
	case deflateCoding:
		e.zl = zlibWriters.Get().(*zlib.Writer)
		e.zl.Reset(w)
	}
	return e, nil
}

func (e *StreamEncoder) Write(p []byte) (int, error) {
	if e.gz != nil {
		return e.gz.Write(p)
	}
	return e.zl.Write(p)
}

// Flush writes everything written so far to the writer.
func (e *StreamEncoder) Flush() error {
	if e.gz != nil {
		return e.gz.Flush()
	}
	return e.zl.Flush()
}

// Close ends the stream (its trailer goes to the writer) and gives the
// compressor back to the pool; the encoder is not used after.
func (e *StreamEncoder) Close() error {
	var err error
	switch {
	case e.gz != nil:
		err = e.gz.Close()
		e.gz.Reset(io.Discard) // the pool keeps no hold on the caller's writer
		gzipWriters.Put(e.gz)
		e.gz = nil
	case e.zl != nil:
		err = e.zl.Close()
		e.zl.Reset(io.Discard)
		zlibWriters.Put(e.zl)
		e.zl = nil
	}
	return err
}

// Release gives the compressor back to the pool without ending the stream
// (a stream abandoned half way); the encoder is not used after.
func (e *StreamEncoder) Release() {
	switch {
	case e.gz != nil:
		e.gz.Reset(io.Discard)
		gzipWriters.Put(e.gz)
		e.gz = nil
	case e.zl != nil:
		e.zl.Reset(io.Discard)
		zlibWriters.Put(e.zl)
		e.zl = nil
	}
}
