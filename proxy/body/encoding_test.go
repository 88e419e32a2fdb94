package body

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func rawDeflated(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestSpeed)
	fw.Write(b)
	fw.Close()
	return buf.Bytes()
}

func TestEncodeReadAllRoundTrip(t *testing.T) {
	doc := salesforcePage(30)
	for _, enc := range []string{"", "identity", "gzip", "GZip", "x-gzip", "deflate", "gzip, identity", " identity , deflate "} {
		wire, err := Encode([]byte("pre"), doc, enc)
		if err != nil {
			t.Fatalf("Encode(%q): %v", enc, err)
		}
		if string(wire[:3]) != "pre" {
			t.Fatalf("Encode(%q) did not append to dst", enc)
		}
		got, err := ReadAll(bytes.NewReader(wire[3:]), enc, int64(len(doc)))
		if err != nil || !bytes.Equal(got, doc) {
			t.Errorf("ReadAll(Encode(%q)) = %d bytes, %v; want the %d bytes back", enc, len(got), err, len(doc))
		}
		if _, err := ReadAll(bytes.NewReader(wire[3:]), enc, int64(len(doc))-1); !errors.Is(err, ErrTooLarge) {
			t.Errorf("ReadAll(%q) one byte under the size: %v, want ErrTooLarge", enc, err)
		}
	}
}

func TestReadAllEncodings(t *testing.T) {
	doc := []byte(`{"Email":"ana@example.com"}`)
	gz := gzipped(t, doc)
	var zl bytes.Buffer
	zw := zlib.NewWriter(&zl)
	zw.Write(doc)
	zw.Close()
	tests := []struct {
		name  string
		wire  []byte
		enc   string
		limit int64
		want  []byte
		err   error // nil: want success; errAny: any error
	}{
		{"identity", doc, "", 100, doc, nil},
		{"identity at limit", doc, "identity", int64(len(doc)), doc, nil},
		{"identity over limit", doc, "", int64(len(doc)) - 1, nil, ErrTooLarge},
		{"no real limit", doc, "", math.MaxInt64, doc, nil},
		{"gzip no real limit", gz, "gzip", math.MaxInt64, doc, nil},
		{"negative limit", doc, "", -5, nil, ErrTooLarge},
		{"empty identity", nil, "", 0, []byte{}, nil},
		{"gzip", gz, "gzip", 100, doc, nil},
		{"two gzip members", append(gzipped(t, doc[:5]), gzipped(t, doc[5:])...), "gzip", 100, doc, nil},
		{"gzip wire over limit", gz, "gzip", int64(len(gz)) - 1, nil, ErrTooLarge},
		{"zlib deflate", zl.Bytes(), "deflate", 100, doc, nil},
		{"raw deflate", rawDeflated(t, doc), "Deflate", 100, doc, nil},
		{"truncated gzip", gz[:len(gz)-6], "gzip", 100, nil, errAny},
		{"gzip bad checksum", append(gz[:len(gz)-8:len(gz)-8], 1, 2, 3, 4, 27, 0, 0, 0), "gzip", 100, nil, errAny},
		{"gzip garbage after", append(gz[:len(gz):len(gz)], "junk"...), "gzip", 100, nil, errAny},
		{"not gzip", doc, "gzip", 100, nil, errAny},
		{"empty gzip", nil, "gzip", 100, []byte{}, nil},
		{"empty deflate", nil, "deflate", 0, []byte{}, nil},
		{"one byte gzip", []byte{0x1f}, "gzip", 100, nil, errAny},
		{"truncated deflate", zl.Bytes()[:zl.Len()-3], "deflate", 100, nil, errAny},
		{"deflate garbage after", append(zl.Bytes(), 'x'), "deflate", 100, nil, errAny},
		{"gzip limit zero", gz, "gzip", 0, nil, ErrTooLarge},
		{"deflate limit zero", zl.Bytes(), "deflate", 0, nil, ErrTooLarge},
		{"brotli", doc, "br", 100, nil, ErrUnsupportedEncoding},
		{"zstd", doc, "zstd", 100, nil, ErrUnsupportedEncoding},
		{"stacked", gz, "gzip, gzip", 100, nil, ErrUnsupportedEncoding},
		{"stacked mixed", gz, "deflate, gzip", 100, nil, ErrUnsupportedEncoding},
		{"unknown in list", gz, "gzip, compress", 100, nil, ErrUnsupportedEncoding},
	}
	for _, tt := range tests {
		got, err := ReadAll(bytes.NewReader(tt.wire), tt.enc, tt.limit)
		switch {
		case tt.err == nil && (err != nil || !bytes.Equal(got, tt.want) || got == nil):
			t.Errorf("%s: got %q, %v; want %q", tt.name, got, err, tt.want)
		case tt.err == errAny && err == nil:
			t.Errorf("%s: no error", tt.name)
		case tt.err != nil && tt.err != errAny && !errors.Is(err, tt.err):
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.err)
		}
		if err != nil && got != nil {
			t.Errorf("%s: data returned with an error", tt.name)
		}
		if err != nil && strings.Contains(err.Error(), "example") {
			t.Errorf("%s: error %q holds body bytes", tt.name, err)
		}
	}
	if ErrorCode(ErrTooLarge) != CodeBodyTooLarge || ErrorCode(ErrUnsupportedEncoding) != CodeUnsupportedEncoding || ErrorCode(io.EOF) != "" {
		t.Error("ErrorCode does not map the sentinels")
	}
}

