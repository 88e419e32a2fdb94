package body

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"os"
	"strconv"
	"strings"
	"testing"
)

const cardNumber = "4111 1111 1111 1111"

func readMultipartFixture(t *testing.T, name string) []byte {
	t.Helper()
	doc, err := os.ReadFile("testdata/multipart/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc, []byte("\r\n")) {
		t.Fatalf("%s lost its CRLF line ends (a checkout that converts them?)", name)
	}
	return doc
}

func splitOK(t *testing.T, doc []byte, boundary string) (pre, epi [2]int, parts []Part) {
	t.Helper()
	pre, epi, parts, err := SplitMultipart(doc, boundary, MultipartLimits{})
	if err != nil {
		t.Fatalf("SplitMultipart(%q): %v", doc[:min(len(doc), 80)], err)
	}
	agreeWithGo(t, doc, boundary, parts)
	return pre, epi, parts
}

func errorCodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}

func TestSplitMultipartContentVersion(t *testing.T) {
	doc := readMultipartFixture(t, "contentversion.txt")
	// Salesforce's own example quotes the boundary.
	_, params, err := mime.ParseMediaType(`multipart/form-data; boundary="boundary_string"`)
	if err != nil {
		t.Fatal(err)
	}
	pre, epi, parts := splitOK(t, doc, params["boundary"])
	if pre != [2]int{0, 0} || epi != [2]int{len(doc), len(doc)} || len(parts) != 2 {
		t.Fatalf("preamble %v, epilogue %v, %d parts", pre, epi, len(parts))
	}
	js, bin := parts[0], parts[1]
	if js.Name != "entity_content" || js.MediaType != "application/json" || js.Filename != "" || js.TransferEncoding != "" {
		t.Errorf("JSON part: %+v", js)
	}
	if err := WalkJSON(js.Body, Limits{}, func(*Value) error { return nil }); err != nil {
		t.Errorf("the JSON part does not walk: %v", err)
	}
	if !bytes.Contains(js.Body, []byte(cardNumber)) {
		t.Error("the JSON part lost the card number")
	}
	if bin.Name != "VersionData" || bin.Filename != "Q1 Sales Brochure.pdf" || bin.MediaType != "application/octet-stream" {
		t.Errorf("binary part: %+v", bin)
	}
	// The near-misses inside the PDF ("--boundary_strin", "-- boundary_string")
	// do not split it.
	if !bytes.HasPrefix(bin.Body, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(bin.Body, []byte("%%EOF\n")) {
		t.Errorf("binary body is %q", bin.Body)
	}
	if got := Sniff(bin.Body); got != SniffBinary {
		t.Errorf("Sniff(VersionData) = %s", got)
	}
	for _, p := range parts {
		if !bytes.Equal(doc[p.Start:p.End], p.Body) || cap(p.Body) != len(p.Body) {
			t.Errorf("part %d: Body is not doc[Start:End] with its capacity cut", p.Index)
		}
		if !bytes.HasSuffix(doc[p.HeaderStart:p.HeaderEnd], []byte("\r\n\r\n")) {
			t.Errorf("part %d: header block %q", p.Index, doc[p.HeaderStart:p.HeaderEnd])
		}
	}
}

func TestSplitMultipartNested(t *testing.T) {
	doc := readMultipartFixture(t, "mixed.txt")
	pre, epi, parts := splitOK(t, doc, "outer-=_42")
	if got := string(doc[pre[0]:pre[1]]); got != "From: jane@example.com\r\nThis is a multi-part message in MIME format." {
		t.Errorf("preamble %q", got)
	}
	if got := string(doc[epi[0]:epi[1]]); got != "epilogue: end of message\r\n" {
		t.Errorf("epilogue %q", got)
	}
	if len(parts) != 2 || parts[0].MediaType != "multipart/alternative" {
		t.Fatalf("%d parts, first %q", len(parts), parts[0].MediaType)
	}
	att := parts[1]
	if att.Filename != "cards.csv" || att.TransferEncoding != "base64" || string(att.Body) != "Name,Card\r\nJane,"+cardNumber+"\r\n" {
		t.Errorf("attachment: %q %q %q", att.Filename, att.TransferEncoding, att.Body)
	}
	// The caller recurses with the part's own boundary.
	inner := parts[0].Body
	ipre, iepi, iparts := splitOK(t, inner, parts[0].Params["boundary"])
	if got := string(inner[ipre[0]:ipre[1]]); got != "preamble of the inner body" || iepi[0] != len(inner) {
		t.Errorf("inner preamble %q, epilogue %v of %d", got, iepi, len(inner))
	}
	if len(iparts) != 2 {
		t.Fatalf("%d inner parts", len(iparts))
	}
	want := []struct{ mt, te, body string }{
		{"text/plain", "quoted-printable", "Café card: " + cardNumber + ", a long line that is soft-broken by the encoder here."},
		{"text/html", "base64", "<p>Card: <b>" + cardNumber + "</b></p>\r\n"},
	}
	for i, w := range want {
		p := iparts[i]
		if p.MediaType != w.mt || p.TransferEncoding != w.te || p.Params["charset"] != "utf-8" || string(p.Body) != w.body {
			t.Errorf("inner part %d: %q %q %q, body %q", i, p.MediaType, p.TransferEncoding, p.Params["charset"], p.Body)
		}
	}
}

// mpCase is a document, its boundary, and what the split gives: the
// bodies (decoded) and the preamble and epilogue text, or an error code.
type mpCase struct {
	name, doc, boundary string
	bodies              []string
	pre, epi            string
	code                string
}

var mpCases = []mpCase{
	{name: "no content type, CRLF", doc: "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello\r\n--b\r\n\r\nworld\r\n--b--\r\n",
		bodies: []string{"hello", "world"}},
	{name: "bare LF", doc: "--b\nContent-Type: text/plain\n\nhello\r\n--b--",
		code: CodeInvalidMultipart}, // CR before the LF of a delimiter: mixed
	{name: "bare LF throughout", doc: "--b\nContent-Type: text/plain\n\nhello\nworld\n--b--\n",
		bodies: []string{"hello\nworld"}},
	{name: "preamble and epilogue", doc: "pre\r\namble\r\n--b\r\n\r\nx\r\n--b--  \r\nepi\r\n--b\r\nlogue",
		bodies: []string{"x"}, pre: "pre\r\namble", epi: "epi\r\n--b\r\nlogue"},
	{name: "close at the end without line end", doc: "--b\r\n\r\nx\r\n--b--", bodies: []string{"x"}},
	{name: "transport padding", doc: "--b \t\r\n\r\nx\r\n--b\t\r\n\r\ny\r\n--b-- ", bodies: []string{"x", "y"}},
	{name: "missing close delimiter", doc: "--b\r\n\r\nx\r\n--b\r\n\r\ny", code: CodeInvalidMultipart},
	{name: "delimiter at the end without close", doc: "--b\r\n\r\nx\r\n--b", code: CodeInvalidMultipart},
	{name: "no delimiter at all", doc: "just text", code: CodeInvalidMultipart},
	{name: "boundary not at a line start", doc: "--b\r\n\r\nx --b y --b--\r\n-- b\r\n--b--", bodies: []string{"x --b y --b--\r\n-- b"}},
	{name: "junk after delimiter", doc: "--b junk\r\n\r\nx\r\n--b--", code: CodeInvalidMultipart},
	{name: "junk after close delimiter", doc: "--b\r\n\r\nx\r\n--b--junk\r\n", code: CodeInvalidMultipart},
	{name: "boundary prefix at a line start", doc: "--b\r\n\r\nx\r\n--bX\r\n--b--", code: CodeInvalidMultipart},
	{name: "bare LF delimiter in a CRLF document", doc: "--b\r\n\r\nx\n--b\r\n\r\ny\r\n--b--", code: CodeInvalidMultipart},
	{name: "empty parts", doc: "--b\r\n\r\n\r\n--b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n--b--", bodies: []string{"", "", ""}},
	{name: "no parts", doc: "--b--\r\n", bodies: []string{}},
	{name: "no parts, bare LF", doc: "pre\n--b--\nepi", bodies: []string{}, pre: "pre", epi: "epi"},
	{name: "folded header", doc: "--b\r\nContent-Type: text/plain;\r\n charset=utf-8\r\n\r\nx\r\n--b--", code: CodeInvalidMultipart},
	{name: "header without colon", doc: "--b\r\nContent-Type text/plain\r\n\r\nx\r\n--b--", code: CodeInvalidMultipart},
	{name: "space before colon", doc: "--b\r\nContent-Type : text/plain\r\n\r\nx\r\n--b--", code: CodeInvalidMultipart},
	{name: "delimiter in the header block", doc: "--b\r\nA: 1\r\n--b: 2\r\n\r\nx\r\n--b--", code: CodeInvalidMultipart},
	{name: "headers not terminated", doc: "--b\r\nContent-Type: text/plain\r\n", code: CodeInvalidMultipart},
	{name: "bare LF in a CRLF header", doc: "--b\r\nA: 1\nB: 2\r\n\r\nx\r\n--b--", code: CodeInvalidMultipart},
	{name: "duplicate Content-Type", doc: "--b\r\nContent-Type: text/plain\r\ncontent-type: application/json\r\n\r\nx\r\n--b--", code: CodeInvalidMultipart},
	{name: "duplicate Content-Disposition", doc: "--b\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b\r\n\r\nx\r\n--b--", code: CodeInvalidMultipart},
	{name: "duplicate transfer encoding", doc: "--b\r\nContent-Transfer-Encoding: base64\r\nContent-Transfer-Encoding: 7bit\r\n\r\neA==\r\n--b--", code: CodeInvalidMultipart},
	{name: "malformed Content-Type", doc: "--b\r\nContent-Type: text\r\n\r\nx\r\n--b--", code: CodeInvalidMultipart},
	{name: "unknown transfer encoding", doc: "--b\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nx\r\n--b--", code: CodeInvalidMultipart},
	{name: "identity transfer encodings", doc: "--b\r\nContent-Transfer-Encoding: 8BIT\r\n\r\nx\r\n--b\r\nContent-Transfer-Encoding: binary\r\n\r\ny\r\n--b--",
		bodies: []string{"x", "y"}},
	{name: "base64", doc: "--b\r\nContent-Transfer-Encoding: base64\r\n\r\nNDExMSAx MTExIDEx\r\nMTEgMTExMQ==\r\n--b--", bodies: []string{cardNumber}},
	{name: "base64 that does not decode", doc: "--b\r\nContent-Transfer-Encoding: base64\r\n\r\nNDExMSAx*MTExIDEx\r\n--b--", code: CodeInvalidMultipart},
	{name: "base64 without padding", doc: "--b\r\nContent-Transfer-Encoding: base64\r\n\r\neA\r\n--b--", code: CodeInvalidMultipart},
	{name: "quoted-printable", doc: "--b\r\nContent-Transfer-Encoding: Quoted-Printable\r\n\r\n4111 1111=\r\n 1111 1111=3D\r\n--b--", bodies: []string{cardNumber + "="}},
	{name: "quoted-printable with raw 8-bit bytes", doc: "--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf\xc3\xa9=\r\n\r\n--b--", bodies: []string{"caf\xc3\xa9"}},
	{name: "quoted-printable with a control byte", doc: "--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nx\x01y\r\n--b--", code: CodeInvalidMultipart},
	{name: "base64 multipart part", doc: "--b\r\nContent-Type: multipart/mixed; boundary=c\r\nContent-Transfer-Encoding: base64\r\n\r\neA==\r\n--b--", code: CodeInvalidMultipart},
	{name: "Content-Length that fits", doc: "--b\r\nContent-Length: 5\r\n\r\nhello\r\n--b--", bodies: []string{"hello"}},
	{name: "Content-Length that does not", doc: "--b\r\nContent-Length: 3\r\n\r\nhello\r\n--b--", code: CodeInvalidMultipart},
	{name: "Content-Length not a number", doc: "--b\r\nContent-Length: +5\r\n\r\nhello\r\n--b--", code: CodeInvalidMultipart},
	{name: "DEL in a header", doc: "--b\r\n0:\x7f\r\n\r\n--b--", code: CodeInvalidMultipart},
	{name: "8-bit and tab in a header", doc: "--b\r\nContent-Disposition: form-data;\tname=\"caf\xc3\xa9\"\r\n\r\n--b--", bodies: []string{""}},
	{name: "NUL in a header", doc: "--b\r\nX-A: a\x00b\r\n\r\nhello\r\n--b--", code: CodeInvalidMultipart},
	{name: "long boundary", boundary: strings.Repeat("a", 70), doc: "--" + strings.Repeat("a", 70) + "\r\n\r\nx\r\n--" + strings.Repeat("a", 70) + "--", bodies: []string{"x"}},
	{name: "boundary too long", boundary: strings.Repeat("a", 71), doc: "--" + strings.Repeat("a", 71) + "\r\n\r\nx\r\n--" + strings.Repeat("a", 71) + "--", code: CodeInvalidMultipart},
	{name: "boundary of one dash", boundary: "-", doc: "---\r\n\r\nx\r\n-----", bodies: []string{"x"}},
	{name: "boundary with spaces and punctuation", boundary: "a b'()+_,-./:=?", doc: "--a b'()+_,-./:=?\r\n\r\nx\r\n--a b'()+_,-./:=?--", bodies: []string{"x"}},
	{name: "boundary ending in a space", boundary: "ab ", doc: "--ab \r\n\r\nx\r\n--ab --", code: CodeInvalidMultipart},
	{name: "boundary with a bad byte", boundary: "a@b", doc: "--a@b\r\n\r\nx\r\n--a@b--", code: CodeInvalidMultipart},
}

func TestSplitMultipart(t *testing.T) {
	for _, c := range mpCases {
		t.Run(c.name, func(t *testing.T) {
			boundary := c.boundary
			if boundary == "" {
				boundary = "b"
			}
			doc := []byte(c.doc)
			pre, epi, parts, err := SplitMultipart(doc, boundary, MultipartLimits{})
			if c.code != "" {
				if errorCodeOf(err) != c.code || parts != nil {
					t.Fatalf("got %d parts, %v; want %s", len(parts), err, c.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkSpans(t, doc, pre, epi, parts)
			agreeWithGo(t, doc, boundary, parts)
			if got := string(doc[pre[0]:pre[1]]); got != c.pre {
				t.Errorf("preamble %q, want %q", got, c.pre)
			}
			if got := string(doc[epi[0]:epi[1]]); got != c.epi {
				t.Errorf("epilogue %q, want %q", got, c.epi)
			}
			var got []string
			for _, p := range parts {
				got = append(got, string(p.Body))
			}
			if strings.Join(got, "|") != strings.Join(c.bodies, "|") || len(got) != len(c.bodies) {
				t.Errorf("bodies %q, want %q", got, c.bodies)
			}
		})
	}
}

// agreeWithGo checks that Go's mime/multipart reader, where SplitMultipart
// accepted doc, reads as many parts with the same raw bodies. A document
// of no parts, which RFC 2046 has no word for, is not compared: Go reads
// "--b--\r\n" as empty and errs on "--b--\n".
func agreeWithGo(t testing.TB, doc []byte, boundary string, parts []Part) {
	t.Helper()
	if len(parts) == 0 {
		return
	}
	r := multipart.NewReader(bytes.NewReader(doc), boundary)
	for i := 0; ; i++ {
		p, err := r.NextRawPart()
		if err == io.EOF && i == len(parts) {
			return
		}
		if err != nil || i == len(parts) {
			t.Fatalf("%q: Go's reader disagrees at part %d of %d: %v", doc, i, len(parts), err)
		}
		raw, err := io.ReadAll(p)
		if err != nil || !bytes.Equal(raw, doc[parts[i].Start:parts[i].End]) {
			t.Fatalf("%q: Go's reader reads part %d as %q (%v), not %q", doc, i, raw, err, doc[parts[i].Start:parts[i].End])
		}
	}
}

// checkSpans checks that the spans of a split are in order and within doc.
func checkSpans(t testing.TB, doc []byte, pre, epi [2]int, parts []Part) {
	t.Helper()
	last := pre[1]
	if pre[0] != 0 || pre[1] < 0 || epi[1] != len(doc) {
		t.Fatalf("preamble %v, epilogue %v of %d bytes", pre, epi, len(doc))
	}
	for i, p := range parts {
		if p.Index != i || last > p.HeaderStart || p.HeaderStart >= p.HeaderEnd || p.HeaderEnd != p.Start || p.Start > p.End {
			t.Fatalf("part %d spans %d %d %d %d after %d", i, p.HeaderStart, p.HeaderEnd, p.Start, p.End, last)
		}
		if p.TransferEncoding == "" && !bytes.Equal(p.Body, doc[p.Start:p.End]) {
			t.Fatalf("part %d: Body is not the raw body", i)
		}
		last = p.End
	}
	if last > epi[0] || epi[0] > epi[1] {
		t.Fatalf("epilogue %v after %d", epi, last)
	}
}

func TestSplitMultipartLimits(t *testing.T) {
	var many bytes.Buffer
	for range 2000 {
		many.WriteString("--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n")
	}
	many.WriteString("--b--\r\n")
	huge := "--b\r\nX-Pad: " + strings.Repeat("a", 1<<20) + "\r\n\r\nx\r\n--b--"
	for _, c := range []struct {
		name string
		doc  string
		lim  MultipartLimits
		code string
		n    int
	}{
		{"2,000 parts", many.String(), MultipartLimits{}, CodeTooManyParts, 0},
		{"2,000 parts allowed", many.String(), MultipartLimits{MaxParts: 2000}, "", 2000},
		{"1 MB header block", huge, MultipartLimits{}, CodeHeaderTooLarge, 0},
		{"1 MB header block allowed", huge, MultipartLimits{MaxHeaderBytes: 2 << 20}, "", 1},
		{"header block of exactly the limit", "--b\r\nA: 1\r\n\r\nx\r\n--b--", MultipartLimits{MaxHeaderBytes: 8}, "", 1},
		{"header block one byte over", "--b\r\nA: 1\r\n\r\nx\r\n--b--", MultipartLimits{MaxHeaderBytes: 7}, CodeHeaderTooLarge, 0},
	} {
		_, _, parts, err := SplitMultipart([]byte(c.doc), "b", c.lim)
		if errorCodeOf(err) != c.code || len(parts) != c.n {
			t.Errorf("%s: %d parts, %v; want %d, %q", c.name, len(parts), err, c.n, c.code)
		}
	}
}

// resplit splits out and checks it has n parts whose bodies are want
// (where want has an entry).
func resplit(t *testing.T, out []byte, boundary string, n int, want map[int]string) []Part {
	t.Helper()
	pre, epi, parts, err := SplitMultipart(out, boundary, MultipartLimits{})
	if err != nil {
		t.Fatalf("the rewritten body does not split: %v\n%q", err, out)
	}
	checkSpans(t, out, pre, epi, parts)
	if len(parts) != n {
		t.Fatalf("%d parts after the rewrite, want %d\n%q", len(parts), n, out)
	}
	for i, w := range want {
		if string(parts[i].Body) != w {
			t.Errorf("part %d reads %q, want %q", i, parts[i].Body, w)
		}
	}
	return parts
}

func TestRewriteMultipart(t *testing.T) {
	cv := readMultipartFixture(t, "contentversion.txt")
	_, _, cvParts := splitOK(t, cv, "boundary_string")

	// No edits: byte for byte, also through an empty but non-nil map.
	for _, doc := range [][]byte{cv, readMultipartFixture(t, "mixed.txt")} {
		out, err := RewriteMultipart([]byte("x"), doc, nil, map[int][]byte{}, map[int]bool{})
		if err != nil || !bytes.Equal(out[1:], doc) || out[0] != 'x' {
			t.Errorf("no edits: %v, changed", err)
		}
	}

	// The JSON part replaced, the binary part untouched.
	masked := []byte(`{"ReasonForChange":"Card **** on file"}`)
	out, err := RewriteMultipart(nil, cv, cvParts, map[int][]byte{0: masked}, nil)
	if err != nil {
		t.Fatal(err)
	}
	parts := resplit(t, out, "boundary_string", 2, map[int]string{0: string(masked), 1: string(cvParts[1].Body)})
	if !bytes.Equal(out[parts[1].HeaderStart:], cv[cvParts[1].HeaderStart:]) || !bytes.Equal(out[:parts[0].Start], cv[:cvParts[0].Start]) {
		t.Error("bytes around the new body changed")
	}

	// Dropping the binary part.
	out, err = RewriteMultipart(nil, cv, cvParts, nil, map[int]bool{1: true})
	if err != nil {
		t.Fatal(err)
	}
	resplit(t, out, "boundary_string", 1, map[int]string{0: string(cvParts[0].Body)})
	if want := string(cv[:cvParts[0].End]) + "\r\n--boundary_string--\r\n"; string(out) != want {
		t.Errorf("dropped: %q, want %q", out, want)
	}

	// Re-encoding in the part's transfer encoding.
	mixed := readMultipartFixture(t, "mixed.txt")
	_, _, outer := splitOK(t, mixed, "outer-=_42")
	inner := outer[0].Body
	_, _, innerParts := splitOK(t, inner, "inner:=_7")
	long := bytes.Repeat([]byte("Card **** **** **** 1111. = \xff\r\n"), 10)
	newInner, err := RewriteMultipart(nil, inner, innerParts, map[int][]byte{0: long, 1: long}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ps := resplit(t, newInner, "inner:=_7", 2, map[int]string{0: string(long), 1: string(long)})
	raw64 := newInner[ps[1].Start:ps[1].End]
	for _, line := range bytes.Split(raw64, []byte("\r\n")) {
		if len(line) > 76 {
			t.Errorf("base64 line of %d characters", len(line))
		}
	}
	if dec, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw64), "\r\n", "")); err != nil || !bytes.Equal(dec, long) {
		t.Errorf("the base64 body decodes to %q, %v", dec, err)
	}
	qp, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(newInner[ps[0].Start:ps[0].End])))
	if err != nil || !bytes.Equal(qp, long) {
		t.Errorf("the quoted-printable body decodes to %q, %v", qp, err)
	}
	// The nested body goes back into the outer one.
	out, err = RewriteMultipart(nil, mixed, outer, map[int][]byte{0: newInner}, nil)
	if err != nil {
		t.Fatal(err)
	}
	resplit(t, out, "outer-=_42", 2, map[int]string{0: string(newInner), 1: string(outer[1].Body)})
}

