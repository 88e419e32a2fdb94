package body

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
)

// NewDecoder reads what ReadAll reads, and refuses what it refuses.
func TestDecoderMatchesReadAll(t *testing.T) {
	plain := strings.Repeat("Id,Email\n003,a@b.c\n", 500)
	gz, _ := Encode(nil, []byte(plain), "gzip")
	zl, _ := Encode(nil, []byte(plain), "deflate")
	var raw bytes.Buffer
	fw, _ := flate.NewWriter(&raw, flate.BestSpeed)
	_, _ = io.WriteString(fw, plain)
	_ = fw.Close()
	half := len(gz) / 2
	cases := []struct {
		name, enc string
		wire      []byte
		ok        bool
	}{
		{"identity", "", []byte(plain), true},
		{"gzip", "gzip", gz, true},
		{"two gzip members", "x-gzip", append(append([]byte(nil), gz[:len(gz):len(gz)]...), gz...), true},
		{"zlib", "deflate", zl, true},
		{"raw deflate", "deflate", raw.Bytes(), true},
		{"bytes after a zlib stream", "deflate", append(append([]byte(nil), zl...), 'x'), false},
		{"bytes after a gzip stream", "gzip", append(append([]byte(nil), gz...), "junk"...), false},
		{"gzip cut short", "gzip", gz[:half], false},
		{"br", "br", gz, false},
	}
	for _, c := range cases {
		whole, wholeErr := ReadAll(bytes.NewReader(c.wire), c.enc, 1<<30)
		var got []byte
		d, err := NewDecoder(&dribble{bytes.NewReader(c.wire), 7}, c.enc)
		if err == nil {
			got, err = io.ReadAll(d)
		}
		if (err == nil) != c.ok || (wholeErr == nil) != c.ok {
			t.Errorf("%s: stream %v, ReadAll %v, want ok %v", c.name, err, wholeErr, c.ok)
			continue
		}
		want := plain
		if c.name == "two gzip members" {
			want += plain
		}
		if c.ok && (!bytes.Equal(got, []byte(want)) || !bytes.Equal(whole, got)) {
			t.Errorf("%s: decoded %d bytes, want %d", c.name, len(got), len(want))
		}
		if c.enc == "br" && !errors.Is(err, ErrUnsupportedEncoding) {
			t.Errorf("br: %v", err)
		}
	}
}

// A StreamEncoder's output, flushed piece by piece, decodes to the
// pieces; identity is no encoder at all.
func TestStreamEncoderRoundTrip(t *testing.T) {
	for _, enc := range []string{"gzip", "deflate"} {
		var out bytes.Buffer
		e, err := NewEncoder(&out, enc)
		if err != nil || e == nil {
			t.Fatalf("%s: %v", enc, err)
		}
		var want bytes.Buffer
		for i := range 50 {
			piece := strings.Repeat(string(rune('a'+i%26)), 1000+i)
			want.WriteString(piece)
			_, _ = e.Write([]byte(piece))
			if err := e.Flush(); err != nil {
				t.Fatal(err)
			}
			// What was flushed decodes already: the client gets each piece
			// as it is ready.
			d, _ := NewDecoder(bytes.NewReader(out.Bytes()), enc)
			if got, _ := io.ReadAll(d); !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("%s: after piece %d, %d bytes decode, want %d", enc, i, len(got), want.Len())
			}
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := ReadAll(bytes.NewReader(out.Bytes()), enc, 1<<30)
		if err != nil || !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("%s: %v, %d bytes", enc, err, len(got))
		}
		if enc == "gzip" {
			if _, err := gzip.NewReader(bytes.NewReader(out.Bytes())); err != nil {
				t.Fatal(err)
			}
		}
	}
	if e, err := NewEncoder(io.Discard, "identity"); e != nil || err != nil {
		t.Errorf("identity: %v %v", e, err)
	}
	if _, err := NewEncoder(io.Discard, "br"); !errors.Is(err, ErrUnsupportedEncoding) {
		t.Errorf("br: %v", err)
	}
}
