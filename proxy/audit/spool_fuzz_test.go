package audit_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"

	"github.com/veil-proxy/veil/proxy/audit"
)

func frame(p string) []byte {
	var h [8]byte
	binary.BigEndian.PutUint32(h[:4], uint32(len(p)))
	binary.BigEndian.PutUint32(h[4:], crc32.Checksum([]byte(p), crc32.MakeTable(crc32.Castagnoli)))
	return append(h[:], p...)
}

func TestReadSpoolDamage(t *testing.T) {
	good := append(frame(`{"seq":1}`), frame(`{"seq":2}`)...)
	for _, tc := range []struct {
		name string
		data []byte
		n    int
		want error
	}{
		{"whole", good, 2, nil},
		{"empty", nil, 0, nil},
		{"short header", append(append([]byte{}, good...), 0, 0, 0), 2, audit.ErrSpoolTruncated},
		{"short payload", good[:len(good)-3], 1, audit.ErrSpoolTruncated},
		{"bad checksum", append(append([]byte{}, good[:len(good)-1]...), '!'), 1, audit.ErrSpoolCorrupt},
		{"zero length", append(append([]byte{}, good...), 0, 0, 0, 0, 0, 0, 0, 0), 2, audit.ErrSpoolCorrupt},
		{"huge length", append(append([]byte{}, good...), 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0), 2, audit.ErrSpoolCorrupt},
	} {
		n := 0
		off, err := audit.ReadSpool(bytes.NewReader(tc.data), 0, func([]byte, int64) error { n++; return nil })
		var se *audit.SpoolError
		if n != tc.n || !errors.Is(err, tc.want) || (tc.want != nil && (!errors.As(err, &se) || se.Offset != off)) {
			t.Errorf("%s: %d frames, %v at %d", tc.name, n, err, off)
		}
	}
}

// FuzzReadSpool: any bytes read back as a spool give good frames then, at
// most, one clear error at the offset where they stop; never a panic,
// and the good frames re-encode to exactly the bytes before that offset.
func FuzzReadSpool(f *testing.F) {
	f.Add(append(frame(`{"seq":1}`), frame(`{"seq":2,"instance":"a"}`)...))
	f.Add(frame(`{}`)[:5])
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0, 'x'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var again []byte
		off, err := audit.ReadSpool(bytes.NewReader(data), 0, func(p []byte, end int64) error {
			again = append(again, frame(string(p))...)
			if int64(len(again)) != end {
				t.Fatalf("end %d, re-encoded %d", end, len(again))
			}
			return nil
		})
		if off < 0 || off > int64(len(data)) || !bytes.Equal(again, data[:off]) {
			t.Fatalf("offset %d of %d; good frames do not re-encode to the prefix", off, len(data))
		}
		if err == nil && off != int64(len(data)) {
			t.Fatalf("stopped at %d of %d without an error", off, len(data))
		}
		if err != nil && !errors.Is(err, audit.ErrSpoolTruncated) && !errors.Is(err, audit.ErrSpoolCorrupt) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}
