package body

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// splitXML returns every chunk of doc, copied.
func splitXML(t *testing.T, doc string, size, elems, read int, lists []string) ([]string, error) {
	t.Helper()
	s := NewXMLSplitter(&dribble{strings.NewReader(doc), read}, size, elems, lists, XMLOptions{})
	var out []string
	for {
		c, err := s.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if len(c) > size {
			t.Fatalf("a chunk of %d bytes, max %d", len(c), size)
		}
		out = append(out, string(c))
	}
}

// xmlItems returns the raw children of doc's root.
func xmlItems(t *testing.T, doc []byte) []string {
	t.Helper()
	d, err := ParseXML(doc, XMLOptions{})
	if err != nil {
		t.Fatalf("%v: %q", err, doc)
	}
	var items []string
	for _, el := range d.elems {
		if el.parent == 0 {
			items = append(items, string(doc[el.open:el.close]))
		}
	}
	return items
}

func TestXMLSplitterCutsBetweenChildren(t *testing.T) {
	const (
		prolog = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		qr     = `<QueryResult xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`
		bulk   = `<results xmlns="http://www.force.com/2009/06/asyncapi/dataload">`
		r1     = `<records type="Contact"><Id>1</Id><Email>a@b.c</Email></records>`
		r2     = `<records type="Contact"><Id>2</Id><Email xsi:nil="true"/></records>`
		r3     = `<records type="Contact"><Id>3</Id><Note><![CDATA[</records>]]></Note></records>`
	)
	recs := []string{"records"}
	cases := []struct {
		name  string
		doc   string
		size  int
		elems int
		lists []string
		want  []string
	}{
		{"one chunk", prolog + qr + `<done>true</done>` + r1 + r2 + `</QueryResult>`, 1024, 0, recs,
			[]string{prolog + qr + `<done>true</done>` + r1 + r2 + `</QueryResult>`}},
		{"a record a chunk; done and totalSize where they fall", prolog + qr + "\n <done>true</done>\n " + r1 + "\n " + r2 + "\n " + r3 + "\n <totalSize>3</totalSize>\n</QueryResult>\n<!--end-->", 250, 0, recs,
			[]string{
				prolog + qr + "\n <done>true</done>\n " + r1 + `</QueryResult>`,
				prolog + qr + "\n " + r2 + `</QueryResult>`,
				prolog + qr + "\n " + r3 + "\n <totalSize>3</totalSize>\n</QueryResult>\n<!--end-->",
			}},
		{"elems bounds the records, not the other children", qr + `<done>true</done>` + r1 + r2 + r3 + `<totalSize>3</totalSize></QueryResult>`, 4096, 2, recs,
			[]string{qr + `<done>true</done>` + r1 + r2 + `</QueryResult>`, qr + r3 + `<totalSize>3</totalSize></QueryResult>`}},
		{"Bulk API 1.0 results, every child an item", bulk + `<result><id>1</id><success>true</success></result><!-- c --><result><id>2</id><success>false</success></result></results>`, 4096, 1, nil,
			[]string{bulk + `<result><id>1</id><success>true</success></result></results>`, bulk + `<!-- c --><result><id>2</id><success>false</success></result></results>`}},
		{"the end alone", qr + r1 + r2 + "<!--" + strings.Repeat("x", 60) + "--></QueryResult>", 230, 0, recs,
			[]string{qr + r1 + r2 + `</QueryResult>`, qr + "<!--" + strings.Repeat("x", 60) + "--></QueryResult>"}},
		{"a prefixed root", `<soapenv:Envelope xmlns:soapenv="urn:e"><soapenv:Body/><soapenv:Body/></soapenv:Envelope>`, 80, 0, nil,
			[]string{`<soapenv:Envelope xmlns:soapenv="urn:e"><soapenv:Body/></soapenv:Envelope>`, `<soapenv:Envelope xmlns:soapenv="urn:e"><soapenv:Body/></soapenv:Envelope>`}},
		{"an empty root", "\xef\xbb\xbf<r a='>'/>\n", 64, 0, nil, []string{"\xef\xbb\xbf<r a='>'/>\n"}},
		{"no child", "<r>\n</r>", 64, 0, nil, []string{"<r>\n</r>"}},
		{"a leaf root", "<r>text</r>", 64, 0, nil, []string{"<r>text</r>"}},
	}
	for _, c := range cases {
		for _, read := range []int{1, 3, 4096} {
			got, err := splitXML(t, c.doc, c.size, c.elems, read, c.lists)
			if err != nil {
				t.Fatalf("%s (reads of %d): %v", c.name, read, err)
			}
			if strings.Join(got, "\n|\n") != strings.Join(c.want, "\n|\n") {
				t.Errorf("%s (reads of %d):\n got %q\nwant %q", c.name, read, got, c.want)
			}
		}
		// Every chunk parses, and they hold the document's children.
		var items []string
		for _, ch := range c.want {
			items = append(items, xmlItems(t, []byte(ch))...)
		}
		if want := xmlItems(t, []byte(c.doc)); strings.Join(items, "") != strings.Join(want, "") {
			t.Errorf("%s: items %q, want %q", c.name, items, want)
		}
	}
}

