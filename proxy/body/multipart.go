package body

import (
	"bytes"
	"encoding/base64"
	"mime"
	"mime/quotedprintable"
	"strconv"
	"strings"
)

// Multipart is the RFC 2046 shape (multipart/mixed, /alternative,
// /related) and its RFC 7578 form, multipart/form-data (Salesforce's
// ContentVersion and Attachment inserts). SplitMultipart cuts a body into
// parts with their exact byte spans; the caller scans every part body, the
// preamble and the epilogue, and recurses into multipart parts itself.
//
// Parsers that disagree on where a part ends let a sender hide a part from
// one of them, so whatever two readers may read differently is refused:
//   - every line that starts with "--boundary" (preamble, headers, bodies)
//     is a delimiter line: "--boundary", "--" if it closes, spaces or tabs,
//     then the line end;
//   - the first delimiter's line end, CRLF or a bare LF (which Go's reader
//     accepts), is the only one allowed before and after every delimiter
//     and at the end of every header line;
//   - a header line is "Name: value": a token, a colon, and no control
//     byte but tab; folded lines are refused, as RFC 9112 lets a server do;
//   - Content-Type, Content-Disposition, Content-Transfer-Encoding and
//     Content-Length appear at most once in a part, the first two as
//     mime.ParseMediaType reads them and Content-Length equal to the
//     length of the part's body;
//   - a transfer encoding is 7bit, 8bit, binary, base64 or
//     quoted-printable, and a multipart part has none of the last two
//     (RFC 2045 §6.4).
//
// The epilogue, after the close delimiter, is not read: the caller scans
// it as text.

// The zero values of MultipartLimits.
const (
	DefaultMaxParts       = 1000
	DefaultMaxHeaderBytes = 16 << 10
)

// MultipartLimits bound a split.
type MultipartLimits struct {
	MaxParts       int // 0 → DefaultMaxParts
	MaxHeaderBytes int // per part header block; 0 → DefaultMaxHeaderBytes
}

// Part is one body part of a multipart document. Spans are byte offsets in
// the document.
type Part struct {
	Index int
	// HeaderStart and HeaderEnd span the header block: from after the
	// delimiter line up to and including the blank line.
	HeaderStart, HeaderEnd int
	// Start and End span the raw body, before transfer decoding: the bytes
	// between the blank line and the line end of the next delimiter.
	Start, End int
	// MediaType is the lower-cased media type of Content-Type, "" when the
	// part has none; Params are its parameters (charset, boundary, …).
	MediaType string
	Params    map[string]string
	// Name and Filename come from Content-Disposition. Callers never log
	// them.
	Name, Filename string
	// TransferEncoding is "" (7bit, 8bit or binary), "base64" or
	// "quoted-printable".
	TransferEncoding string
	// Body is the decoded body: doc[Start:End] itself (its capacity ending
	// with it) when there is no transfer encoding.
	Body []byte

	boundary       string
	crlf           bool   // the document's line end is CRLF, not LF
	cut            [2]int // what dropping the part removes
	clStart, clEnd int    // the span of the Content-Length value, when clEnd > 0
	clValue        int
}