func TestRewriteMultipartEdges(t *testing.T) {
	for _, c := range []struct {
		name, doc string
		bodies    map[int][]byte
		drop      map[int]bool
		want      string
		code      string
	}{
		{name: "Content-Length follows the new body", doc: "--b\r\nContent-Length: 5\r\n\r\nhello\r\n--b--",
			bodies: map[int][]byte{0: []byte("hello, world")}, want: "--b\r\nContent-Length: 12\r\n\r\nhello, world\r\n--b--"},
		{name: "empty body, its blank line shared", doc: "--b\r\n\r\n--b\r\n\r\ny\r\n--b--",
			bodies: map[int][]byte{0: []byte("x")}, want: "--b\r\n\r\nx\r\n--b\r\n\r\ny\r\n--b--"},
		{name: "empty body stays empty", doc: "--b\r\n\r\n--b--", bodies: map[int][]byte{0: nil}, want: "--b\r\n\r\n--b--"},
		{name: "shared, replaced, next dropped", doc: "--b\r\n\r\n--b\r\n\r\ny\r\n--b--",
			bodies: map[int][]byte{0: []byte("x")}, drop: map[int]bool{1: true}, want: "--b\r\n\r\nx\r\n--b--"},
		{name: "shared, emptied, next dropped", doc: "--b\r\n\r\n--b\r\n\r\ny\r\n--b--",
			bodies: map[int][]byte{0: {}}, drop: map[int]bool{1: true}, want: "--b\r\n\r\n\r\n--b--"},
		{name: "drop a shared part", doc: "--b\r\n\r\nx\r\n--b\r\n\r\n--b--", drop: map[int]bool{1: true}, want: "--b\r\n\r\nx\r\n--b--"},
		{name: "drop the first part", doc: "--b\r\n\r\nx\r\n--b\r\n\r\ny\r\n--b--", drop: map[int]bool{0: true}, want: "\r\n--b\r\n\r\ny\r\n--b--"},
		{name: "drop all, keep preamble", doc: "pre\r\n--b\r\n\r\nx\r\n--b\r\n\r\ny\r\n--b--\r\nepi",
			drop: map[int]bool{0: true, 1: true}, want: "pre\r\n--b--\r\nepi"},
		{name: "drop wins over a new body", doc: "--b\r\n\r\nx\r\n--b\r\n\r\ny\r\n--b--",
			bodies: map[int][]byte{1: []byte("z")}, drop: map[int]bool{1: true}, want: "--b\r\n\r\nx\r\n--b--"},
		{name: "bare LF", doc: "--b\nContent-Transfer-Encoding: base64\n\neA==\n--b--\n",
			bodies: map[int][]byte{0: bytes.Repeat([]byte("y"), 60)}, want: "--b\nContent-Transfer-Encoding: base64\n\n" +
				strings.Repeat("eXl5", 19) + "\neXl5\n--b--\n"},
		{name: "boundary in the new body", doc: "--b\r\n\r\nx\r\n--b--", bodies: map[int][]byte{0: []byte("a\r\n--b--\r\n")}, code: CodeInvalidEdit},
		{name: "CR before an LF delimiter", doc: "--b\n\nx\n--b--", bodies: map[int][]byte{0: []byte("x\r")}, code: CodeInvalidEdit},
		{name: "no such part", doc: "--b\r\n\r\nx\r\n--b--", bodies: map[int][]byte{1: []byte("y")}, code: CodeInvalidEdit},
		{name: "no such part to drop", doc: "--b\r\n\r\nx\r\n--b--", drop: map[int]bool{-1: true}, code: CodeInvalidEdit},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := []byte(c.doc)
			_, _, parts := splitOK(t, doc, "b")
			out, err := RewriteMultipart(nil, doc, parts, c.bodies, c.drop)
			if c.code != "" {
				if errorCodeOf(err) != c.code || out != nil {
					t.Fatalf("got %q, %v; want %s", out, err, c.code)
				}
				return
			}
			if err != nil || string(out) != c.want {
				t.Fatalf("got %q, %v\nwant %q", out, err, c.want)
			}
			n := len(parts)
			for i, d := range c.drop {
				if d && i < len(parts) {
					n--
				}
			}
			resplit(t, out, "b", n, nil)
		})
	}
}

