package proxy_test

import (
	"bytes"
	"crypto/tls"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// fwdDo sends a request through the forward proxy with the given body
// type and extra headers.
func fwdDo(t *testing.T, c *http.Client, method, u, token, ctype, body string, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, b
}

var ssnPattern = regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`)

// Forward mode reads Salesforce XML and SOAP as reverse mode does: an XML
// record is masked for the analyst, and XML and SOAP writes with a card
// number in free text are refused in the client's own format.
func TestForwardInspectsXMLAndSOAP(t *testing.T) {
	h := startForward(t)
	path := "/services/data/v62.0/sobjects/Contact/003Dn00000000AbcAA"
	direct := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: h.crmCA}, Proxy: nil}}
	_, _, truth := fwdDo(t, direct, "GET", h.crm+path, "crm-token", "", "", "Accept", "application/xml")
	ssns := ssnPattern.FindAll(truth, -1)
	if !bytes.HasPrefix(truth, []byte("<?xml")) || len(ssns) == 0 {
		t.Fatalf("the fake CRM's XML record holds no SSN: %.300s", truth)
	}
	c := h.client(h.veilCA, true)
	status, hdr, got := fwdDo(t, c, "GET", "https://acme.my.salesforce.com"+path, "demo-analyst", "", "", "Accept", "application/xml")
	if status != 200 || hdr.Get("X-Request-Id") == "" {
		t.Fatalf("status %d: %.300s", status, got)
	}
	wellFormed(t, got)
	for _, s := range ssns {
		if bytes.Contains(got, s) {
			t.Errorf("an SSN reached the analyst in XML: %s", got)
		}
	}

	status, hdr, got = fwdDo(t, c, "PATCH", "https://acme.my.salesforce.com"+path, "demo-admin", "application/xml",
		`<Contact><Description>card 4111-1111-1111-1111</Description></Contact>`)
	if status != 403 || hdr.Get("X-Veil-Error") != "policy_denied" || !bytes.Contains(got, []byte("<Errors><Error>")) {
		t.Errorf("an XML write with a card: %d %q %s", status, hdr.Get("X-Veil-Error"), got)
	}
	status, hdr, got = fwdDo(t, c, "POST", "https://acme.my.salesforce.com/services/Soap/u/62.0", "demo-admin", "text/xml; charset=utf-8",
		soapCreate("card "+fmtCard), "SOAPAction", `""`)
	if status != 500 || hdr.Get("X-Veil-Error") != "policy_denied" || !bytes.Contains(got, []byte("<soapenv:Fault>")) {
		t.Errorf("a SOAP create with a card: %d %q %s", status, hdr.Get("X-Veil-Error"), got)
	}
	if strings.Contains(h.logs.String(), fmtCard) {
		t.Error("the card number reached the log")
	}
}
