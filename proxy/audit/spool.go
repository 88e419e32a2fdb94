package audit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Spool records. The spool is an append-only file of frames:
//
//	length uint32 (big endian) | CRC-32C of the payload uint32 | payload
//
// where the payload is the event's (or alert's) stored JSON. A frame cut
// short (a crash mid-append) is ErrSpoolTruncated; a frame whose length
// or checksum is wrong is ErrSpoolCorrupt. Both name the offset of the
// first bad frame; the frames before it are good.

const frameHeader = 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Errors reading a spool.
var (
	ErrSpoolTruncated = errors.New("audit spool: truncated frame")
	ErrSpoolCorrupt   = errors.New("audit spool: corrupt frame")
)

// SpoolError is a bad frame at Offset.
type SpoolError struct {
	Offset int64
	Err    error // ErrSpoolTruncated or ErrSpoolCorrupt
	Why    string
}

func (e *SpoolError) Error() string {
	return fmt.Sprintf("%v at offset %d: %s", e.Err, e.Offset, e.Why)
}

func (e *SpoolError) Unwrap() error { return e.Err }

// appendFrame appends one frame holding payload to dst.
func appendFrame(dst, payload []byte) []byte {
	var h [frameHeader]byte
	binary.BigEndian.PutUint32(h[:4], uint32(len(payload)))
	binary.BigEndian.PutUint32(h[4:], crc32.Checksum(payload, castagnoli))
	dst = append(dst, h[:]...)
	return append(dst, payload...)
}

// ReadSpool calls fn with each good frame's payload of r, in order, with
// the offset just past it, until max frames (0: all), the end, or the
// first bad frame, which is a *SpoolError. fn must not keep payload. It
// returns the offset just past the last good frame.
func ReadSpool(r io.Reader, max int, fn func(payload []byte, end int64) error) (int64, error) {
	var (
		off int64
		h   [frameHeader]byte
		buf []byte
	)
	for n := 0; max == 0 || n < max; n++ {
		k, err := io.ReadFull(r, h[:])
		switch {
		case err == io.EOF:
			return off, nil
		case errors.Is(err, io.ErrUnexpectedEOF):
			return off, &SpoolError{Offset: off, Err: ErrSpoolTruncated, Why: fmt.Sprintf("%d of %d header bytes", k, frameHeader)}
		case err != nil:
			return off, err
		}
		size := binary.BigEndian.Uint32(h[:4])
		if size == 0 || size > MaxLine {
			return off, &SpoolError{Offset: off, Err: ErrSpoolCorrupt, Why: fmt.Sprintf("frame length %d", size)}
		}
		if cap(buf) < int(size) {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		if k, err := io.ReadFull(r, buf); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
				return off, &SpoolError{Offset: off, Err: ErrSpoolTruncated, Why: fmt.Sprintf("%d of %d payload bytes", k, size)}
			}
			return off, err
		}
		if crc32.Checksum(buf, castagnoli) != binary.BigEndian.Uint32(h[4:]) {
			return off, &SpoolError{Offset: off, Err: ErrSpoolCorrupt, Why: "checksum mismatch"}
		}
		off += frameHeader + int64(size)
		if err := fn(buf, off); err != nil {
			return off, err
		}
	}
	return off, nil
}
