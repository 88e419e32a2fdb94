package body

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// xmlFuzzSeeds are the fixtures and small documents that reach every
// branch of the tokenizer.
func xmlFuzzSeeds(f *testing.F) [][]byte {
	files, _ := filepath.Glob("testdata/xml/*.xml")
	var seeds [][]byte
	for _, p := range files {
		doc, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, doc)
	}
	for _, s := range []string{
		"<a/>", "<a></a>", "<a>x</a>", "<a x='1' y=\"2\"/>",
		"\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"US-ASCII\" standalone=\"no\"?><a/>",
		"<!--c--><a><!--d-->x<![CDATA[<y>]]>&amp;&#65;&#x42;\r\n</a><!--e-->",
		"<r xmlns='urn:d' xmlns:p='urn:p'><p:a p:k='v' k='w'>1</p:a><b xmlns=''>2</b></r>",
		"<r><records><x>1</x></records><records><x>2</x></records><done>true</done></r>",
		"<a xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xsi:nil='true' xsi:type='sf:x'/>",
		"<a v='t\tl\nc\r\nx&#9;&#10;'/>", "<a>]]></a>", "<a><!-- -- --></a>", "<!DOCTYPE a><a/>",
		"<a>x<b/></a>", "<a><b/> <c/>\n</a>", "<a:b/>", "<a><b></a></b>", "<a>&xxe;</a>", "<?pi?><a/>",
		// A namespace named with a TAB: a space once normalized, which
		// encoding/xml does not do (found by FuzzParseXML).
		"<A xmlns:xsi='\t' xsi:A=''/>",
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

type xmlFuzzValue struct {
	attr, comment     bool
	name, space, text string
}

// xmlOracle reads doc with encoding/xml's strict tokenizer and returns the
// values ParseXML should see, with white space as spaces in attribute
// values and namespace names (encoding/xml does not normalize them) and
// comments' line ends as LF.
func xmlOracle(doc []byte) ([]xmlFuzzValue, error) {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(label, "us-ascii") {
			return r, nil
		}
		return nil, io.ErrUnexpectedEOF
	}
	type open struct {
		at    int // the index of its text in vals
		child bool
		text  []byte
	}
	var (
		vals  []xmlFuzzValue
		stack []open
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return vals, nil
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if n := len(stack); n > 0 {
				stack[n-1].child = true
			}
			for _, a := range tok.Attr {
				if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
					continue
				}
				vals = append(vals, xmlFuzzValue{attr: true, name: a.Name.Local, space: xmlSpaces(a.Name.Space), text: xmlSpaces(a.Value)})
			}
			stack = append(stack, open{at: len(vals)})
			vals = append(vals, xmlFuzzValue{name: tok.Name.Local, space: xmlSpaces(tok.Name.Space)})
		case xml.CharData:
			if n := len(stack); n > 0 {
				stack[n-1].text = append(stack[n-1].text, tok...)
			}
		case xml.Comment:
			vals = append(vals, xmlFuzzValue{comment: true, name: "#comment", text: string(xmlAppendLines(nil, tok))})
		case xml.EndElement:
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if o.child {
				vals[o.at].name = "" // not a value
			} else {
				vals[o.at].text = string(o.text)
			}
		}
	}
}

func xmlSpaces(s string) string {
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}

