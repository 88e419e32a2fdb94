package fakecrm

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/url"
	"strings"
	"testing"
)

// parseDoc parses an answer as XML, failing the test when it is not.
func parseDoc(t *testing.T, b []byte) *xnode {
	t.Helper()
	n, err := parseXML(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not XML: %v: %s", err, b)
	}
	return n
}

// childNames are n's children's local names, in order.
func childNames(n *xnode) []string {
	var out []string
	for _, k := range n.Kids {
		out = append(out, k.XMLName.Local)
	}
	return out
}

// xmlErrors is the REST API's XML error document.
type xmlErrors struct {
	XMLName xml.Name `xml:"Errors"`
	Errors  []struct {
		ErrorCode string   `xml:"errorCode"`
		Message   string   `xml:"message"`
		Fields    []string `xml:"fields"`
	} `xml:"Error"`
}

const contactID = "003Dn00000000AbcAA"

func TestRESTXMLRetrieveNegotiation(t *testing.T) {
	s := newTest(t, Options{})
	base := "/services/data/v62.0/sobjects/Contact/" + contactID
	tests := []struct {
		name, path, accept string
		wantXML            bool
	}{
		{"accept application/xml", base, "application/xml", true},
		{"accept text/xml", base, "text/xml", true},
		{"xml before json", base, "application/xml, application/json", true},
		{"json before xml", base, "application/json, application/xml;q=0.9", false},
		{"no accept", base, "", false},
		{".xml suffix", base + ".xml", "", true},
		{".json suffix wins over Accept", base + ".json", "application/xml", false},
		{".xml suffix with fields", base + ".xml?fields=Email,MobilePhone", "", true},
	}
	for _, tt := range tests {
		w := call(t, s, "GET", tt.path, "", "Accept", tt.accept)
		if w.Code != 200 {
			t.Errorf("%s: %d %s", tt.name, w.Code, w.Body)
			continue
		}
		ct := w.Header().Get("Content-Type")
		if gotXML := strings.HasPrefix(ct, "application/xml"); gotXML != tt.wantXML {
			t.Errorf("%s: Content-Type %q", tt.name, ct)
			continue
		}
		if !tt.wantXML {
			if rec := decode[map[string]any](t, w); rec["Id"] != contactID {
				t.Errorf("%s: %v", tt.name, rec)
			}
			continue
		}
		if !strings.HasPrefix(w.Body.String(), `<?xml version="1.0" encoding="UTF-8"?>`) || w.Header().Get("ETag") == "" {
			t.Errorf("%s: no declaration or no ETag: %s", tt.name, w.Body)
		}
		root := parseDoc(t, w.Body.Bytes())
		if root.XMLName.Local != "Contact" || root.attr("type") != "Contact" || root.attr("url") != "/services/data/v62.0/sobjects/Contact/"+contactID {
			t.Errorf("%s: root %v %v", tt.name, root.XMLName, root.Attrs)
		}
		if root.childText("Email") != "ahmed.kowalski@example.com" {
			t.Errorf("%s: Email %q", tt.name, root.childText("Email"))
		}
		mobile := root.child("MobilePhone")
		if mobile == nil || !mobile.isNil() || mobile.Attrs[0].Name.Space != nsXSI {
			t.Errorf("%s: MobilePhone should be xsi:nil in the XSI namespace: %+v", tt.name, mobile)
		}
		if strings.Contains(tt.path, "fields=") && !slicesEqual(childNames(root), []string{"Email", "MobilePhone"}) {
			t.Errorf("%s: fields %v", tt.name, childNames(root))
		}
	}
}

