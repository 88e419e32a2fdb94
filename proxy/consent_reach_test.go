package proxy_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// Consent holds on a record however the query reaches it: through a
// parent relationship (SELECT Contact.Email, Contact.HasOptedOutOfEmail
// FROM Case), in an aggregate row (GROUP BY Email), and on a HubSpot
// object whose name Veil does not know.
func TestConsentHoldsOnEveryWayToARecord(t *testing.T) {
	const (
		optedOut = "jane.doe@example.com"
		optedIn  = "john.roe@example.com"
		unknown  = "ann.poe@example.com"
	)
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Query().Get("q") == "SELECT Contact.Email, Contact.HasOptedOutOfEmail FROM Case":
			// Members in any order: the flag may come before or after
			// attributes and the e-mail.
			_, _ = io.WriteString(w, `{"totalSize":3,"done":true,"records":[`+
				`{"attributes":{"type":"Case","url":"/services/data/v62.0/sobjects/Case/500A000000aaaaa"},"Contact":{"Email":"`+optedOut+`","attributes":{"type":"Contact","url":"/services/data/v62.0/sobjects/Contact/003A000000aaaaa"},"HasOptedOutOfEmail":true}},`+
				`{"attributes":{"type":"Case","url":"/services/data/v62.0/sobjects/Case/500A000000bbbbb"},"Contact":{"HasOptedOutOfEmail":false,"attributes":{"type":"Contact","url":"/services/data/v62.0/sobjects/Contact/003A000000bbbbb"},"Email":"`+optedIn+`"}},`+
				`{"attributes":{"type":"Case","url":"/services/data/v62.0/sobjects/Case/500A000000ccccc"},"Contact":{"attributes":{"type":"Contact","url":"/services/data/v62.0/sobjects/Contact/003A000000ccccc"},"Email":"`+unknown+`"}}]}`)
		case r.URL.Query().Get("q") == "SELECT Email, COUNT(Id) FROM Contact GROUP BY Email":
			_, _ = io.WriteString(w, `{"totalSize":1,"done":true,"records":[{"attributes":{"type":"AggregateResult"},"Email":"`+optedOut+`","expr0":2}]}`)
		case strings.HasPrefix(r.URL.Path, "/crm/"):
			// No hs_email_optout: only the object says whether consent binds.
			_, _ = io.WriteString(w, `{"id":"101","properties":{"email":"`+optedOut+`"},"archived":false}`)
		}
	})
	h, _ := startHostile(t, u)
	get := func(path, q, token string) string {
		t.Helper()
		target := h.veil + path
		if q != "" {
			target += "?q=" + strings.ReplaceAll(strings.ReplaceAll(q, " ", "+"), ",", "%2C")
		}
		res := send(t, "GET", target, token, "", "")
		if res.status != 200 {
			t.Fatalf("%s %s: %d %s", path, q, res.status, res.body)
		}
		return string(res.body)
	}

	parent := get("/services/data/v62.0/query", "SELECT Contact.Email, Contact.HasOptedOutOfEmail FROM Case", "demo-marketing")
	if strings.Contains(parent, optedOut) || strings.Contains(parent, unknown) {
		t.Errorf("an opted-out (or unknown) parent contact's e-mail reached marketing: %s", parent)
	}
	if !strings.Contains(parent, optedIn) {
		t.Errorf("a parent contact who did not opt out lost the e-mail: %s", parent)
	}
	if admin := get("/services/data/v62.0/query", "SELECT Contact.Email, Contact.HasOptedOutOfEmail FROM Case", "demo-admin"); !strings.Contains(admin, optedOut) {
		t.Errorf("consent bound the admin, whom it does not name: %s", admin)
	}

	agg := get("/services/data/v62.0/query", "SELECT Email, COUNT(Id) FROM Contact GROUP BY Email", "demo-marketing")
	if strings.Contains(agg, optedOut) || !strings.Contains(agg, "[REDACTED:email]") {
		t.Errorf("an aggregate row's e-mail reached marketing: %s", agg)
	}

	// A name Veil does not know is unknown, so consent fails closed as it
	// does for a contact that does not say.
	for _, path := range []string{"/crm/v3/objects/kontakts/101", "/crm/v3/objects/CONTACTS%20/101"} {
		if body := get(path, "", "demo-marketing"); strings.Contains(body, optedOut) {
			t.Errorf("%s: an object Veil does not know passed consent: %s", path, body)
		}
	}
	// An object consent does not name reads in clear, in any spelling,
	// and so does a custom object's type id.
	for _, path := range []string{"/crm/v3/objects/companies/101", "/crm/v3/objects/Company/101", "/crm/v3/objects/0-2/101", "/crm/v3/objects/2-123456/101"} {
		if body := get(path, "", "demo-marketing"); !strings.Contains(body, optedOut) {
			t.Errorf("%s: consent redacted a record that did not opt out: %s", path, body)
		}
	}
}

