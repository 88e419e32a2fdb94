package crm

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy/config"
)

func TestStyleFor(t *testing.T) {
	sf := config.DialectSalesforce
	for _, c := range []struct {
		dialect, method, path string
		hdr                   []string
		want                  Style
	}{
		{sf, "GET", "/services/data/v62.0/query", nil, StyleJSON},
		{sf, "GET", "/services/data/v62.0/query", []string{"Accept", "application/xml"}, StyleXML},
		{sf, "GET", "/services/data/v62.0/query", []string{"Accept", "application/json, application/xml"}, StyleJSON},
		{sf, "GET", "/services/data/v62.0/query", []string{"Accept", "text/html, application/xml;q=0.9"}, StyleXML},
		{sf, "GET", "/services/data/v56.0/sobjects/Contact/003x.xml", nil, StyleXML},
		{sf, "PATCH", "/services/data/v62.0/sobjects/Contact/003x", []string{"Content-Type", "text/xml; charset=utf-8"}, StyleXML},
		{sf, "POST", "/services/Soap/u/62.0", []string{"Content-Type", "text/xml"}, StyleSOAP},
		{sf, "POST", "/services/Soap/c/62.0/00Dx", nil, StyleSOAP},
		{sf, "POST", "/services/async/62.0/job", []string{"Content-Type", "application/xml"}, StyleBulkV1},
		{sf, "POST", "/services/async/62.0/job", []string{"Content-Type", "application/json"}, StyleJSON},
		{config.DialectHubSpot, "GET", "/crm/v3/objects/contacts", []string{"Accept", "application/xml"}, StyleJSON},
	} {
		r := httptest.NewRequest(c.method, c.path, nil)
		for i := 0; i+1 < len(c.hdr); i += 2 {
			r.Header.Set(c.hdr[i], c.hdr[i+1])
		}
		if got := StyleFor(c.dialect, r); got != c.want {
			t.Errorf("%s %s %v: %d, want %d", c.method, c.path, c.hdr, got, c.want)
		}
	}
}

// Each XML style renders well-formed XML carrying the code, the message
// (escaped) and, for a fault, the decision id; a SOAP fault is a 500.
func TestXMLErrorStyles(t *testing.T) {
	e := &Error{Status: 403, Code: CodePolicyDenied, Message: `Blocked <by> "policy" & co`, DecisionID: "d42"}
	for _, c := range []struct {
		style  Style
		ctype  string
		status int
		want   []string
	}{
		{StyleXML, "application/xml;charset=UTF-8", 403, []string{"<Errors><Error><errorCode>policy_denied</errorCode><message>Blocked &lt;by&gt;"}},
		{StyleSOAP, "text/xml;charset=UTF-8", 500, []string{"<faultcode>sf:policy_denied</faultcode>", "<faultstring>policy_denied: Blocked", "<sf:decisionId>d42</sf:decisionId>"}},
		{StyleBulkV1, "application/xml;charset=UTF-8", 403, []string{"<exceptionCode>policy_denied</exceptionCode>"}},
	} {
		e.Style = c.style
		b := e.Body(config.DialectSalesforce)
		if e.ContentType() != c.ctype || e.HTTPStatus() != c.status {
			t.Errorf("style %d: %s %d", c.style, e.ContentType(), e.HTTPStatus())
		}
		d := xml.NewDecoder(bytes.NewReader(b))
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("style %d: not XML (%v): %s", c.style, err, b)
			}
		}
		for _, w := range c.want {
			if !strings.Contains(string(b), w) {
				t.Errorf("style %d: no %q in %s", c.style, w, b)
			}
		}
		if strings.Contains(string(b), `"policy" & co`) {
			t.Errorf("style %d: the message is not escaped: %s", c.style, b)
		}
	}
}
