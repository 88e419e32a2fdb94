package pipeline

import (
	"errors"
	"mime"
	"strings"

	"github.com/veil-proxy/veil/proxy/body"
)

// Body formats: how Veil reads a body (Message.Format, and the policy
// input's body.format).
const (
	FormatJSON      = "json"
	FormatForm      = "form"      // application/x-www-form-urlencoded
	FormatCSV       = "csv"       // text/csv: Bulk API uploads and results
	FormatXML       = "xml"       // Salesforce REST XML, Bulk API 1.0 XML
	FormatSOAP      = "soap"      // an XML body that is a SOAP envelope (reported; read as XML)
	FormatMultipart = "multipart" // multipart/*: each part by its own type
	FormatText      = "text"      // free text: text/plain, text/html, …
	FormatBinary    = "binary"    // nothing Veil can read: images, PDFs, archives
	FormatNone      = "none"      // no body
)

// Reasons a body is not inspected (policy input body.reason).
const (
	ReasonBinary             = "binary_content"
	ReasonUnsupportedCharset = "unsupported_charset"
	ReasonOverLimit          = "over_limit"
)

// An upgraded connection's format and reason in its audit event and in
// veil_proxy_uninspected_total.
const (
	FormatUpgrade = "upgrade"
	ReasonUpgrade = "connection_upgrade"
)

// BodyFormat is how Veil reads a body labelled ct whose first bytes
// (decoded from any Content-Encoding) are head. The label decides for the
// structured types Veil reads (JSON, form, CSV, XML, multipart); any other
// label, or none, is checked against the bytes, so that a label is never a
// way around inspection: JSON or XML under text/plain or
// application/octet-stream is read as such, text as text, and only what
// the bytes show to be binary is binary.
func BodyFormat(ct string, head []byte) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		mt = ""
	}
	switch {
	case body.IsJSONMediaType(mt):
		return FormatJSON
	case mt == "application/x-www-form-urlencoded":
		return FormatForm
	case mt == "text/csv":
		return FormatCSV
	case mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
		return FormatXML
	case strings.HasPrefix(mt, "multipart/"):
		return FormatMultipart
	}
	switch body.Sniff(head) {
	case body.SniffJSON:
		return FormatJSON
	case body.SniffXML:
		return FormatXML
	case body.SniffBinary:
		return FormatBinary
	}
	return FormatText
}

// MediaParam is ct's parameter name ("" when none).
func MediaParam(ct, name string) string {
	_, params, _ := mime.ParseMediaType(ct)
	return params[name]
}

// Wrapping is what Veil took off a body to read it, and puts back when it
// rewrites it: a charset other than UTF-8 (or a byte-order mark) and a
// JSONP callback around JSON.
type Wrapping struct {
	enc          body.TextEncoding
	prefix, tail []byte // JSONP: the bytes before and after the JSON
}

// Unwrap returns the UTF-8 text of a body of format read from raw, with
// what was taken off it. Binary bodies are not unwrapped.
func Unwrap(format, charset string, raw []byte) ([]byte, Wrapping, error) {
	var w Wrapping
	if format == FormatBinary || format == FormatMultipart {
		return raw, w, nil // multipart parts carry their own charsets
	}
	text, enc, err := body.DecodeText(raw, charset)
	if err != nil {
		return nil, w, err
	}
	w.enc = enc
	if format == FormatJSON {
		if start, end, ok := body.SplitJSONP(text); ok {
			w.prefix, w.tail = text[:start], text[end:]
			text = text[start:end]
		}
	}
	return text, w, nil
}

// Plain reports whether w took nothing off: the text is the raw body.
func (w *Wrapping) Plain() bool {
	return w.enc == body.TextUTF8 && w.prefix == nil && w.tail == nil
}

// Wrap appends text with what unwrap took off put back.
func (w *Wrapping) Wrap(dst, text []byte) ([]byte, error) {
	if w.Plain() {
		return append(dst, text...), nil
	}
	inner := text
	if w.prefix != nil || w.tail != nil {
		inner = make([]byte, 0, len(w.prefix)+len(text)+len(w.tail))
		inner = append(append(append(inner, w.prefix...), text...), w.tail...)
	}
	return body.EncodeText(dst, inner, w.enc)
}
