package proxy_test

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/veil-proxy/veil/proxy/audit"
)

// The personal data the format tests move, and must never see pass.
const (
	fmtCard  = "4111111111111111"
	fmtSSN   = "123-45-6789"
	fmtEmail = "jane.doe@example.com"
)

const xmlContact = `<?xml version="1.0" encoding="UTF-8"?>` +
	`<Contact type="Contact" url="/services/data/v62.0/sobjects/Contact/003A000000hostile" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
	`<Id>003A000000hostile</Id><LastName>Doe</LastName><Email>` + fmtEmail + `</Email><SSN__c>` + fmtSSN + `</SSN__c>` +
	`<Card_Number__c>4111 1111 1111 1111</Card_Number__c><Fax xsi:nil="true"/>` +
	`<Description>card <!-- split -->4111<![CDATA[111111111111]]> on file</Description></Contact>`

const xmlQuery = `<?xml version="1.0" encoding="UTF-8"?>` +
	`<QueryResult xmlns="http://www.force.com/2009/06/asyncapi/dataload" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><done>true</done>` +
	`<records type="Contact" url="/services/data/v62.0/sobjects/Contact/003A1"><Id>003A1</Id><Email>` + fmtEmail + `</Email><SSN__c>` + fmtSSN + `</SSN__c></records>` +
	`<records type="Contact" url="/services/data/v62.0/sobjects/Contact/003A2"><Id>003A2</Id><Email>john.roe@example.com</Email><SSN__c>219-09-9999</SSN__c></records>` +
	`<totalSize>2</totalSize></QueryResult>`

const soapQueryResponse = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:sf="urn:sobject.partner.soap.sforce.com">` +
	`<soapenv:Body><queryResponse><result xsi:type="QueryResult"><done>true</done><queryLocator xsi:nil="true"/>` +
	`<records xsi:type="sf:sObject"><sf:type>Contact</sf:type><sf:Id>003A1</sf:Id><sf:Email>` + fmtEmail + `</sf:Email><sf:SSN__c>` + fmtSSN + `</sf:SSN__c></records>` +
	`<size>1</size></result></queryResponse></soapenv:Body></soapenv:Envelope>`