func slicesEqual(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

type xmlQueryResult struct {
	XMLName        xml.Name `xml:"http://www.force.com/2009/06/asyncapi/dataload QueryResult"`
	Done           bool     `xml:"done"`
	NextRecordsURL string   `xml:"nextRecordsUrl"`
	Records        []struct {
		Type  string `xml:"type,attr"`
		URL   string `xml:"url,attr"`
		ID    string `xml:"Id"`
		Email string `xml:"Email"`
	} `xml:"records"`
	TotalSize int `xml:"totalSize"`
}

func TestRESTXMLQueryPaging(t *testing.T) {
	s := newTest(t, Options{PageSize: 5})
	for _, path := range []string{
		q("SELECT Id, Email FROM Contact ORDER BY Email"),
		"/services/data/v62.0/queryAll?q=" + url.QueryEscape("SELECT Id, Email FROM Contact ORDER BY Email"),
		"/services/data/v62.0/query.xml?q=" + url.QueryEscape("SELECT Id, Email FROM Contact ORDER BY Email"),
	} {
		accept := "application/xml"
		if strings.Contains(path, ".xml") {
			accept = ""
		}
		w := call(t, s, "GET", path, "", "Accept", accept)
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", path, w.Code, w.Body)
		}
		// Salesforce's order: done, nextRecordsUrl, records..., totalSize.
		root := parseDoc(t, w.Body.Bytes())
		names := childNames(root)
		if root.XMLName.Space != nsDataload || names[0] != "done" || names[1] != "nextRecordsUrl" || names[2] != "records" || names[len(names)-1] != "totalSize" {
			t.Fatalf("%s: shape %s %v", path, root.XMLName.Space, names)
		}
		var p xmlQueryResult
		if err := xml.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		if p.Done || p.TotalSize != 12 || len(p.Records) != 5 || !strings.HasPrefix(p.NextRecordsURL, "/services/data/v62.0/query/") {
			t.Fatalf("%s: first page %+v", path, p)
		}
		r0 := p.Records[0]
		if r0.Type != "Contact" || r0.URL != "/services/data/v62.0/sobjects/Contact/"+r0.ID || r0.Email == "" {
			t.Errorf("%s: record %+v", path, r0)
		}
		emails := []string{}
		for {
			for _, r := range p.Records {
				emails = append(emails, r.Email)
			}
			if p.Done || len(emails) > 12 {
				break
			}
			w = call(t, s, "GET", p.NextRecordsURL, "", "Accept", "application/xml")
			p = xmlQueryResult{}
			if err := xml.Unmarshal(w.Body.Bytes(), &p); err != nil {
				t.Fatalf("%d %v %s", w.Code, err, w.Body)
			}
		}
		// The same records as the JSON answer, in the same order.
		want := decode[page](t, call(t, s, "GET", q("SELECT Id, Email FROM Contact ORDER BY Email LIMIT 12"), ""))
		if len(emails) != 12 || p.NextRecordsURL != "" {
			t.Fatalf("%s: paged %d emails; last page %+v", path, len(emails), p)
		}
		for i, r := range want.Records {
			if r["Email"] != emails[i] {
				t.Errorf("%s: record %d: %s, JSON says %v", path, i, emails[i], r["Email"])
			}
		}
	}
}

func TestQueryRelationships(t *testing.T) {
	s := newTest(t, Options{})
	const soql = "SELECT Id, Email, Account.Name, Account.Website FROM Contact WHERE Id = '" + contactID + "'"
	// JSON: the parent nested with its attributes, as Salesforce answers.
	p := decode[page](t, call(t, s, "GET", q(soql), ""))
	acct, _ := p.Records[0]["Account"].(map[string]any)
	attrs, _ := acct["attributes"].(map[string]any)
	if acct["Name"] == nil || acct["Website"] == nil || attrs["type"] != "Account" || !strings.HasSuffix(attrs["url"].(string), "/sobjects/Account/001Dn00000000XyzAA") {
		t.Fatalf("JSON Account = %v", p.Records[0])
	}
	// XML: a nested <Account type url> element.
	w := call(t, s, "GET", q(soql), "", "Accept", "application/xml")
	rec := parseDoc(t, w.Body.Bytes()).child("records")
	a := rec.child("Account")
	if a == nil || a.attr("type") != "Account" || a.childText("Name") != acct["Name"] || !slicesEqual(childNames(a), []string{"Name", "Website"}) {
		t.Fatalf("XML Account: %s", w.Body)
	}
	if !slicesEqual(childNames(rec), []string{"Id", "Email", "Account"}) {
		t.Errorf("record children %v", childNames(rec))
	}
	// Bulk API 2.0 CSV: a column of its own.
	rows := parseCSV(t, []byte(bulkCSV(t, s, soql)))
	if !slicesEqual(rows[0], []string{"Id", "Email", "Account.Name", "Account.Website"}) || rows[1][2] != acct["Name"] {
		t.Errorf("CSV %v", rows)
	}
	// An empty lookup is null; an unknown relationship is INVALID_FIELD.
	w = call(t, s, "POST", "/services/data/v62.0/sobjects/Case", `{"Subject":"no contact"}`)
	id := decode[map[string]any](t, w)["id"].(string)
	p = decode[page](t, call(t, s, "GET", q("SELECT Id, Contact.Email FROM Case WHERE Id = '"+id+"'"), ""))
	if v, ok := p.Records[0]["Contact"]; !ok || v != nil {
		t.Errorf("empty lookup: %v", p.Records[0])
	}
	for _, bad := range []string{"SELECT Nope.Name FROM Contact", "SELECT Account.Nope FROM Contact", "SELECT Account.Owner.Name FROM Contact"} {
		if w := call(t, s, "GET", q(bad), ""); w.Code != 400 || decode[[]map[string]any](t, w)[0]["errorCode"] != "INVALID_FIELD" {
			t.Errorf("%s: %d %s", bad, w.Code, w.Body)
		}
	}
}