// Consent holds on a parent record in XML too: Salesforce REST XML and a
// SOAP query result, the parent's type given or not.
func TestConsentHoldsOnXMLParentRecords(t *testing.T) {
	const optedOut, optedIn = "jane.doe@example.com", "john.roe@example.com"
	restXML := `<?xml version="1.0" encoding="UTF-8"?><QueryResult xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><done>true</done>` +
		`<records type="Case" url="/services/data/v62.0/sobjects/Case/500A1"><Contact type="Contact" url="/services/data/v62.0/sobjects/Contact/003A1"><Email>` + optedOut + `</Email><HasOptedOutOfEmail>true</HasOptedOutOfEmail></Contact></records>` +
		`<records type="Case" url="/services/data/v62.0/sobjects/Case/500A2"><Contact type="Contact" url="/services/data/v62.0/sobjects/Contact/003A2"><HasOptedOutOfEmail>false</HasOptedOutOfEmail><Email>` + optedIn + `</Email></Contact></records>` +
		`<totalSize>2</totalSize></QueryResult>`
	soap := `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:sf="urn:sobject.partner.soap.sforce.com">` +
		`<soapenv:Body><queryResponse><result xsi:type="QueryResult"><done>true</done><queryLocator xsi:nil="true"/>` +
		`<records xsi:type="sf:sObject"><sf:type>Case</sf:type><sf:Id>500A1</sf:Id><sf:Contact xsi:type="sf:sObject"><sf:Email>` + optedOut + `</sf:Email></sf:Contact></records>` +
		`<records xsi:type="sf:sObject"><sf:type>Case</sf:type><sf:Id>500A2</sf:Id><sf:Contact xsi:type="sf:sObject"><sf:type>Contact</sf:type><sf:HasOptedOutOfEmail>false</sf:HasOptedOutOfEmail><sf:Email>` + optedIn + `</sf:Email></sf:Contact></records>` +
		`<size>2</size></result></queryResponse></soapenv:Body></soapenv:Envelope>`
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/services/Soap/") {
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			_, _ = io.WriteString(w, soap)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		_, _ = io.WriteString(w, restXML)
	})
	h, _ := startHostile(t, u)
	soapQuery := `<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><query xmlns="urn:partner.soap.sforce.com"><queryString>SELECT Contact.Email FROM Case</queryString></query></soapenv:Body></soapenv:Envelope>`
	for _, c := range []struct{ name, method, path, ctype, body string }{
		{"rest xml", "GET", "/services/data/v62.0/query?q=SELECT+Contact.Email+FROM+Case", "", ""},
		{"soap", "POST", "/services/Soap/u/62.0/00Dx", "text/xml; charset=utf-8", soapQuery},
	} {
		res := send(t, c.method, h.veil+c.path, "demo-marketing", c.ctype, c.body, "SOAPAction", `""`)
		if res.status != 200 {
			t.Fatalf("%s: %d %s", c.name, res.status, res.body)
		}
		if strings.Contains(string(res.body), optedOut) {
			t.Errorf("%s: an opted-out parent contact's e-mail reached marketing: %s", c.name, res.body)
		}
		if !strings.Contains(string(res.body), optedIn) {
			t.Errorf("%s: a parent contact who did not opt out lost the e-mail: %s", c.name, res.body)
		}
	}
}