// SplitMultipart splits doc, a multipart body whose boundary parameter is
// boundary (unquoted, as mime.ParseMediaType returns it), into its parts in
// order. preamble and epilogue span what comes before the first delimiter
// (without the line end that belongs to it) and after the close delimiter
// line. A body part of type multipart/* is returned as a part like any
// other: the caller splits its Body with its Params["boundary"] and bounds
// the depth. A document whose first delimiter is the close delimiter has
// no parts.
//
// Errors are *Error: CodeInvalidMultipart for an invalid boundary (RFC
// 2046: 1 to 70 bchars, not ending in a space), a missing close delimiter,
// or anything the rules above refuse; CodeTooManyParts past lim.MaxParts;
// CodeHeaderTooLarge for a header block over lim.MaxHeaderBytes. The time
// taken is linear in len(doc).
func SplitMultipart(doc []byte, boundary string, lim MultipartLimits) (preamble, epilogue [2]int, parts []Part, err error) {
	fail := func(e error) ([2]int, [2]int, []Part, error) { return [2]int{}, [2]int{}, nil, e }
	if !validBoundary(boundary) {
		return fail(mpError(0))
	}
	maxParts, maxHeader := lim.MaxParts, lim.MaxHeaderBytes
	if maxParts <= 0 {
		maxParts = DefaultMaxParts
	}
	if maxHeader <= 0 {
		maxHeader = DefaultMaxHeaderBytes
	}
	s := mpScanner{doc: doc, nlDash: []byte("\n--" + boundary)}
	at := 0 // where the "--boundary" of the next delimiter starts
	if !bytes.HasPrefix(doc, s.nlDash[1:]) {
		j := bytes.Index(doc, s.nlDash)
		if j < 0 {
			return fail(mpError(len(doc)))
		}
		preamble[1] = s.lineStart(j)
		if err := s.agree(preamble[1] < j, j); err != nil {
			return fail(err)
		}
		at = j + 1
	}
	pos, final, err := s.delimiter(at)
	if err != nil {
		return fail(err)
	}
	cut := preamble[1]
	for !final {
		if len(parts) == maxParts {
			return fail(&Error{Code: CodeTooManyParts, Offset: at})
		}
		p := Part{Index: len(parts), HeaderStart: pos, boundary: boundary, crlf: s.crlf}
		if p.HeaderEnd, err = s.header(&p, maxHeader); err != nil {
			return fail(err)
		}
		p.Start = p.HeaderEnd
		// The blank line's line end may be the next delimiter's too: an
		// empty body, as Go's reader accepts it.
		k := bytes.Index(doc[p.HeaderEnd-1:], s.nlDash)
		if k < 0 {
			return fail(mpError(len(doc)))
		}
		j := p.HeaderEnd - 1 + k
		nl := s.lineStart(j)
		if err := s.agree(nl < j, j); err != nil {
			return fail(err)
		}
		p.End = max(nl, p.Start)
		p.cut = [2]int{cut, nl}
		at = j + 1
		if pos, final, err = s.delimiter(at); err != nil {
			return fail(err)
		}
		if err := decodePart(doc, &p); err != nil {
			return fail(err)
		}
		parts = append(parts, p)
		cut = nl
	}
	return preamble, [2]int{pos, len(doc)}, parts, nil
}

func mpError(off int) error { return &Error{Code: CodeInvalidMultipart, Offset: off} }

// mpScanner is the state of one split.
type mpScanner struct {
	doc         []byte
	nlDash      []byte // "\n--boundary"
	known, crlf bool   // the line end, once a delimiter has set it
}

// lineStart returns where the line end whose LF is doc[j] starts.
func (s *mpScanner) lineStart(j int) int {
	if j > 0 && s.doc[j-1] == '\r' {
		return j - 1
	}
	return j
}

// agree sets the document's line end, or checks that a line end at off is
// the same.
func (s *mpScanner) agree(crlf bool, off int) error {
	if !s.known {
		s.known, s.crlf = true, crlf
		return nil
	}
	if s.crlf != crlf {
		return mpError(off)
	}
	return nil
}

// delimiter reads the delimiter line whose "--boundary" starts at doc[at]
// and returns where the next line starts and whether it closed the body.
func (s *mpScanner) delimiter(at int) (next int, final bool, err error) {
	doc := s.doc
	i := at + len(s.nlDash) - 1
	if i+1 < len(doc) && doc[i] == '-' && doc[i+1] == '-' {
		final = true
		i += 2
	}
	for i < len(doc) && (doc[i] == ' ' || doc[i] == '\t') {
		i++
	}
	switch {
	case i == len(doc) && final:
		return i, true, nil
	case i == len(doc):
		return 0, false, mpError(i)
	case doc[i] == '\n':
		return i + 1, final, s.agree(false, i)
	case doc[i] == '\r' && i+1 < len(doc) && doc[i+1] == '\n':
		return i + 2, final, s.agree(true, i)
	}
	return 0, false, mpError(i)
}

// header reads p's header block and returns where it ends, past the blank
// line.
func (s *mpScanner) header(p *Part, maxBytes int) (int, error) {
	doc := s.doc
	limit := min(len(doc), p.HeaderStart+maxBytes)
	var seen uint8
	for i := p.HeaderStart; ; {
		k := bytes.IndexByte(doc[i:limit], '\n')
		if k < 0 {
			if limit < len(doc) {
				return 0, &Error{Code: CodeHeaderTooLarge, Offset: p.HeaderStart}
			}
			return 0, mpError(len(doc)) // not terminated
		}
		e := i + k
		if s.crlf {
			if e == i || doc[e-1] != '\r' {
				return 0, mpError(e)
			}
			e--
		}
		if e == i {
			return i + k + 1, nil
		}
		if bytes.HasPrefix(doc[i:e], s.nlDash[1:]) {
			return 0, mpError(i) // a delimiter where a header should be
		}
		if err := headerField(doc, i, e, p, &seen); err != nil {
			return 0, err
		}
		i += k + 1
	}
}

// partHeaders are the headers a part may hold once, lower-cased.
var partHeaders = [...]string{"content-type", "content-transfer-encoding", "content-disposition", "content-length"}

