package body

import (
	"bytes"
	"net/http"
	"strings"
)

// What Sniff can say a body is. CSV is not among them: nothing tells it
// from text (and SniffCSV names the dialect sniffer).
const (
	SniffJSON   = "json"
	SniffXML    = "xml"
	SniffHTML   = "html"
	SniffText   = "text"
	SniffBinary = "binary"
)

// sniffLen is how much of a head Sniff reads: 512 characters of UTF-32.
const sniffLen = 2048

// Sniff tells what a body is from head, its first bytes (any number; past
// the first 2 KiB it reads no more). A byte order mark is stripped, and a
// head with a BOM or the NUL pattern of UTF-16 or UTF-32 (as DecodeText
// reads them) is decoded first, up to a code unit cut at its end. Then:
//   - SniffBinary: a UTF-8 head that holds a NUL, or one
//     http.DetectContentType calls anything but text (PDF, images, zip,
//     gzip, application/octet-stream for control bytes);
//   - SniffJSON: '{' or '[' after whitespace, or a JSONP call (as
//     SplitJSONP reads it) whose argument starts so;
//   - SniffHTML: what http.DetectContentType calls text/html;
//   - SniffXML: what it calls text/xml ("<?xml"), or '<' followed by a
//     name character or "!DOCTYPE" (SOAP envelopes, XML without a
//     declaration);
//   - SniffText: anything else.
func Sniff(head []byte) string {
	head = head[:min(len(head), sniffLen)]
	if len(head) >= 4 {
		head = head[:len(head)&^3] // whole UTF-32 units, as a UTF-32LE BOM is told by
	}
	enc, n := bomEncoding(head)
	if n == 0 {
		enc = nulPattern(head)
	}
	t := head[n:]
	if enc.Base() != TextUTF8 {
		t, _ = decodeUnits(make([]byte, 0, len(t)), t, enc.Base())
	} else if bytes.IndexByte(t, 0) >= 0 {
		return SniffBinary
	}
	i := skipJSSpace(t, 0)
	if i < len(t) && (t[i] == '{' || t[i] == '[') {
		return SniffJSON
	}
	if k := jsonpOpen(t); k >= 0 {
		if k = skipJSSpace(t, k); k < len(t) && (t[k] == '{' || t[k] == '[') {
			return SniffJSON
		}
	}
	mt, _, _ := strings.Cut(http.DetectContentType(t), ";")
	switch mt {
	case "text/html":
		return SniffHTML
	case "text/xml":
		return SniffXML
	case "text/plain":
		if sniffXMLTag(t[i:]) {
			return SniffXML
		}
		return SniffText
	}
	return SniffBinary
}

// sniffXMLTag reports whether b starts an XML element or doctype.
func sniffXMLTag(b []byte) bool {
	if len(b) < 2 || b[0] != '<' {
		return false
	}
	c := b[1]
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80 ||
		bytes.HasPrefix(b[1:], []byte("!DOCTYPE"))
}
