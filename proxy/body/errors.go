package body

import (
	"errors"
	"strconv"
)

// Stable error codes: metric labels, audit fields and the codes of the
// CRM-shaped errors Veil answers with.
const (
	CodeInvalidJSON         = "invalid_json"         // a syntax error
	CodeInvalidUTF8         = "invalid_utf8"         // bytes that are not UTF-8
	CodeDuplicateKey        = "duplicate_key"        // a member name repeated in one object
	CodeTooDeep             = "too_deep"             // nesting beyond Limits.MaxDepth
	CodeTrailingData        = "trailing_data"        // bytes after the top-level value
	CodeInvalidEdit         = "invalid_edit"         // an edit that does not fit the document
	CodeBodyTooLarge        = "body_too_large"       // over the read limit, before or after decoding
	CodeUnsupportedEncoding = "unsupported_encoding" // a Content-Encoding Veil cannot decode
	CodeInvalidXML          = "invalid_xml"          // an XML syntax error, an undefined entity, mixed content, an unbound prefix
	CodeXMLForbidden        = "xml_forbidden"        // a DTD or other directive, a processing instruction, a foreign encoding
)

// Error is a document Veil refuses to read or rewrite. Offset is the byte
// offset in the document where the problem was found (for a malformed
// pointer in Edits.DropPointers, its index there). Error never holds or
// prints the document's bytes.
type Error struct {
	Code   string
	Offset int
}

func (e *Error) Error() string {
	return "body: " + e.Code + " at offset " + strconv.Itoa(e.Offset)
}

// Errors of ReadAll and Encode.
var (
	ErrTooLarge            = errors.New("body: " + CodeBodyTooLarge)
	ErrUnsupportedEncoding = errors.New("body: " + CodeUnsupportedEncoding)
)

// ErrorCode returns the stable code of an error from this package, or ""
// for any other error (an I/O error, a corrupt compressed stream, an error
// returned by a WalkJSON callback).
func ErrorCode(err error) string {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, ErrTooLarge):
		return CodeBodyTooLarge
	case errors.Is(err, ErrUnsupportedEncoding):
		return CodeUnsupportedEncoding
	}
	return ""
}

// Error codes of the multipart and text codecs.
const (
	CodeInvalidMultipart   = "invalid_multipart"     // a multipart body that is malformed or ambiguous
	CodeTooManyParts       = "too_many_parts"        // more parts than MultipartLimits.MaxParts
	CodeHeaderTooLarge     = "part_header_too_large" // a part's header block over MultipartLimits.MaxHeaderBytes
	CodeUnsupportedCharset = "unsupported_charset"   // a charset DecodeText does not read
)