// bulkCSV runs soql as a Bulk API 2.0 query job and returns its CSV.
func bulkCSV(t *testing.T, s *Server, soql string) string {
	t.Helper()
	id := createQueryJob(t, s, soql)["id"].(string)
	w := call(t, s, "GET", bulkBase+"query/"+id+"/results", "")
	if w.Code != 200 {
		t.Fatalf("results: %d %s", w.Code, w.Body)
	}
	return w.Body.String()
}

func TestRESTXMLCreateUpdate(t *testing.T) {
	s := newTest(t, Options{})
	tests := []struct {
		name, ctype, accept, body string
	}{
		{"xml in, xml out", "application/xml", "application/xml",
			`<Contact><LastName>Xml</LastName><Email>x@example.com</Email><HasOptedOutOfEmail>true</HasOptedOutOfEmail><Description>SSN 123-45-6789 &amp; more</Description></Contact>`},
		{"text/xml in, json out", "text/xml; charset=UTF-8", "",
			`<?xml version="1.0"?><sObject><LastName>Xml</LastName><Email>x@example.com</Email><HasOptedOutOfEmail>true</HasOptedOutOfEmail><Description>SSN 123-45-6789 &amp; more</Description></sObject>`},
		{"json in, xml out", "application/json", "application/xml",
			`{"LastName":"Xml","Email":"x@example.com","HasOptedOutOfEmail":true,"Description":"SSN 123-45-6789 & more"}`},
	}
	for _, tt := range tests {
		w := call(t, s, "POST", "/services/data/v62.0/sobjects/Contact", tt.body, "Content-Type", tt.ctype, "Accept", tt.accept)
		if w.Code != 201 {
			t.Fatalf("%s: create %d %s", tt.name, w.Code, w.Body)
		}
		var id string
		if tt.accept == "" {
			id, _ = decode[map[string]any](t, w)["id"].(string)
		} else {
			var res struct {
				XMLName xml.Name `xml:"Result"`
				ID      string   `xml:"id"`
				Success bool     `xml:"success"`
			}
			if err := xml.Unmarshal(w.Body.Bytes(), &res); err != nil || !res.Success {
				t.Fatalf("%s: %v %s", tt.name, err, w.Body)
			}
			id = res.ID
		}
		if !strings.HasPrefix(id, "003") {
			t.Fatalf("%s: id %q", tt.name, id)
		}
		path := "/services/data/v62.0/sobjects/Contact/" + id
		patch := `<Contact xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><email>new@example.com</email><Description xsi:nil="true"/></Contact>`
		if w := call(t, s, "PATCH", path, patch, "Content-Type", "application/xml", "Accept", tt.accept); w.Code != 204 {
			t.Fatalf("%s: patch %d %s", tt.name, w.Code, w.Body)
		}
		rec := decode[map[string]any](t, call(t, s, "GET", path, ""))
		if rec["LastName"] != "Xml" || rec["Email"] != "new@example.com" || rec["HasOptedOutOfEmail"] != true || rec["Description"] != nil {
			t.Errorf("%s: stored %v", tt.name, rec)
		}
		root := parseDoc(t, call(t, s, "GET", path, "", "Accept", "application/xml").Body.Bytes())
		if root.childText("HasOptedOutOfEmail") != "true" || !root.child("Description").isNil() {
			t.Errorf("%s: XML read back %v", tt.name, childNames(root))
		}
	}
}