// headerField reads the header line doc[i:e] into p.
func headerField(doc []byte, i, e int, p *Part, seen *uint8) error {
	line := doc[i:e]
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return mpError(i) // no name, or a folded line
	}
	for _, c := range line[:colon] {
		if !asciiAlnum(c) && strings.IndexByte("!#$%&'*+-.^_`|~", c) < 0 {
			return mpError(i) // not a token
		}
	}
	for _, c := range line[colon+1:] {
		if c < ' ' && c != '\t' || c == 0x7f {
			return mpError(i) // a control byte, as net/textproto refuses it
		}
	}
	vs, ve := i+colon+1, e
	for vs < ve && (doc[vs] == ' ' || doc[vs] == '\t') {
		vs++
	}
	for ve > vs && (doc[ve-1] == ' ' || doc[ve-1] == '\t') {
		ve--
	}
	h := 0
	for h < len(partHeaders) && !asciiFoldEqual(line[:colon], partHeaders[h]) {
		h++
	}
	if h == len(partHeaders) {
		return nil
	}
	if *seen&(1<<h) != 0 {
		return mpError(i)
	}
	*seen |= 1 << h
	value := doc[vs:ve]
	switch h {
	case 0: // Content-Type
		mt, params, err := mime.ParseMediaType(string(value))
		if err != nil || strings.IndexByte(mt, '/') < 0 { // a type without a subtype parses as a disposition
			return mpError(i)
		}
		p.MediaType, p.Params = mt, params
	case 1: // Content-Transfer-Encoding
		switch te := strings.ToLower(string(value)); te {
		case "7bit", "8bit", "binary":
		case "base64", "quoted-printable":
			p.TransferEncoding = te
		default:
			return mpError(i)
		}
	case 2: // Content-Disposition
		_, params, err := mime.ParseMediaType(string(value))
		if err != nil {
			return mpError(i)
		}
		p.Name, p.Filename = params["name"], params["filename"]
	case 3: // Content-Length
		n, err := strconv.ParseUint(string(value), 10, 62) // digits only
		if err != nil {
			return mpError(i)
		}
		p.clStart, p.clEnd, p.clValue = vs, ve, int(n)
	}
	return nil
}

// decodePart checks p's header against its body and sets p.Body.
func decodePart(doc []byte, p *Part) error {
	raw := doc[p.Start:p.End:p.End]
	if p.TransferEncoding != "" && strings.HasPrefix(p.MediaType, "multipart/") {
		return mpError(p.HeaderStart)
	}
	if p.clEnd > 0 && p.clValue != len(raw) {
		return mpError(p.clStart)
	}
	var ok bool
	switch p.TransferEncoding {
	case "":
		p.Body, ok = raw, true
	case "base64":
		p.Body, ok = decodeBase64(raw)
	case "quoted-printable":
		p.Body, ok = decodeQP(raw)
	}
	if !ok {
		return mpError(p.Start)
	}
	return nil
}

// decodeBase64 decodes a padded base64 body broken into lines; spaces and
// tabs are skipped too, and any other byte outside the alphabet refused.
func decodeBase64(raw []byte) ([]byte, bool) {
	src := raw
	if bytes.IndexByte(raw, ' ') >= 0 || bytes.IndexByte(raw, '\t') >= 0 {
		src = make([]byte, 0, len(raw))
		for _, c := range raw {
			if c != ' ' && c != '\t' {
				src = append(src, c)
			}
		}
	}
	// Decode skips CR and LF itself.
	out := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
	n, err := base64.StdEncoding.Decode(out, src)
	return out[:n:n], err == nil
}

// decodeQP decodes a quoted-printable body as mime/quotedprintable does.
func decodeQP(raw []byte) ([]byte, bool) {
	var out bytes.Buffer
	out.Grow(len(raw) + bytes.MinRead) // never more than raw
	_, err := out.ReadFrom(quotedprintable.NewReader(bytes.NewReader(raw)))
	return out.Bytes()[:out.Len():out.Len()], err == nil
}

