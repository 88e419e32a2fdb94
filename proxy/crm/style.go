package crm

import (
	"mime"
	"net/http"
	"strings"

	"github.com/veil-proxy/veil/proxy/config"
)

// Style is the wire format an error is rendered in: the one the client
// speaks on that endpoint, so that its library surfaces Veil's reason.
type Style uint8

// Error styles.
const (
	StyleJSON   Style = iota // the dialect's JSON error (the default)
	StyleXML                 // Salesforce REST XML: <Errors><Error>…
	StyleSOAP                // a SOAP 1.1 fault, HTTP 500 as Salesforce answers
	StyleBulkV1              // Bulk API 1.0: <error><exceptionCode>…
)

// SOAPPath reports whether path is a Salesforce SOAP API endpoint
// (Partner /services/Soap/u/, Enterprise /services/Soap/c/, and the other
// /services/Soap/ APIs).
func SOAPPath(path string) bool { return strings.HasPrefix(path, "/services/Soap/") }

// BulkV1Path reports whether path is under Salesforce's Bulk API 1.0.
func BulkV1Path(path string) bool { return strings.HasPrefix(path, "/services/async/") }

// StyleFor is the error style of a request to a route of dialect: SOAP
// and Bulk API 1.0 by their paths, REST XML when the client asks for XML
// (Accept, a .xml suffix) or sends it; JSON otherwise.
func StyleFor(dialect string, r *http.Request) Style {
	if dialect != config.DialectSalesforce {
		return StyleJSON
	}
	p := r.URL.Path
	switch {
	case SOAPPath(p):
		return StyleSOAP
	case BulkV1Path(p):
		if isJSONType(r.Header.Get("Content-Type")) {
			return StyleJSON
		}
		return StyleBulkV1
	case strings.HasSuffix(p, ".xml"), acceptsXML(r.Header.Values("Accept")), isXMLType(r.Header.Get("Content-Type")):
		return StyleXML
	}
	return StyleJSON
}

// acceptsXML reports whether the Accept fields name an XML type before
// any JSON one (Salesforce answers JSON by default).
func acceptsXML(accept []string) bool {
	for _, line := range accept {
		for part := range strings.SplitSeq(line, ",") {
			switch {
			case isXMLType(part):
				return true
			case isJSONType(part):
				return false
			}
		}
	}
	return false
}

func isXMLType(ct string) bool {
	mt := mediaType(ct)
	return mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml")
}

func isJSONType(ct string) bool {
	mt := mediaType(ct)
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(strings.TrimSpace(ct))
	if err != nil {
		return ""
	}
	return mt
}