func TestRewriteMultipartRefusesForeignParts(t *testing.T) {
	doc := []byte("--b\r\n\r\nx\r\n--b\r\n\r\ny\r\n--b--")
	_, _, parts := splitOK(t, doc, "b")
	short := doc[:len(doc)-10]
	if out, err := RewriteMultipart(nil, short, parts, map[int][]byte{0: []byte("z")}, nil); errorCodeOf(err) != CodeInvalidEdit || out != nil {
		t.Errorf("parts of a longer document: %q, %v", out, err)
	}
	swapped := []Part{parts[1], parts[0]}
	if _, err := RewriteMultipart(nil, doc, swapped, nil, map[int]bool{0: true}); errorCodeOf(err) != CodeInvalidEdit {
		t.Errorf("parts out of order: %v", err)
	}
	if _, err := RewriteMultipart(nil, doc, []Part{{Index: 0, HeaderStart: 5, HeaderEnd: 7, Start: 7, End: 8}}, nil, map[int]bool{0: true}); errorCodeOf(err) != CodeInvalidEdit {
		t.Errorf("a part made by hand: %v", err)
	}
}

func BenchmarkSplitMultipart(b *testing.B) {
	var doc bytes.Buffer
	for i := range 100 {
		doc.WriteString("--boundary_string\r\nContent-Disposition: form-data; name=\"f" + strconv.Itoa(i) + "\"\r\n\r\n")
		doc.Write(bytes.Repeat([]byte("0123456789abcdef"), 64))
		doc.WriteString("\r\n")
	}
	doc.WriteString("--boundary_string--\r\n")
	b.SetBytes(int64(doc.Len()))
	for b.Loop() {
		if _, _, _, err := SplitMultipart(doc.Bytes(), "boundary_string", MultipartLimits{}); err != nil {
			b.Fatal(err)
		}
	}
}