// RewriteMultipart appends doc to dst with the bodies of some parts
// replaced and some parts removed; parts come from SplitMultipart(doc).
// bodies maps a part's Index to its new decoded body, which is encoded in
// the part's transfer encoding: base64 in lines of 76 characters,
// quoted-printable by mime/quotedprintable in binary mode (so that a
// quoted-printable body decodes to exactly the bytes given); a
// Content-Length header is set to the new length. drop names parts to
// remove with their delimiter line and header; drop wins over bodies.
// Every other byte is copied as it was, and with no edits at all doc is
// copied without being read.
//
// An index that names no part, parts that do not fit doc, or a new body
// that would end the part early (one that holds "--boundary" once encoded,
// or ends in CR in a document whose line end is LF) is an *Error with
// CodeInvalidEdit. On error it returns nil.
func RewriteMultipart(dst, doc []byte, parts []Part, bodies map[int][]byte, drop map[int]bool) ([]byte, error) {
	if len(bodies) == 0 && len(drop) == 0 {
		return append(dst, doc...), nil
	}
	if off := outOfRange(bodies, len(parts)); off >= 0 {
		return nil, &Error{Code: CodeInvalidEdit, Offset: off}
	}
	if off := outOfRange(drop, len(parts)); off >= 0 {
		return nil, &Error{Code: CodeInvalidEdit, Offset: off}
	}
	if off := checkParts(doc, parts); off >= 0 {
		return nil, &Error{Code: CodeInvalidEdit, Offset: off}
	}
	var enc []byte
	copied := 0 // doc[:copied] is written or deliberately left out
	for i := range parts {
		p := &parts[i]
		if drop[i] {
			// copied passes cut[0] when the part before shares its blank
			// line's line end with this delimiter and was emptied: that
			// line end stays, and the next delimiter keeps its own.
			if copied < p.cut[0] {
				dst = append(dst, doc[copied:p.cut[0]]...)
			}
			copied = p.cut[1]
			continue
		}
		body, ok := bodies[i]
		if !ok {
			continue
		}
		enc = p.encode(enc[:0], body)
		if bytes.Contains(enc, []byte("--"+p.boundary)) || !p.crlf && len(enc) > 0 && enc[len(enc)-1] == '\r' {
			return nil, &Error{Code: CodeInvalidEdit, Offset: p.Start}
		}
		if p.clEnd > 0 {
			dst = append(dst, doc[copied:p.clStart]...)
			dst = strconv.AppendInt(dst, int64(len(enc)), 10)
			copied = p.clEnd
		}
		dst = append(dst, doc[copied:p.Start]...)
		dst = append(dst, enc...)
		copied = p.End
		if len(enc) > 0 {
			// An empty body whose blank line ended at the delimiter: its
			// line end is copied again, after the new body.
			copied = p.cut[1]
		}
	}
	return append(dst, doc[copied:]...), nil
}

// outOfRange returns a key of m that is no index below n, or -1.
func outOfRange[V any](m map[int]V, n int) int {
	for i := range m {
		if i < 0 || i >= n {
			return max(i, 0)
		}
	}
	return -1
}

// checkParts returns -1 when parts are in order and within doc, as
// SplitMultipart returns them, or else the offset of the first that is
// not.
func checkParts(doc []byte, parts []Part) int {
	prev := 0
	for i := range parts {
		p := &parts[i]
		ok := p.Index == i && p.boundary != "" && prev <= p.HeaderStart && p.cut[0] <= p.HeaderStart &&
			p.HeaderStart < p.HeaderEnd && p.HeaderEnd <= p.Start && p.Start <= p.End && p.End <= len(doc) &&
			p.HeaderStart <= p.cut[1] && p.cut[1] <= p.End &&
			(p.clEnd == 0 || p.HeaderStart <= p.clStart && p.clStart < p.clEnd && p.clEnd <= p.HeaderEnd)
		if i > 0 {
			ok = ok && p.cut[0] == parts[i-1].cut[1]
		}
		if !ok {
			return max(p.HeaderStart, 0)
		}
		prev = p.End
	}
	return -1
}

// encode appends body encoded in p's transfer encoding.
func (p *Part) encode(dst, body []byte) []byte {
	switch p.TransferEncoding {
	case "base64":
		nl := "\n"
		if p.crlf {
			nl = "\r\n"
		}
		for i := 0; i < len(body); i += 57 { // 57 bytes make 76 characters
			if i > 0 {
				dst = append(dst, nl...)
			}
			dst = base64.StdEncoding.AppendEncode(dst, body[i:min(i+57, len(body))])
		}
		return dst
	case "quoted-printable":
		out := &appendWriter{b: dst}
		w := quotedprintable.NewWriter(out)
		w.Binary = true
		w.Write(body) // an appendWriter never fails
		w.Close()
		return out.b
	}
	return append(dst, body...)
}

// validBoundary reports whether b is a boundary RFC 2046 allows: 1 to 70
// bchars, the last not a space.
func validBoundary(b string) bool {
	if len(b) == 0 || len(b) > 70 || b[len(b)-1] == ' ' {
		return false
	}
	for i := 0; i < len(b); i++ {
		if !asciiAlnum(b[i]) && strings.IndexByte("'()+_,-./:=? ", b[i]) < 0 {
			return false
		}
	}
	return true
}

func asciiAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// asciiFoldEqual reports whether b equals lower, an ASCII lower-case name, with
// ASCII case folded.
func asciiFoldEqual(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