func TestRESTXMLErrors(t *testing.T) {
	s := newTest(t, Options{})
	tests := []struct {
		name, method, path, body, ctype string
		hdr                             []string
		status                          int
		code                            string
	}{
		{"not found", "GET", "/services/data/v62.0/sobjects/Contact/003Dn00000000NopeAA", "", "", nil, 404, "NOT_FOUND"},
		{"not found, .xml", "GET", "/services/data/v62.0/sobjects/Contact/003Dn00000000NopeAA.xml", "", "", nil, 404, "NOT_FOUND"},
		{"malformed query", "GET", q("SELEC Id FROM Contact"), "", "", nil, 400, "MALFORMED_QUERY"},
		{"invalid field", "GET", q("SELECT Nope FROM Contact"), "", "", nil, 400, "INVALID_FIELD"},
		{"bad locator", "GET", "/services/data/v62.0/query/01gNope-5", "", "", nil, 400, "INVALID_QUERY_LOCATOR"},
		{"no session", "GET", q("SELECT Id FROM Contact"), "", "", []string{"Authorization", ""}, 401, "INVALID_SESSION_ID"},
		{"no session, .xml", "GET", "/services/data/v62.0/query.xml?q=x", "", "", []string{"Authorization", "", "Accept", ""}, 401, "INVALID_SESSION_ID"},
		{"bad xml body", "POST", "/services/data/v62.0/sobjects/Contact", "<Contact><LastName>x</Contact>", "application/xml", nil, 400, "XML_PARSER_ERROR"},
		{"compound field", "POST", "/services/data/v62.0/sobjects/Contact", "<Contact><Addr><City>x</City></Addr></Contact>", "application/xml", nil, 400, "XML_PARSER_ERROR"},
		{"bad json body", "POST", "/services/data/v62.0/sobjects/Contact", "{", "application/json", nil, 400, "JSON_PARSER_ERROR"},
		{"method", "PUT", "/services/data/v62.0/sobjects/Contact/" + contactID, "", "", nil, 405, "METHOD_NOT_ALLOWED"},
	}
	for _, tt := range tests {
		hdr := append([]string{"Accept", "application/xml", "Content-Type", tt.ctype}, tt.hdr...)
		w := call(t, s, tt.method, tt.path, tt.body, hdr...)
		var e xmlErrors
		if err := xml.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code != tt.status || len(e.Errors) != 1 || e.Errors[0].ErrorCode != tt.code || e.Errors[0].Message == "" {
			t.Errorf("%s: %d %v %s", tt.name, w.Code, err, w.Body)
		}
	}
	// JSON clients still get JSON errors.
	w := call(t, s, "GET", "/services/data/v62.0/sobjects/Contact/003Dn00000000NopeAA", "")
	if !json.Valid(w.Body.Bytes()) {
		t.Errorf("JSON error: %s", w.Body)
	}
}

func TestXMLNames(t *testing.T) {
	for s, want := range map[string]bool{"Email": true, "SSN__c": true, "_x": true, "a-b.c": true, "": false, "1a": false, "a b": false, "xmlFoo": false, "é": false} {
		if xmlName(s) != want {
			t.Errorf("xmlName(%q) = %v", s, !want)
		}
	}
	// A field no element can name is left out, not written broken.
	s := newTest(t, Options{})
	w := call(t, s, "POST", "/services/data/v62.0/sobjects/Contact", `{"LastName":"Odd","bad name":"x"}`)
	id := decode[map[string]any](t, w)["id"].(string)
	w = call(t, s, "GET", "/services/data/v62.0/sobjects/Contact/"+id+".xml", "")
	if root := parseDoc(t, w.Body.Bytes()); root.childText("LastName") != "Odd" {
		t.Errorf("%s", w.Body)
	}
}
