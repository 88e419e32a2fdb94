package fakecrm

import (
	"encoding/xml"
	"fmt"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

const (
	partnerPath    = "/services/Soap/u/62.0"
	enterprisePath = "/services/Soap/c/62.0/" + orgID
)

// soapPost posts a SOAP 1.1 message as jsforce does (Content-Type
// text/xml, SOAPAction ""), with no Authorization header.
func soapPost(t *testing.T, s *Server, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	return call(t, s, "POST", path, body, "Authorization", "", "Content-Type", "text/xml", "SOAPAction", `""`)
}

// envelope is a call as jsforce's SOAP client frames it: the API's
// namespace the default one on Header and Body, the session in
// SessionHeader.
func envelope(ns, session, header, body string) string {
	h := header
	if session != "" {
		h = "<SessionHeader><sessionId>" + session + "</sessionId></SessionHeader>" + header
	}
	return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"` +
		` xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		`<soapenv:Header xmlns="` + ns + `">` + h + `</soapenv:Header><soapenv:Body xmlns="` + ns + `">` + body + `</soapenv:Body></soapenv:Envelope>`
}

// loginBody is the login message as jsforce's loginBySoap writes it.
func loginBody(user, pass string) string {
	return `<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header/><se:Body>` +
		`<login xmlns="urn:partner.soap.sforce.com"><username>` + user + `</username><password>` + pass + `</password></login>` +
		`</se:Body></se:Envelope>`
}

type loginEnvelope struct {
	XMLName xml.Name `xml:"http://schemas.xmlsoap.org/soap/envelope/ Envelope"`
	Result  struct {
		MetadataServerURL string `xml:"metadataServerUrl"`
		PasswordExpired   bool   `xml:"passwordExpired"`
		Sandbox           bool   `xml:"sandbox"`
		ServerURL         string `xml:"serverUrl"`
		SessionID         string `xml:"sessionId"`
		UserID            string `xml:"userId"`
		UserInfo          struct {
			OrganizationID string `xml:"organizationId"`
			UserEmail      string `xml:"userEmail"`
			UserFullName   string `xml:"userFullName"`
			UserID         string `xml:"userId"`
			UserName       string `xml:"userName"`
		} `xml:"userInfo"`
	} `xml:"Body>loginResponse>result"`
}

type faultEnvelope struct {
	Fault struct {
		Code   string `xml:"faultcode"`
		String string `xml:"faultstring"`
		Detail struct {
			Inner struct {
				XMLName xml.Name
				Code    string `xml:"exceptionCode"`
				Message string `xml:"exceptionMessage"`
			} `xml:",any"`
		} `xml:"detail"`
	} `xml:"http://schemas.xmlsoap.org/soap/envelope/ Body>Fault"`
}

// soapFault parses a fault, checking the status and faultcode.
func soapFault(t *testing.T, w *httptest.ResponseRecorder, faultcode string) faultEnvelope {
	t.Helper()
	var f faultEnvelope
	if err := xml.Unmarshal(w.Body.Bytes(), &f); err != nil || w.Code != 500 || f.Fault.Code != faultcode {
		t.Fatalf("want a %s fault: %d %v %s", faultcode, w.Code, err, w.Body)
	}
	return f
}

// login logs in on s and returns the login result.
func login(t *testing.T, s *Server, user string) loginEnvelope {
	t.Helper()
	w := soapPost(t, s, partnerPath, loginBody(user, "any"))
	var env loginEnvelope
	if err := xml.Unmarshal(w.Body.Bytes(), &env); err != nil || w.Code != 200 || env.Result.SessionID == "" {
		t.Fatalf("login: %d %v %s", w.Code, err, w.Body)
	}
	return env
}

// body is the first element of a SOAP answer's Body.
func body(t *testing.T, w *httptest.ResponseRecorder) *xnode {
	t.Helper()
	env := parseDoc(t, w.Body.Bytes())
	b := env.child("Body")
	if w.Code != 200 || env.XMLName.Space != nsSoapEnv || b == nil || len(b.Kids) == 0 {
		t.Fatalf("not a SOAP answer: %d %s", w.Code, w.Body)
	}
	return &b.Kids[0]
}

func TestSOAPLoginThenQuery(t *testing.T) {
	s := newTest(t, Options{InstanceURL: "http://127.0.0.1:8080"})
	w := soapPost(t, s, partnerPath, loginBody("analyst@demo.example", "any"))
	if ct := w.Header().Get("Content-Type"); w.Code != 200 || !strings.HasPrefix(ct, "text/xml") {
		t.Fatalf("login: %d %q %s", w.Code, ct, w.Body)
	}
	// What jsforce's loginBySoap extracts with its regular expressions.
	for _, el := range []string{"serverUrl", "sessionId", "userId", "organizationId"} {
		if !regexp.MustCompile(`<` + el + `>([^<]+)</` + el + `>`).Match(w.Body.Bytes()) {
			t.Errorf("no unprefixed <%s>: %s", el, w.Body)
		}
	}
	var env loginEnvelope
	if err := xml.Unmarshal(w.Body.Bytes(), &env); err != nil {
		t.Fatal(err)
	}
	r := env.Result
	if r.ServerURL != "http://127.0.0.1:8080/services/Soap/u/62.0/"+orgID || r.MetadataServerURL != "http://127.0.0.1:8080/services/Soap/m/62.0/"+orgID ||
		r.PasswordExpired || r.Sandbox || !strings.HasPrefix(r.UserID, "005") || len(r.UserID) != 18 {
		t.Errorf("result %+v", r)
	}
	if u := r.UserInfo; u.OrganizationID != orgID || u.UserName != "analyst@demo.example" || u.UserEmail != "analyst@demo.example" ||
		u.UserFullName != "Analyst" || u.UserID != r.UserID {
		t.Errorf("userInfo %+v", u)
	}
	if login(t, s, "other@demo.example").Result.UserID == r.UserID {
		t.Error("two users, one id")
	}

	// A query with the session id, as jsforce's conn.soap sends calls.
	w = soapPost(t, s, strings.TrimPrefix(r.ServerURL, "http://127.0.0.1:8080"), envelope(partnerAPI.ns, r.SessionID, "",
		"<query><queryString>SELECT Id, Email, MobilePhone, Account.Name FROM Contact WHERE Id = '"+contactID+"'</queryString></query>"))
	res := body(t, w).child("result")
	if res == nil || res.attr("type") != "QueryResult" || res.childText("done") != "true" || !res.child("queryLocator").isNil() || res.childText("size") != "1" {
		t.Fatalf("result: %s", w.Body)
	}
	rec := res.child("records")
	if rec.attr("type") != "sf:sObject" || !slicesEqual(childNames(rec), []string{"type", "Id", "Id", "Email", "MobilePhone", "Account"}) {
		t.Fatalf("record %v %s", childNames(rec), w.Body)
	}
	for _, k := range rec.Kids {
		if k.XMLName.Space != partnerAPI.sobj {
			t.Errorf("%s in %q, want the sObject namespace", k.XMLName.Local, k.XMLName.Space)
		}
	}
	if rec.childText("type") != "Contact" || rec.childText("Id") != contactID || rec.childText("Email") != "ahmed.kowalski@example.com" || !rec.child("MobilePhone").isNil() {
		t.Errorf("record values: %s", w.Body)
	}
	acct := rec.child("Account")
	if acct.attr("type") != "sf:sObject" || acct.childText("type") != "Account" || !acct.child("Id").isNil() || acct.childText("Name") == "" {
		t.Errorf("parent: %s", w.Body)
	}
	if !strings.Contains(w.Body.String(), `<sf:type>Contact</sf:type>`) || !strings.Contains(w.Body.String(), `xmlns:sf="urn:sobject.partner.soap.sforce.com"`) {
		t.Errorf("want sf-prefixed fields: %s", w.Body)
	}

	// The REST API takes the session id as a bearer token.
	w = call(t, s, "GET", q("SELECT Id FROM Contact"), "", "Authorization", "Bearer "+r.SessionID)
	if w.Code != 200 {
		t.Errorf("REST with the session id: %d %s", w.Code, w.Body)
	}
}

func TestSOAPFaults(t *testing.T) {
	s := newTest(t, Options{})
	sess := login(t, s, "u@example.com").Result.SessionID
	const invalidLogin = "INVALID_LOGIN: Invalid username, password, security token; or user locked out."
	tests := []struct {
		name, path, body, faultcode, faultstring, detail string
	}{
		{"wrong password", partnerPath, loginBody("u@example.com", "invalid"), "sf:INVALID_LOGIN", invalidLogin, "LoginFault"},
		{"no password", partnerPath, loginBody("u@example.com", ""), "sf:INVALID_LOGIN", invalidLogin, "LoginFault"},
		{"no username", enterprisePath, strings.ReplaceAll(loginBody("", "p"), "partner", "enterprise"), "sf:INVALID_LOGIN", invalidLogin, "LoginFault"},
		{"no session", partnerPath, envelope(partnerAPI.ns, "", "", "<query><queryString>SELECT Id FROM Contact</queryString></query>"),
			"sf:INVALID_SESSION_ID", "INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session", "UnexpectedErrorFault"},
		{"malformed query", partnerPath, envelope(partnerAPI.ns, sess, "", "<query><queryString>SELEC Id FROM Contact</queryString></query>"),
			"sf:MALFORMED_QUERY", "", "MalformedQueryFault"},
		{"invalid field", enterprisePath, envelope(enterpriseAPI.ns, sess, "", "<query><queryString>SELECT Nope FROM Contact</queryString></query>"),
			"sf:INVALID_FIELD", "INVALID_FIELD: No such column 'Nope' on entity 'Contact'.", "InvalidFieldFault"},
		{"invalid type", partnerPath, envelope(partnerAPI.ns, sess, "", "<queryAll><queryString>SELECT Id FROM Nope</queryString></queryAll>"),
			"sf:INVALID_TYPE", "", "InvalidSObjectFault"},
		{"bad locator", partnerPath, envelope(partnerAPI.ns, sess, "", "<queryMore><queryLocator>01gNope-5</queryLocator></queryMore>"),
			"sf:INVALID_QUERY_LOCATOR", "", "InvalidQueryLocatorFault"},
		{"unknown operation", partnerPath, envelope(partnerAPI.ns, sess, "", "<noSuchCall/>"),
			"soapenv:Client", "No operation available for request {urn:partner.soap.sforce.com}noSuchCall, please check the WSDL for the service.", ""},
		{"partner call on the enterprise endpoint", enterprisePath, envelope(partnerAPI.ns, sess, "", "<query><queryString>SELECT Id FROM Contact</queryString></query>"),
			"soapenv:Client", "No operation available for request {urn:partner.soap.sforce.com}query, please check the WSDL for the service.", ""},
		{"not SOAP", partnerPath, "<login/>", "soapenv:Client", "", ""},
		{"not XML", partnerPath, "{", "soapenv:Client", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := soapPost(t, s, tt.path, tt.body)
			f := soapFault(t, w, tt.faultcode).Fault
			if tt.faultstring != "" && f.String != tt.faultstring {
				t.Errorf("faultstring %q", f.String)
			}
			if got := f.Detail.Inner.XMLName; got.Local != tt.detail || tt.detail != "" && (got.Space != "urn:fault."+map[bool]string{true: "enterprise", false: "partner"}[strings.Contains(tt.path, "/c/")]+".soap.sforce.com" ||
				f.Detail.Inner.Code != strings.TrimPrefix(tt.faultcode, "sf:")) {
				t.Errorf("detail %+v: %s", f.Detail.Inner, w.Body)
			}
		})
	}
	// jsforce spots an expired session by this pattern on a 500.
	w := soapPost(t, s, partnerPath, envelope(partnerAPI.ns, "", "", "<getUserInfo/>"))
	if !regexp.MustCompile(`<faultcode>[a-zA-Z]+:INVALID_SESSION_ID</faultcode>`).Match(w.Body.Bytes()) || w.Code != 500 {
		t.Errorf("%d %s", w.Code, w.Body)
	}
	if w := call(t, s, "GET", partnerPath, "", "Authorization", ""); w.Code != 405 {
		t.Errorf("GET: %d", w.Code)
	}
	if w := soapPost(t, s, "/services/Soap/x/62.0", loginBody("u", "p")); w.Code != 404 {
		t.Errorf("unknown API: %d", w.Code)
	}
}

func TestSOAPQueryMoreAndEnterprise(t *testing.T) {
	s := newTest(t, Options{})
	sess := login(t, s, "u@example.com").Result.SessionID
	batch := "<QueryOptions><batchSize>5</batchSize></QueryOptions>"
	w := soapPost(t, s, enterprisePath, envelope(enterpriseAPI.ns, sess, batch, "<query><queryString>SELECT Id, Email FROM Contact ORDER BY Email</queryString></query>"))
	var ids []string
	for pages := 1; ; pages++ {
		res := body(t, w).child("result")
		recs := res.children("records")
		if res.childText("size") != "12" || len(recs) > 5 || pages > 4 {
			t.Fatalf("page %d: %s", pages, w.Body)
		}
		for _, rec := range recs {
			// Enterprise: the type is the record's xsi:type, no type child, no leading Id.
			if rec.attr("type") != "sf:Contact" || !slicesEqual(childNames(rec), []string{"Id", "Email"}) || rec.Kids[0].XMLName.Space != enterpriseAPI.sobj {
				t.Fatalf("record %v %v", rec.Attrs, childNames(rec))
			}
			ids = append(ids, rec.childText("Id"))
		}
		if res.childText("done") == "true" {
			if !res.child("queryLocator").isNil() || pages != 3 {
				t.Errorf("last page %d: %s", pages, w.Body)
			}
			break
		}
		loc := res.childText("queryLocator")
		if !regexp.MustCompile(`^01g[A-Za-z0-9]+-\d+$`).MatchString(loc) {
			t.Fatalf("locator %q", loc)
		}
		w = soapPost(t, s, enterprisePath, envelope(enterpriseAPI.ns, sess, batch, "<queryMore><queryLocator>"+loc+"</queryLocator></queryMore>"))
		if !strings.Contains(w.Body.String(), "<queryMoreResponse>") {
			t.Fatalf("%s", w.Body)
		}
	}
	rest := restRecords(t, s, "SELECT Id FROM Contact ORDER BY Email", []string{"Id"})
	if len(ids) != 12 || fmt.Sprint(ids) != fmt.Sprint(flatten(rest)) {
		t.Errorf("SOAP ids %v, REST %v", ids, rest)
	}
	// An enterprise login names the enterprise endpoint.
	w = soapPost(t, s, enterprisePath, strings.ReplaceAll(loginBody("u@example.com", "p"), "partner", "enterprise"))
	var env loginEnvelope
	if err := xml.Unmarshal(w.Body.Bytes(), &env); err != nil || !strings.HasSuffix(env.Result.ServerURL, enterprisePath) {
		t.Errorf("enterprise login: %v %s", err, w.Body)
	}
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

// soapResults are the result elements of an answer.
func soapResults(t *testing.T, w *httptest.ResponseRecorder) []*xnode {
	t.Helper()
	return body(t, w).children("result")
}

func TestSOAPWrites(t *testing.T) {
	s := newTest(t, Options{})
	sess := login(t, s, "u@example.com").Result.SessionID
	do := func(op string) []*xnode {
		t.Helper()
		return soapResults(t, soapPost(t, s, partnerPath, envelope(partnerAPI.ns, sess, "", op)))
	}
	// create, as jsforce's conn.soap.create frames records.
	res := do(`<create xmlns="urn:partner.soap.sforce.com" xmlns:ns1="sobject.partner.soap.sforce.com">` +
		`<ns1:sObjects><type>Contact</type><LastName>Soap</LastName><Email>soap@example.com</Email><HasOptedOutOfEmail>true</HasOptedOutOfEmail></ns1:sObjects>` +
		`<ns1:sObjects><type>Contact</type><fieldsToNull>Phone</fieldsToNull><LastName>Soap2</LastName></ns1:sObjects>` +
		`<ns1:sObjects><type>Contact</type><Id>` + contactID + `</Id><LastName>Dup</LastName></ns1:sObjects></create>`)
	if len(res) != 3 || res[0].childText("success") != "true" || res[1].childText("success") != "true" || !strings.HasPrefix(res[0].childText("id"), "003") {
		t.Fatalf("create: %d results", len(res))
	}
	if e := res[2].child("errors"); res[2].childText("success") != "false" || !res[2].child("id").isNil() || e == nil ||
		e.childText("statusCode") != "INVALID_FIELD_FOR_INSERT_UPDATE" || e.childText("fields") != "Id" {
		t.Errorf("create with an Id: %v", childNames(res[2]))
	}
	id1, id2 := res[0].childText("id"), res[1].childText("id")

	// retrieve: partner records, null for an unknown id.
	res = do("<retrieve><fieldList>Id, LastName, Email, HasOptedOutOfEmail</fieldList><sObjectType>Contact</sObjectType><ids>" + id1 + "</ids><ids>003Dn00000000NopeAA</ids></retrieve>")
	if len(res) != 2 || res[0].attr("type") != "sf:sObject" || res[0].childText("Email") != "soap@example.com" || res[0].childText("HasOptedOutOfEmail") != "true" || !res[1].isNil() {
		t.Fatalf("retrieve: %+v", res)
	}

	// update (Enterprise framing: xsi:type on sObjects), then upsert by Email.
	w := soapPost(t, s, enterprisePath, envelope(enterpriseAPI.ns, sess, "",
		`<update xmlns:ens="urn:sobject.enterprise.soap.sforce.com"><sObjects xsi:type="ens:Contact"><ens:Id>`+id1+`</ens:Id><ens:Title>CTO</ens:Title><ens:Email xsi:nil="true"/></sObjects>`+
			`<sObjects xsi:type="ens:Contact"><ens:Id>003Dn00000000NopeAA</ens:Id><ens:Title>x</ens:Title></sObjects></update>`))
	res = soapResults(t, w)
	if len(res) != 2 || res[0].childText("id") != id1 || res[1].child("errors").childText("statusCode") != "INVALID_CROSS_REFERENCE_KEY" {
		t.Fatalf("update: %s", w.Body)
	}
	res = do(`<upsert><externalIDFieldName>LastName</externalIDFieldName>` +
		`<sObjects><type>Contact</type><LastName>Soap2</LastName><Title>Upserted</Title></sObjects>` +
		`<sObjects><type>Contact</type><LastName>Brand New</LastName></sObjects></upsert>`)
	if len(res) != 2 || res[0].childText("created") != "false" || res[0].childText("id") != id2 || res[1].childText("created") != "true" {
		t.Fatalf("upsert: %v %v", childNames(res[0]), childNames(res[1]))
	}
	rec := decode[map[string]any](t, call(t, s, "GET", "/services/data/v62.0/sobjects/Contact/"+id1, ""))
	rec2 := decode[map[string]any](t, call(t, s, "GET", "/services/data/v62.0/sobjects/Contact/"+id2, ""))
	if rec["Title"] != "CTO" || rec["Email"] != nil || rec["HasOptedOutOfEmail"] != true || rec2["Title"] != "Upserted" {
		t.Errorf("stored: %v %v", rec, rec2)
	}

	// delete
	res = do("<delete><ids>" + id1 + "</ids><ids>" + id1 + "</ids></delete>")
	if len(res) != 2 || res[0].childText("success") != "true" || res[1].child("errors").childText("statusCode") != "ENTITY_IS_DELETED" {
		t.Fatalf("delete: %v", res)
	}
	if w := call(t, s, "GET", "/services/data/v62.0/sobjects/Contact/"+id1, ""); w.Code != 404 {
		t.Errorf("deleted record: %d", w.Code)
	}

	// Faults for what a whole call cannot do.
	for op, code := range map[string]string{
		"<create><sObjects><type>Nope</type><Name>x</Name></sObjects></create>": "sf:INVALID_TYPE",
		"<create><sObjects><Name>x</Name></sObjects></create>":                  "sf:INVALID_TYPE",
		"<create></create>": "sf:EXCEEDED_ID_LIMIT",
		"<upsert><externalIDFieldName>Nope</externalIDFieldName><sObjects><type>Contact</type></sObjects></upsert>": "sf:INVALID_FIELD",
		"<retrieve><fieldList>Nope</fieldList><sObjectType>Contact</sObjectType><ids>x</ids></retrieve>":            "sf:INVALID_FIELD",
		"<retrieve><fieldList>Id</fieldList><sObjectType>Nope</sObjectType><ids>x</ids></retrieve>":                 "sf:INVALID_TYPE",
	} {
		soapFault(t, soapPost(t, s, partnerPath, envelope(partnerAPI.ns, sess, "", op)), code)
	}
}

func TestSOAPSearch(t *testing.T) {
	s := newTest(t, Options{})
	sess := login(t, s, "u@example.com").Result.SessionID
	tests := []struct {
		sosl    string
		n       int
		objects string
	}{
		{"FIND {ahmed.kowalski} IN EMAIL FIELDS RETURNING Contact(Id, Email)", 1, "Contact"},
		{"find {EXAMPLE*} returning Contact(Id), Lead LIMIT 3", 3, "Contact"},
		{`FIND {"Kowalski"} IN NAME FIELDS RETURNING Lead(Id, Name), Contact(Id, Name, Account.Name)`, -1, ""},
		{"FIND {nobody-at-all} RETURNING Contact", 0, ""},
	}
	for _, tt := range tests {
		w := soapPost(t, s, partnerPath, envelope(partnerAPI.ns, sess, "", "<search><searchString>"+tt.sosl+"</searchString></search>"))
		res := body(t, w).child("result")
		recs := res.children("searchRecords")
		if tt.n >= 0 && len(recs) != tt.n || tt.n < 0 && len(recs) == 0 {
			t.Errorf("%s: %d records: %s", tt.sosl, len(recs), w.Body)
			continue
		}
		for _, sr := range recs {
			rec := sr.child("record")
			if rec == nil || rec.attr("type") != "sf:sObject" || tt.objects != "" && rec.childText("type") != tt.objects {
				t.Errorf("%s: %s", tt.sosl, w.Body)
			}
		}
	}
	for _, bad := range []string{"FIND ahmed RETURNING Contact", "FIND {x} RETURNING Contact(Id WHERE x)", "FIND {x} RETURNING Nope"} {
		w := soapPost(t, s, partnerPath, envelope(partnerAPI.ns, sess, "", "<search><searchString>"+bad+"</searchString></search>"))
		if w.Code != 500 || !strings.Contains(w.Body.String(), "<faultcode>sf:") {
			t.Errorf("%s: %d %s", bad, w.Code, w.Body)
		}
	}
}

func TestSOAPUserInfoAndLogout(t *testing.T) {
	s := newTest(t, Options{})
	sess := login(t, s, "jane.doe@acme.example").Result.SessionID
	res := body(t, soapPost(t, s, partnerPath, envelope(partnerAPI.ns, sess, "", "<getUserInfo/>"))).child("result")
	if res.childText("userName") != "jane.doe@acme.example" || res.childText("userFullName") != "Jane Doe" || res.childText("organizationId") != orgID || !res.child("roleId").isNil() {
		t.Fatalf("getUserInfo: %v", childNames(res))
	}
	// An OAuth token works as a session id too.
	if res := body(t, soapPost(t, s, partnerPath, envelope(partnerAPI.ns, "00DOAuthToken", "", "<getUserInfo/>"))).child("result"); res.childText("userName") == "" {
		t.Error("getUserInfo with an OAuth token")
	}
	if b := body(t, soapPost(t, s, partnerPath, envelope(partnerAPI.ns, sess, "", "<logout/>"))); b.XMLName.Local != "logoutResponse" {
		t.Fatalf("logout: %v", b.XMLName)
	}
	soapFault(t, soapPost(t, s, partnerPath, envelope(partnerAPI.ns, sess, "", "<getUserInfo/>")), "sf:INVALID_SESSION_ID")
	if w := call(t, s, "GET", q("SELECT Id FROM Contact"), "", "Authorization", "Bearer "+sess); w.Code != 401 {
		t.Errorf("REST after logout: %d", w.Code)
	}
	if w := call(t, s, "GET", q("SELECT Id FROM Contact"), ""); w.Code != 200 {
		t.Errorf("other tokens after a logout: %d", w.Code)
	}
}