var errAny = errors.New("any error")

// zeros is an endless reader of zero bytes.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), z.n)]
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

// A gigabyte of zeros gzipped is about a megabyte: ReadAll must stop at the
// limit after decoding, quickly and without holding the gigabyte. The bomb
// is 1024 gzip members of a megabyte of zeros each, which a gzip reader
// decodes as one stream and which takes no time to build.
func TestReadAllGzipBomb(t *testing.T) {
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	if _, err := io.Copy(zw, &zeros{n: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	bomb := bytes.Repeat(member.Bytes(), 1024)
	const limit = 8 << 20
	start := time.Now()
	got, err := ReadAll(bytes.NewReader(bomb), "gzip", limit)
	if !errors.Is(err, ErrTooLarge) || got != nil {
		t.Fatalf("ReadAll(bomb) = %d bytes, %v; want ErrTooLarge", len(got), err)
	}
	t.Logf("%d-byte bomb refused in %v", len(bomb), time.Since(start))
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("ReadAll(bomb) took %v", d)
	}
	// Under the limit the same members decode fine.
	got, err = ReadAll(bytes.NewReader(bomb[:4*member.Len()]), "gzip", limit)
	if err != nil || len(got) != 4<<20 {
		t.Errorf("4 MB of zeros: %d bytes, %v", len(got), err)
	}
}

func TestIsJSON(t *testing.T) {
	tests := []struct {
		ct   string
		want bool
	}{
		{"application/json", true},
		{"application/json;charset=UTF-8", true},
		{"Application/JSON; charset=utf-8", true},
		{"application/vnd.api+json", true},
		{"application/merge-patch+json; charset=utf-8", true},
		{"application/json; =broken", true}, // a broken parameter does not hide the type
		{"application/+json", false},
		{"application/jsonx", false},
		{"application/x-ndjson", false},
		{"text/json", false},
		{"text/plain; note=application/json", false},
		{"multipart/form-data; boundary=application/json", false},
		{"application/json-seq", false},
		{"", false},
		{"application", false},
	}
	for _, tt := range tests {
		if got := IsJSON(tt.ct); got != tt.want {
			t.Errorf("IsJSON(%q) = %v, want %v", tt.ct, got, tt.want)
		}
	}
}

func TestEncodeUnsupported(t *testing.T) {
	dst := []byte("keep")
	out, err := Encode(dst, []byte("{}"), "br")
	if !errors.Is(err, ErrUnsupportedEncoding) || string(out) != "keep" {
		t.Errorf("Encode(br) = %q, %v", out, err)
	}
}

// Pooled writers and readers are reused safely across calls.
func TestEncodeReusesPools(t *testing.T) {
	for i := range 20 {
		doc := salesforcePage(i + 1)
		wire, err := Encode(nil, doc, "gzip")
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadAll(bytes.NewReader(wire), "gzip", 1<<20)
		if err != nil || !bytes.Equal(got, doc) {
			t.Fatalf("round %d: %v", i, err)
		}
	}
}

func TestPrefixDecodesTheStartOrSaysItCannot(t *testing.T) {
	doc := `{"Description":"pay with 4111 1111 1111 1111"}`
	gz := func(s string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = io.WriteString(zw, s)
		_ = zw.Close()
		return b.Bytes()
	}
	if out, end := Prefix(gz(doc), "gzip", 512); string(out) != doc || !end {
		t.Errorf("gzip: %q %v", out, end)
	}
	// An empty member ahead of the data: every member is read.
	if out, end := Prefix(append(gz(""), gz(doc)...), "gzip", 512); string(out) != doc || !end {
		t.Errorf("empty member first: %q %v", out, end)
	}
	// A long prefix decodes to n bytes, not the end.
	if out, end := Prefix(gz(strings.Repeat(" ", 4096)+doc), "gzip", 512); len(out) != 512 || end {
		t.Errorf("long: %d %v", len(out), end)
	}
	// Empty stored blocks ahead of the data, cut off: nothing to tell by.
	var fl bytes.Buffer
	for i := 0; i < 200; i++ {
		fl.Write([]byte{0x00, 0x00, 0x00, 0xff, 0xff}) // empty stored block, not final
	}
	if out, end := Prefix(fl.Bytes(), "deflate", 512); len(out) != 0 || end {
		t.Errorf("empty blocks: %q %v", out, end)
	}
	// A gzip header longer than the head (FEXTRA): cannot be told.
	hdr := []byte{0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff}
	if out, end := Prefix(append(hdr, make([]byte, 100)...), "gzip", 512); len(out) != 0 || end {
		t.Errorf("long header: %q %v", out, end)
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, _ = io.WriteString(zw, doc)
	_ = zw.Close()
	if out, end := Prefix(z.Bytes(), "identity, deflate", 512); string(out) != doc || !end {
		t.Errorf("zlib: %q %v", out, end)
	}
	if out, end := Prefix(gz(doc), "br", 512); out != nil || end {
		t.Errorf("br: %q %v", out, end)
	}
}