// soapCreate is a SOAP create of a Contact; the caller is identified by
// its Veil API key (Authorization), so it carries no SessionHeader.
func soapCreate(description string) string {
	return `<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		`<soapenv:Body><create xmlns="urn:partner.soap.sforce.com"><sObjects xsi:type="sObject"><type>Contact</type><LastName>Doe</LastName>` +
		`<Description>` + description + `</Description></sObjects></create></soapenv:Body></soapenv:Envelope>`
}

// formatUpstream answers each X-Case with a body in another format, all
// holding personal data; writes are recorded.
func formatUpstream(t *testing.T) *upstream {
	return newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		ct, body := "application/json", `{}`
		switch r.Header.Get("X-Case") {
		case "xml":
			ct, body = "application/xml;charset=UTF-8", xmlContact
		case "xml query":
			ct, body = "application/xml", xmlQuery
		case "soap":
			ct, body = "text/xml; charset=utf-8", soapQueryResponse
		case "html":
			ct, body = "text/html", "<html><body><p>SSN "+fmtSSN+"</p><p>"+fmtEmail+"</p></body></html>"
		case "jsonp":
			ct, body = "text/javascript", `/**/ cb({"Email":"`+fmtEmail+`","SSN__c":"`+fmtSSN+`"});`
		case "csv as text":
			ct, body = "text/plain", "Id,Email,SSN__c\n003A1,"+fmtEmail+","+fmtSSN+"\n"
		case "bom json as text":
			ct, body = "text/plain", "\xef\xbb\xbf"+`{"Email":"`+fmtEmail+`","SSN__c":"`+fmtSSN+`"}`
		case "utf16 json":
			ct, body = "application/json; charset=utf-16le", string(utf16le(`{"Email":"`+fmtEmail+`","SSN__c":"`+fmtSSN+`"}`))
		case "multipart":
			ct, body = "multipart/mixed; boundary=b1", "--b1\r\nContent-Type: application/json\r\n\r\n"+`{"Email":"`+fmtEmail+`"}`+
				"\r\n--b1\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"+base64.StdEncoding.EncodeToString([]byte("SSN "+fmtSSN))+"\r\n--b1--\r\n"
		}
		w.Header().Set("Content-Type", ct)
		_, _ = io.WriteString(w, body)
	})
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

func fromUTF16le(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(u))
}

// wellFormed fails unless b is XML encoding/xml reads to its end.
func wellFormed(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); err == io.EOF {
			return
		} else if err != nil {
			t.Fatalf("not XML (%v): %s", err, b)
		}
	}
}

// Every response format Veil reads is masked for a reader who may not see
// the values, and keeps its format.
func TestResponsesInEveryFormatAreInspected(t *testing.T) {
	u := formatUpstream(t)
	h, _ := startHostile(t, u)
	for _, c := range []struct {
		name, path string
		check      func(t *testing.T, b []byte)
	}{
		{"xml", sfContact, func(t *testing.T, b []byte) {
			wellFormed(t, b)
			if !bytes.Contains(b, []byte(`<Contact type="Contact"`)) || !bytes.Contains(b, []byte(`<Fax xsi:nil="true"/>`)) {
				t.Errorf("the shape changed: %s", b)
			}
		}},
		{"xml query", "/services/data/v62.0/query", func(t *testing.T, b []byte) {
			wellFormed(t, b)
			if bytes.Count(b, []byte("<records ")) != 2 {
				t.Errorf("records lost: %s", b)
			}
		}},
		{"soap", "/services/Soap/u/62.0/00Dx", func(t *testing.T, b []byte) {
			wellFormed(t, b)
			if !bytes.Contains(b, []byte(`<records xsi:type="sf:sObject">`)) {
				t.Errorf("the shape changed: %s", b)
			}
		}},
		{"html", sfContact, nil},
		{"jsonp", sfContact, func(t *testing.T, b []byte) {
			if !bytes.HasPrefix(b, []byte("/**/ cb({")) || !bytes.HasSuffix(b, []byte("});")) {
				t.Errorf("no longer JSONP: %s", b)
			}
		}},
		{"csv as text", sfContact, nil},
		{"bom json as text", sfContact, func(t *testing.T, b []byte) {
			if !bytes.HasPrefix(b, []byte("\xef\xbb\xbf{")) {
				t.Errorf("the byte-order mark was lost: %q", b)
			}
		}},
		{"multipart", sfContact, func(t *testing.T, b []byte) {
			if !bytes.HasPrefix(b, []byte("--b1\r\nContent-Type: application/json\r\n\r\n{")) || !bytes.HasSuffix(b, []byte("\r\n--b1--\r\n")) {
				t.Errorf("the parts lost their shape: %q", b)
			}
			i := bytes.Index(b, []byte("base64\r\n\r\n"))
			if i < 0 {
				t.Fatalf("no base64 part: %q", b)
			}
			enc := b[i+len("base64\r\n\r\n"):]
			enc = enc[:bytes.Index(enc, []byte("\r\n--b1"))]
			dec, err := base64.StdEncoding.DecodeString(string(bytes.ReplaceAll(enc, []byte("\r\n"), nil)))
			if err != nil || bytes.Contains(dec, []byte(fmtSSN)) || !bytes.HasPrefix(dec, []byte("SSN ")) {
				t.Errorf("the base64 part: %q %v", dec, err)
			}
		}},
		{"utf16 json", sfContact, func(t *testing.T, b []byte) {
			s := fromUTF16le(b)
			if strings.Contains(s, fmtSSN) || !strings.HasPrefix(s, `{"Email":`) {
				t.Errorf("not the masked UTF-16 body: %q", s)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := send(t, "GET", h.veil+c.path, "demo-analyst", "", "", "X-Case", c.name)
			if res.status != 200 {
				t.Fatalf("status %d: %.400s", res.status, res.body)
			}
			noLeak(t, h, res, fmtSSN, fmtEmail, "4111 1111 1111 1111", "111111111111")
			if c.check != nil {
				c.check(t, res.body)
			}
		})
	}
}

// A write in any format Veil reads is refused when it puts a card number
// in free text, in the format the client speaks, and never reaches the CRM.
func TestWritesInEveryFormatAreInspected(t *testing.T) {
	u := formatUpstream(t)
	h, _ := startHostile(t, u)
	multipart := func(parts ...string) string {
		var b strings.Builder
		for _, p := range parts {
			b.WriteString("--BOUNDARY\r\n" + p + "\r\n")
		}
		b.WriteString("--BOUNDARY--\r\n")
		return b.String()
	}
	entity := `Content-Disposition: form-data; name="entity_content"` + "\r\nContent-Type: application/json\r\n\r\n" +
		`{"Title":"scan","PathOnClient":"scan.txt","Description":"card ` + fmtCard + `"}`
	for _, c := range []struct {
		name, method, path, ctype, body string
		status                          int
		check                           func(t *testing.T, res reply)
	}{
		{"xml", "PATCH", sfContact, "application/xml", `<Contact><Description>card 4111 1111 1111 1111</Description></Contact>`, 403,
			func(t *testing.T, res reply) {
				wellFormed(t, res.body)
				if !bytes.Contains(res.body, []byte("<Errors><Error><errorCode>policy_denied</errorCode>")) {
					t.Errorf("not a Salesforce XML error: %s", res.body)
				}
			}},
		{"soap create", "POST", "/services/Soap/u/62.0/00Dx", "text/xml; charset=utf-8", soapCreate("card " + fmtCard), 500,
			func(t *testing.T, res reply) {
				wellFormed(t, res.body)
				if !bytes.Contains(res.body, []byte("<faultcode>sf:policy_denied</faultcode>")) {
					t.Errorf("not a SOAP fault: %s", res.body)
				}
			}},
		{"multipart json part", "POST", "/services/data/v62.0/sobjects/ContentVersion", "multipart/form-data; boundary=BOUNDARY", multipart(entity), 403, nil},
		{"multipart text file", "POST", "/services/data/v62.0/sobjects/ContentVersion", "multipart/form-data; boundary=BOUNDARY",
			multipart(`Content-Disposition: form-data; name="entity_content"`+"\r\nContent-Type: application/json\r\n\r\n{\"Title\":\"scan\"}",
				`Content-Disposition: form-data; name="VersionData"; filename="notes.txt"`+"\r\nContent-Type: application/octet-stream\r\n\r\ncard "+fmtCard), 403, nil},
		{"multipart base64 part", "POST", "/services/data/v62.0/sobjects/ContentVersion", "multipart/form-data; boundary=BOUNDARY",
			multipart(`Content-Disposition: form-data; name="VersionData"; filename="a.txt"` + "\r\nContent-Transfer-Encoding: base64\r\n\r\nY2FyZCA0MTExMTExMTExMTExMTEx"), 403, nil},
		{"binary upload", "POST", "/services/data/v62.0/sobjects/ContentVersion", "multipart/form-data; boundary=BOUNDARY",
			multipart(`Content-Disposition: form-data; name="VersionData"; filename="a.png"` + "\r\nContent-Type: image/png\r\n\r\n" + pngHead), 403,
			func(t *testing.T, res reply) {
				if !bytes.Contains(res.body, []byte("uninspected_body")) {
					t.Errorf("not refused as uninspected: %s", res.body)
				}
			}},
		{"bom json as text", "PATCH", sfContact, "text/plain", "\xef\xbb\xbf" + `{"Description":"card ` + fmtCard + `"}`, 403, nil},
		{"utf16 json", "PATCH", sfContact, "application/json; charset=utf-16le", string(utf16le(`{"Description":"card ` + fmtCard + `"}`)), 403, nil},
		{"utf16 unlabelled", "PATCH", sfContact, "", string(utf16le(`{"Description":"card ` + fmtCard + `"}`)), 403, nil},
		{"unknown charset", "PATCH", sfContact, "application/json; charset=ebcdic-cp-us", `{"Description":"x"}`, 415, nil},
		{"csv as octet-stream", "PUT", "/services/data/v62.0/jobs/ingest/750x/batches", "application/octet-stream", "Description\ncard " + fmtCard + "\n", 403, nil},
		{"xxe", "PATCH", sfContact, "application/xml", `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><Contact><Description>&x;</Description></Contact>`, 400, nil},
		{"billion laughs", "PATCH", sfContact, "application/xml", `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Contact><Description>&b;</Description></Contact>`, 400, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			u.reset()
			res := send(t, c.method, h.veil+c.path, "demo-admin", c.ctype, c.body)
			if res.status != c.status {
				t.Fatalf("status %d, want %d: %.400s", res.status, c.status, res.body)
			}
			if len(u.writes()) != 0 {
				t.Errorf("the CRM received the write: %q", u.writes()[0].body)
			}
			noLeak(t, h, res, fmtCard)
			if c.check != nil {
				c.check(t, res)
			}
		})
	}
}

// Clean writes in the new formats reach the CRM byte for byte.
func TestCleanWritesPassUnchanged(t *testing.T) {
	u := formatUpstream(t)
	h, _ := startHostile(t, u)
	for _, c := range []struct{ name, path, ctype, body string }{
		{"xml", sfContact, "application/xml", `<?xml version="1.0"?><Contact><LastName>Doe</LastName><!-- note --></Contact>`},
		{"soap", "/services/Soap/u/62.0/00Dx", "text/xml", soapCreate("a note")},
		{"multipart", "/services/data/v62.0/sobjects/ContentVersion", "multipart/form-data; boundary=B",
			"--B\r\nContent-Disposition: form-data; name=\"entity_content\"\r\nContent-Type: application/json\r\n\r\n{\"Title\":\"x\"}\r\n--B--\r\n"},
		{"text", sfContact, "text/plain", "just words"},
	} {
		t.Run(c.name, func(t *testing.T) {
			u.reset()
			res := send(t, "POST", h.veil+c.path, "demo-admin", c.ctype, c.body)
			if res.status != 200 {
				t.Fatalf("status %d: %.300s", res.status, res.body)
			}
			w := u.writes()
			if len(w) != 1 || string(w[0].body) != c.body {
				t.Fatalf("the CRM received %d writes: %+v", len(w), w)
			}
		})
	}
}

// No body leaves Veil unread unless the policy, told so, let it: every
// audit event of a forwarded message says whether its body was read, and
// those that were not are passthroughs of file downloads.
func TestNoBodyPassesUnreadUnlessThePolicyAllowed(t *testing.T) {
	answers := []struct{ ctype, body string }{
		{"application/json", `{"Email":"` + fmtEmail + `"}`},
		{"application/xml", xmlContact},
		{"text/xml", soapQueryResponse},
		{"text/csv", "Id,Email\n003A1," + fmtEmail + "\n"},
		{"text/plain", "mail " + fmtEmail},
		{"text/html", "<p>" + fmtEmail + "</p>"},
		{"application/octet-stream", pngHead},
		{"image/png", pngHead},
		{"", pngHead},
	}
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Answer") == "" { // startHostile's warm-up
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, "{}")
			return
		}
		a := answers[int(r.Header.Get("X-Answer")[0]-'a')]
		w.Header()["Content-Type"] = []string{a.ctype}
		_, _ = io.WriteString(w, a.body)
	})
	dir := t.TempDir()
	h, _ := startHostile(t, u, withAuditFiles(dir))
	download := "/services/data/v62.0/sobjects/ContentVersion/068000000000001AAA/VersionData" // a Salesforce id: kept in the audit path
	for i := range answers {
		for _, path := range []string{sfContact, download} {
			send(t, "GET", h.veil+path, "demo-analyst", "", "", "X-Answer", string(rune('a'+i)))
		}
	}
	// Writes in every format, the binary ones too.
	writes := append(answers[:len(answers):len(answers)], struct{ ctype, body string }{"multipart/form-data; boundary=B",
		"--B\r\nContent-Disposition: form-data; name=\"VersionData\"; filename=\"a.png\"\r\n\r\n" + pngHead + "\r\n--B--\r\n"})
	for _, a := range writes {
		send(t, "POST", h.veil+"/services/data/v62.0/sobjects/ContentVersion", "demo-admin", a.ctype, a.body)
	}
	var events []audit.Event
	want := 2*len(answers)*2 + len(writes) // a request and a response event each read, one per write at least
	eventually(t, "every audit event", func() bool {
		events = readJSONL[audit.Event](t, filepath.Join(dir, "audit.jsonl"))
		posts := 0
		for _, e := range events {
			if e.Direction == "request" && e.Method == "POST" {
				posts++
			}
		}
		return len(events) >= want && posts == len(writes)
	})
	unread, unreadWrites := 0, 0
	for _, e := range events {
		if e.Direction == "request" && e.Method == "POST" {
			if e.Uninspected {
				unreadWrites++
			}
			if e.BodyFormat == "" || e.BodyFormat == "none" {
				t.Errorf("a write's event without its body format: %+v", e)
			}
			if e.Uninspected && e.Outcome != audit.OutcomeBlocked {
				t.Errorf("an unread write went on: %+v", e)
			}
			continue
		}
		if e.Direction != "response" {
			continue
		}
		if e.BodyFormat == "" {
			t.Errorf("a response event without its body format: %+v", e)
		}
		if !e.Uninspected {
			continue
		}
		unread++
		switch {
		case e.Outcome == audit.OutcomeBlocked:
		case e.Outcome == audit.OutcomePassthrough && e.Path == download && e.BodyFormat == "binary":
		default:
			t.Errorf("an unread body went on without the policy's leave: %+v", e)
		}
	}
	if unread != 6 || unreadWrites != 4 { // three binary answers on two paths; three binary writes and a multipart one
		t.Errorf("%d unread answers, want 6; %d unread writes, want 4", unread, unreadWrites)
	}
}