// xmlFuzzWalk returns the values of d, checking their order and paths.
func xmlFuzzWalk(t *testing.T, doc []byte, d *XMLDoc) (vals []xmlFuzzValue, starts []int, ptrs []string) {
	prev := -1
	err := d.Walk(func(v *XMLValue) error {
		if v.Start <= prev || v.End < v.Start || v.End > len(doc) {
			t.Fatalf("span %d-%d after %d in %q", v.Start, v.End, prev, doc)
		}
		prev = v.Start
		var segs []byte
		for i := range v.Segments() {
			k, idx := v.Segment(i)
			if k == nil {
				segs = strconv.AppendInt(append(segs, '/'), int64(idx), 10)
			} else {
				segs = append(append(segs, '/'), k...)
			}
		}
		if string(segs) != v.Pointer() {
			t.Fatalf("segments %q, pointer %q", segs, v.Pointer())
		}
		vals = append(vals, xmlFuzzValue{v.Attr, v.Comment, string(v.Name), string(v.Space), string(v.Text)})
		starts, ptrs = append(starts, v.Start), append(ptrs, v.Pointer())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return vals, starts, ptrs
}

// FuzzParseXML: ParseXML never panics nor writes to the document; what it
// accepts, encoding/xml's strict tokenizer accepts too, with the same
// values (but for names: encoding/xml knows fewer name characters); and
// rewriting every value, or dropping the first leaf too, yields a document
// ParseXML accepts, holding what the edits say.
func FuzzParseXML(f *testing.F) {
	for _, s := range xmlFuzzSeeds(f) {
		f.Add(s)
	}
	const repl = "x&<>\"'"
	o := XMLOptions{Lists: []string{"records"}}
	f.Fuzz(func(t *testing.T, doc []byte) {
		orig := bytes.Clone(doc)
		d, err := ParseXML(doc, o)
		if err != nil {
			if _, ok := err.(*Error); !ok || ErrorCode(err) == "" {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		vals, starts, ptrs := xmlFuzzWalk(t, doc, d)
		if !bytes.Equal(doc, orig) {
			t.Fatalf("the walk wrote to the document: %q", orig)
		}
		if again, _, _ := xmlFuzzWalk(t, doc, d); len(again) != len(vals) {
			t.Fatal("a second walk differs")
		}
		want, err := xmlOracle(doc)
		if err != nil && !(strings.Contains(err.Error(), "invalid XML name") && bytes.ContainsFunc(doc, func(r rune) bool { return r >= 0x80 })) {
			t.Fatalf("accepted, encoding/xml refuses (%v): %q", err, doc)
		}
		if err == nil {
			var w []xmlFuzzValue
			for _, v := range want {
				if v.name != "" {
					w = append(w, v)
				}
			}
			for i := range vals {
				if vals[i].space = xmlSpaces(vals[i].space); vals[i].attr {
					vals[i].text = xmlSpaces(vals[i].text)
				}
			}
			if len(w) != len(vals) {
				t.Fatalf("%d values, encoding/xml %d: %+v / %+v", len(vals), len(w), vals, w)
			}
			for i := range w {
				if w[i] != vals[i] {
					t.Fatalf("value %d: %+v, encoding/xml %+v", i, vals[i], w[i])
				}
			}
		}

		// Every value replaced: the same paths, but comments inside a leaf.
		e := &XMLEdits{Replace: map[int][]byte{}}
		for _, s := range starts {
			e.Replace[s] = []byte(repl)
		}
		out, err := RewriteXML(nil, doc, d, e)
		if err != nil {
			t.Fatalf("RewriteXML: %v", err)
		}
		d2, err := ParseXML(out, o)
		if err != nil {
			t.Fatalf("%q rewrote to %q, refused: %v", doc, out, err)
		}
		got, _, gotPtrs := xmlFuzzWalk(t, out, d2)
		var wantPtrs []string
		for i, v := range vals {
			if !v.comment || !xmlInsideLeaf(d, starts[i]) {
				wantPtrs = append(wantPtrs, ptrs[i])
			}
		}
		if strings.Join(gotPtrs, " ") != strings.Join(wantPtrs, " ") {
			t.Fatalf("%q rewrote to %q: paths %q, want %q", doc, out, gotPtrs, wantPtrs)
		}
		for _, v := range got {
			if v.text != repl {
				t.Fatalf("%q rewrote to %q: %+v", doc, out, v)
			}
		}

		// The first leaf below the root dropped as well.
		leaf := -1
		for i := 1; i < len(d.elems) && leaf < 0; i++ {
			if d.elems[i].flags&xmlLeaf != 0 {
				leaf = i
			}
		}
		if leaf < 0 {
			return
		}
		el := d.elems[leaf]
		e.Drop = map[int]bool{int(el.inner): true}
		if out, err = RewriteXML(out[:0], doc, d, e); err != nil {
			t.Fatalf("RewriteXML: %v", err)
		}
		d3, err := ParseXML(out, o)
		if err != nil {
			t.Fatalf("%q rewrote to %q, refused: %v", doc, out, err)
		}
		got, _, _ = xmlFuzzWalk(t, out, d3)
		from, to := d.attrRange(int32(leaf))
		gone := to - from + 1 // its attributes and text (its comments are gone already)
		n, became := 0, false // the values with the replacement; the parent now a leaf
		for _, v := range got {
			if v.text == repl {
				n++
			} else if !v.attr && !v.comment && strings.Trim(v.text, " \t\r\n") == "" && !became {
				became = true
			} else {
				t.Fatalf("%q rewrote to %q: %+v", doc, out, v)
			}
		}
		if n != len(wantPtrs)-gone {
			t.Fatalf("%q rewrote to %q: %d values, want %d", doc, out, n, len(wantPtrs)-gone)
		}
	})
}

// xmlInsideLeaf reports whether the comment at off is inside a leaf's text.
func xmlInsideLeaf(d *XMLDoc, off int) bool {
	for _, el := range d.elems {
		if el.flags&xmlLeaf != 0 && int(el.inner) < off && off < int(el.innerEnd) {
			return true
		}
	}
	return false
}

// FuzzXMLSplitter: whatever the input and the reads, the splitter never
// panics nor hands out more than max bytes; every chunk opens with the
// input's head and ends with a synthetic end tag but the last, and the
// chunks put the input back together (a prefix of it when the splitter
// stops with an error, then an error it documents, an *Error only for a
// document ParseXML refuses). The input is valid exactly when every chunk
// is, and then the chunks hold the root's children, each once, in order.
func FuzzXMLSplitter(f *testing.F) {
	for _, s := range xmlFuzzSeeds(f) {
		f.Add(s, uint16(200), uint8(7))
		f.Add(s, uint16(64), uint8(65))
	}
	f.Add([]byte("<r>\n<a>1</a>\n<b x='>'/><!--c--><a><![CDATA[</a>]]></a>\n</r>\n<!--e-->"), uint16(40), uint8(130))
	f.Fuzz(func(t *testing.T, doc []byte, size uint16, read uint8) {
		limit := int(size%512) + 16
		s := NewXMLSplitter(&dribble{bytes.NewReader(doc), int(read%64) + 1}, limit, int(read/64), []string{"a", "records"}, XMLOptions{})
		var (
			joined []byte
			chunks [][]byte
			err    error
		)
		for {
			var c []byte
			if c, err = s.Next(); err != nil {
				break
			}
			h := s.Head()
			if len(c) > limit || h > len(c) || !bytes.Equal(c[:h], doc[:h]) {
				t.Fatalf("chunk %d of %d bytes (max %d) does not open with the head (%d bytes): %q", len(chunks), len(c), limit, h, c)
			}
			if len(chunks) == 0 {
				joined = append(joined, c[:h]...)
			}
			chunks = append(chunks, bytes.Clone(c))
		}
		var syntax *Error
		wholeErr := func() error { _, err := ParseXML(doc, XMLOptions{}); return err }()
		switch {
		case err == io.EOF:
		case errors.Is(err, ErrTooLarge):
		case errors.As(err, &syntax):
			if wholeErr == nil {
				t.Fatalf("a valid document refused: %v: %q", err, doc)
			}
		default:
			t.Fatalf("unexpected error %v", err)
		}
		// Each chunk is the head, a run of the input, then the synthetic
		// end tag "</name>" but in the last.
		for i, c := range chunks {
			body := c[s.Head():]
			if i < len(chunks)-1 || err != io.EOF {
				k := bytes.LastIndex(body, []byte("</"))
				if k < 0 || body[len(body)-1] != '>' {
					t.Fatalf("chunk %d does not end with an end tag: %q", i, c)
				}
				body = body[:k]
			}
			joined = append(joined, body...)
		}
		if err == io.EOF && !bytes.Equal(joined, doc) || err != io.EOF && !bytes.HasPrefix(doc, joined) {
			t.Fatalf("chunks join to %q, input %q (%v)", joined, doc, err)
		}
		if err != io.EOF {
			return
		}
		var pieceErr error
		var items []string
		for _, c := range chunks {
			d, err := ParseXML(c, XMLOptions{})
			if err != nil {
				pieceErr = err
				break
			}
			for _, el := range d.elems {
				if el.parent == 0 {
					items = append(items, string(c[el.open:el.close]))
				}
			}
		}
		switch {
		case wholeErr == nil && pieceErr != nil:
			t.Fatalf("the document is valid, a chunk is not (%v): %q", pieceErr, chunks)
		case wholeErr != nil && pieceErr == nil:
			t.Fatalf("every chunk is valid, the document is not (%v): %q", wholeErr, doc)
		case wholeErr == nil:
			if want := xmlItems(t, doc); strings.Join(items, "\x00") != strings.Join(want, "\x00") {
				t.Fatalf("items %q, want %q", items, want)
			}
		}
	})
}
