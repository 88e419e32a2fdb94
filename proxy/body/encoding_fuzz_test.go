package body

import (
	"bytes"
	"compress/zlib"
	"testing"
)

// FuzzPrefix: Prefix decides how a request body under a non-JSON label is
// sniffed (proxy.sniffJSON), so what it returns must be the true start of
// the body as ReadAll (and so the inspection) reads it: never more than n
// bytes, always a prefix of ReadAll's decoding; for a body ReadAll reads
// whole, exactly its first n bytes, and the end reported when the whole
// decoding is shorter than n. Under identity it is head cut at n.
func FuzzPrefix(f *testing.F) {
	docs := [][]byte{[]byte(fuzzDocs[1]), []byte(" \n{\"a\":1}"), []byte("grant_type=password&username=a%40b.c"), {}, bytes.Repeat([]byte(" "), 600)}
	for _, doc := range docs {
		for _, enc := range []string{"", "gzip", "deflate", "x-gzip, identity"} {
			wire, _ := Encode(nil, doc, enc)
			f.Add(wire, enc, uint16(512))
			f.Add(wire, enc, uint16(len(doc)))
			f.Add(wire[:len(wire)/2], enc, uint16(8))
		}
		f.Add(rawDeflated(f, doc), "deflate", uint16(512))
	}
	// Two gzip members, and a zlib stream with bytes after its end.
	gz := gzipped(f, []byte(`{"a":`))
	f.Add(append(gz, gzipped(f, []byte(`1}`))...), "gzip", uint16(512))
	var zl bytes.Buffer
	zw := zlib.NewWriter(&zl)
	zw.Write([]byte(`{"Email":"ana@example.com"}`))
	zw.Close()
	f.Add(append(zl.Bytes(), "trailing"...), "deflate", uint16(512))
	f.Add([]byte{0x78, 0x9c}, "deflate", uint16(512))
	f.Add([]byte("{}"), "br", uint16(512))

	f.Fuzz(func(t *testing.T, head []byte, enc string, n16 uint16) {
		n := int(n16 % 8192)
		out, end := Prefix(head, enc, n)
		if len(out) > n {
			t.Fatalf("%d bytes out, n = %d", len(out), n)
		}
		c, err := parseEncoding(enc)
		if err != nil {
			if out != nil || end {
				t.Fatalf("unsupported %q decoded to %d bytes (end %v)", enc, len(out), end)
			}
			return
		}
		if c == identity {
			if !bytes.Equal(out, head[:min(n, len(head))]) || end != (len(head) <= n) {
				t.Fatalf("identity: %d of %d bytes, end %v, n %d", len(out), len(head), end, n)
			}
			return
		}
		whole, err := ReadAll(bytes.NewReader(head), enc, 1<<22)
		if err != nil {
			// ReadAll refuses it whole (corrupt, cut short, bytes after the
			// end): what Prefix read is still the start of what decodes.
			return
		}
		if len(head) == 0 {
			return // no body: ReadAll's empty body, nothing for Prefix to decode
		}
		if want := whole[:min(n, len(whole))]; !bytes.Equal(out, want) {
			t.Fatalf("%s: Prefix gives %d bytes %q, the body starts %q (%d bytes)", enc, len(out), trunc(out), trunc(want), len(whole))
		}
		if len(whole) < n && !end {
			t.Fatalf("%s: the whole %d-byte body decoded under n = %d without end", enc, len(whole), n)
		}
		if end && len(whole) > n {
			t.Fatalf("%s: end after %d of %d bytes", enc, len(out), len(whole))
		}
	})
}

func trunc(b []byte) []byte { return b[:min(len(b), 64)] }