func TestXMLSplitterRefuses(t *testing.T) {
	long := `<r><a>1</a><a>` + strings.Repeat("x", 100) + `</a></r>`
	for _, c := range []struct {
		name, doc string
		code      string // "" for ErrTooLarge
		at        int
	}{
		{"a child larger than a chunk", long, "", 0},
		{"a root start tag larger than a chunk", `<r a="` + strings.Repeat("x", 100) + `"><a/></r>`, "", 0},
		{"the end larger than a chunk", `<r><a/>` + strings.Repeat(" ", 100) + `</r>`, "", 0},
		{"an empty root with a long epilog", `<r/>` + strings.Repeat(" ", 100), "", 0},
		{"a DTD", `<!DOCTYPE r [<!ENTITY x "y">]><r><a>&x;</a></r>`, CodeXMLForbidden, 0},
		{"a processing instruction first", `<?php x ?><r/>`, CodeXMLForbidden, 0},
		{"a bad declaration", `<?xml version="1.0" encoding="latin1"?><r><a/></r>`, CodeXMLForbidden, 30},
		{"an unbound prefix in the root", `<p:r><a/></p:r>`, CodeInvalidXML, 1},
		{"text before the root", `x<r/>`, CodeInvalidXML, 0},
		{"text before a child", `<r><a/>x<a/></r>`, CodeInvalidXML, 7},
		{"text after the children", `<r><a/>x</r>`, CodeInvalidXML, 7},
		{"CDATA beside a child", `<r><![CDATA[x]]><a/></r>`, CodeInvalidXML, 3},
		{"cut short in a child", `<r><a><b>`, CodeInvalidXML, 9},
		{"cut short before the end", `<r><a/>`, CodeInvalidXML, 7},
		{"cut short in the head", `<r a="1`, CodeInvalidXML, 7},
	} {
		_, err := splitXML(t, c.doc, 64, 0, 5, nil)
		var e *Error
		switch {
		case c.code == "" && !errors.Is(err, ErrTooLarge):
			t.Errorf("%s: %v, want ErrTooLarge", c.name, err)
		case c.code != "" && (!errors.As(err, &e) || e.Code != c.code || e.Offset != c.at):
			t.Errorf("%s: %v, want %s at %d", c.name, err, c.code, c.at)
		case err != nil && strings.Contains(err.Error(), "xx"):
			t.Errorf("%s: the error quotes the document: %v", c.name, err)
		}
	}
	boom := errors.New("boom")
	s := NewXMLSplitter(io.MultiReader(strings.NewReader("<r><a/>"), errReader{boom}), 1024, 0, nil, XMLOptions{})
	if _, err := s.Next(); !errors.Is(err, boom) {
		t.Errorf("reader error: %v", err)
	}
	if _, err := s.Next(); !errors.Is(err, boom) {
		t.Errorf("errors do not stick: %v", err)
	}
}

// xmlPageReader streams a REST query page of n records, the XML of
// salesforceXMLPage, without holding it, and hashes the records it writes.
type xmlPageReader struct {
	n, i  int
	buf   []byte
	hash  io.Writer
	total int
}

func (r *xmlPageReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		switch {
		case r.i < 0:
			return 0, io.EOF
		case r.i == 0 && r.total == 0:
			r.buf = []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<QueryResult xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
				"\n<done>true</done>")
		case r.i < r.n:
			page := salesforceXMLPage(1)
			rec := page[bytes.Index(page, []byte("<records ")):bytes.Index(page, []byte("<totalSize>"))]
			rec = bytes.ReplaceAll(rec, []byte("00000"), fmt.Appendf(nil, "%05d", r.i%100000))
			r.hash.Write(rec)
			r.buf = append([]byte("\n"), rec...)
			r.i++
		default:
			r.buf = fmt.Appendf(nil, "\n<totalSize>%d</totalSize>\n</QueryResult>\n", r.n)
			r.i = -1
		}
	}
	n := copy(p, r.buf)
	r.buf, r.total = r.buf[n:], r.total+n
	return n, nil
}

// A 50 MB page goes through in chunks of 1 MB: the live heap stays a few
// chunks' worth, every chunk parses, and the records come out whole, in
// order, each once.
func TestXMLSplitterLargeDocument(t *testing.T) {
	const size = 1 << 20
	want, got := sha256.New(), sha256.New()
	r := &xmlPageReader{n: 50 << 20 / 800, hash: want} // about 820 bytes a record
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	base, peak := m.HeapAlloc, uint64(0)
	s := NewXMLSplitter(r, size, 0, []string{"records"}, sfLists)
	chunks, records := 0, 0
	for {
		c, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		d, err := ParseXML(c, sfLists)
		if err != nil {
			t.Fatalf("chunk %d: %v", chunks, err)
		}
		for _, el := range d.elems {
			if el.parent == 0 && string(c[el.local:el.nameEnd]) == "records" {
				got.Write(c[el.open:el.close])
				records++
			}
		}
		chunks++
		runtime.GC()
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapAlloc)
	}
	if r.total < 50<<20 || records != r.n || !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatalf("%d bytes, %d records of %d in %d chunks; hashes equal: %v", r.total, records, r.n, chunks, bytes.Equal(got.Sum(nil), want.Sum(nil)))
	}
	growth := int64(peak) - int64(base)
	t.Logf("%d MB in %d chunks, live heap growth at most %.1f MB", r.total>>20, chunks, float64(growth)/(1<<20))
	if growth > 4*size {
		t.Errorf("live heap grew by %d bytes splitting %d", growth, r.total)
	}
}
