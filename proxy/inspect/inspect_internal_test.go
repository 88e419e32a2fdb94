package inspect

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/veil-proxy/veil/proxy/pipeline"
)

// readAtMost reads what is there whatever the declared length says, and
// never past the limit.
func TestReadAtMost(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 100) // 1000 bytes
	for _, tc := range []struct {
		name          string
		limit, length int64
		want          int
	}{
		{"declared right", 2000, 1000, 1000},
		{"declared short", 2000, 10, 1000},
		{"declared long", 2000, 1500, 1000},
		{"unknown", 2000, -1, 1000},
		{"at the limit", 1001, 1000, 1000},
		{"over the limit", 500, 400, 500},
		{"declared over the limit", 500, 1000, 500},
	} {
		for _, pooled := range []bool{false, true} {
			got, err := readAtMost(iotest.HalfReader(bytes.NewReader(body)), tc.limit, tc.length, pooled)
			if err != nil || len(got) != tc.want || !bytes.Equal(got, body[:tc.want]) {
				t.Errorf("%s (pooled %v): %d bytes, %v; want %d", tc.name, pooled, len(got), err, tc.want)
			}
		}
	}
	boom := errors.New("boom")
	if _, err := readAtMost(io.MultiReader(bytes.NewReader(body[:10]), iotest.ErrReader(boom)), 100, 50, false); !errors.Is(err, boom) {
		t.Errorf("a read error: %v", err)
	}
}

// A body's head decides how an unlabelled body is read, and a head Veil
// cannot decode is read as JSON, so it is inspected (and refused when it
// is no JSON), never passed as binary.
func TestSniffFailsClosed(t *testing.T) {
	pad := strings.Repeat(" ", sniffLen)
	for _, c := range []struct {
		head, enc string
		want      string
	}{
		{` {"a":1}`, "", pipeline.FormatJSON},
		{"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "", pipeline.FormatBinary},
		{pad, "", pipeline.FormatText},                          // read whole as text: the JSON may follow
		{"\x1f\x8b", "gzip", pipeline.FormatJSON},               // cut-off gzip: cannot tell, inspect
		{"anything", "br", pipeline.FormatJSON},                 // not decodable: inspect (and refuse)
		{"<?xml version=\"1.0\"?><a/>", "", pipeline.FormatXML}, // unlabelled XML is XML
		{"\xef\xbb\xbf{\"a\":1}", "", pipeline.FormatJSON},      // behind a byte-order mark
	} {
		_, head := sniffBody(io.NopCloser(strings.NewReader(c.head)), c.enc)
		if got := pipeline.BodyFormat("", head); got != c.want {
			t.Errorf("%.20q %q: %v, want %v", c.head, c.enc, got, c.want)
		}
	}
	h := http.Header{}
	h.Add("Content-Encoding", "identity")
	h.Add("Content-Encoding", "gzip")
	if got := contentEncoding(h); got != "identity,gzip" {
		t.Errorf("contentEncoding: %q", got)
	}
}
