package proxy_test

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var ssnPattern = regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`)

// Forward mode reads Salesforce XML and SOAP as reverse mode does: an XML
// record is masked for the analyst, and XML and SOAP writes with a card
// number in free text are refused in the client's own format.
func TestForwardInspectsXMLAndSOAP(t *testing.T) {
	h := startForward(t)
	path := "/services/data/v62.0/sobjects/Contact/003Dn00000000AbcAA"
	direct := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: h.crmCA}, Proxy: nil}}
	truth := sendVia(t, direct, "GET", h.crm+path, "crm-token", "", "", "Accept", "application/xml").body
	ssns := ssnPattern.FindAll(truth, -1)
	if !bytes.HasPrefix(truth, []byte("<?xml")) || len(ssns) == 0 {
		t.Fatalf("the fake CRM's XML record holds no SSN: %.300s", truth)
	}
	c := h.client(h.veilCA, true)
	res := sendVia(t, c, "GET", "https://acme.my.salesforce.com"+path, "demo-analyst", "", "", "Accept", "application/xml")
	if res.status != 200 || res.header.Get("X-Request-Id") == "" {
		t.Fatalf("status %d: %.300s", res.status, res.body)
	}
	wellFormed(t, res.body)
	for _, s := range ssns {
		if bytes.Contains(res.body, s) {
			t.Errorf("an SSN reached the analyst in XML: %s", res.body)
		}
	}

	res = sendVia(t, c, "PATCH", "https://acme.my.salesforce.com"+path, "demo-admin", "application/xml",
		`<Contact><Description>card 4111-1111-1111-1111</Description></Contact>`)
	if res.status != 403 || res.header.Get("X-Veil-Error") != "policy_denied" || !bytes.Contains(res.body, []byte("<Errors><Error>")) {
		t.Errorf("an XML write with a card: %d %q %s", res.status, res.header.Get("X-Veil-Error"), res.body)
	}
	res = sendVia(t, c, "POST", "https://acme.my.salesforce.com/services/Soap/u/62.0", "demo-admin", "text/xml; charset=utf-8",
		soapCreate("card "+fmtCard), "SOAPAction", `""`)
	if res.status != 500 || res.header.Get("X-Veil-Error") != "policy_denied" || !bytes.Contains(res.body, []byte("<soapenv:Fault>")) {
		t.Errorf("a SOAP create with a card: %d %q %s", res.status, res.header.Get("X-Veil-Error"), res.body)
	}
	if strings.Contains(h.logs.String(), fmtCard) {
		t.Error("the card number reached the log")
	}
}
