package identity

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
)

// jsforceLogin is the envelope jsforce's loginBySoap sends.
func jsforceLogin(user, pass string) string {
	var u, p bytes.Buffer
	_ = xml.EscapeText(&u, []byte(user))
	_ = xml.EscapeText(&p, []byte(pass))
	return `<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header/><se:Body>` +
		`<login xmlns="urn:partner.soap.sforce.com"><username>` + u.String() + `</username><password>` + p.String() + `</password></login>` +
		`</se:Body></se:Envelope>`
}

// jsforceCall is the envelope of a SOAP call jsforce makes once logged in.
func jsforceCall(session, op string) string {
	header := ""
	if session != "" {
		header = `<SessionHeader><sessionId>` + session + `</sessionId></SessionHeader>`
	}
	return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ` +
		`xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		`<soapenv:Header xmlns="urn:partner.soap.sforce.com">` + header + `</soapenv:Header>` +
		`<soapenv:Body xmlns="urn:partner.soap.sforce.com"><` + op + `><queryString>SELECT Id FROM Contact</queryString></` + op + `></soapenv:Body></soapenv:Envelope>`
}

func TestReadSOAPEnvelope(t *testing.T) {
	const sfNS = "urn:partner.soap.sforce.com"
	for name, c := range map[string]struct {
		doc  string
		want SOAPEnvelope
	}{
		"jsforce login": {jsforceLogin("Sales@Acme.example", "pw&<x"), SOAPEnvelope{Operation: "login", Namespace: sfNS, Username: "Sales@Acme.example"}},
		"password first, declaration, comments, CDATA": {`<?xml version="1.0" encoding="UTF-8"?><!-- c --><s:Envelope xmlns:s="` + SOAPEnvelopeNS + `">` +
			"\n <s:Body>\n  <e:login xmlns:e=\"urn:enterprise.soap.sforce.com\"><e:password>p</e:password><e:username>a<!--x-->b<![CDATA[@c]]>&amp;d</e:username></e:login>\n </s:Body>\n</s:Envelope>\n<!-- end -->\n",
			SOAPEnvelope{Operation: "login", Namespace: "urn:enterprise.soap.sforce.com", Username: "ab@c&d"}},
		"query with a session":    {jsforceCall(" 00D!sess ", "query"), SOAPEnvelope{Operation: "query", Namespace: sfNS, SessionHeader: true, SessionID: "00D!sess"}},
		"query without a session": {jsforceCall("", "query"), SOAPEnvelope{Operation: "query", Namespace: sfNS}},
		"empty sessionId":         {strings.Replace(jsforceCall("x", "query"), "<sessionId>x</sessionId>", "<sessionId/>", 1), SOAPEnvelope{Operation: "query", Namespace: sfNS, SessionHeader: true}},
		// Reading stops at the operation: what follows is the inspector's.
		"not read past the operation": {`<e:Envelope xmlns:e="` + SOAPEnvelopeNS + `"><e:Body><create xmlns="urn:partner.soap.sforce.com"><sObjects><<<`,
			SOAPEnvelope{Operation: "create", Namespace: sfNS}},
	} {
		got, err := ReadSOAPEnvelope([]byte(c.doc))
		if err != nil || *got != c.want {
			t.Errorf("%s: %+v, %v; want %+v", name, got, err, c.want)
		}
	}
}

func TestReadSOAPEnvelopeRefuses(t *testing.T) {
	env := func(header, body string) string {
		return `<e:Envelope xmlns:e="` + SOAPEnvelopeNS + `">` + header + `<e:Body>` + body + `</e:Body></e:Envelope>`
	}
	login := `<login xmlns="urn:partner.soap.sforce.com"><username>a@b.c</username><password>p</password></login>`
	deep := strings.Repeat("<x>", 40) + strings.Repeat("</x>", 40)
	for name, doc := range map[string]string{
		"DOCTYPE":                  `<!DOCTYPE e:Envelope [<!ENTITY u "a@b.c">]>` + env("", login),
		"billion laughs":           `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>` + env("", strings.Replace(login, "a@b.c", "&b;", 1)),
		"an entity":                env("", strings.Replace(login, "a@b.c", "&secret-entity;", 1)),
		"a processing instruction": env("", `<?php x?>`+login),
		"a late declaration":       " " + `<?xml version="1.0"?>` + env("", login),
		"another charset":          `<?xml version="1.0" encoding="ISO-8859-1"?>` + env("", login),
		"SOAP 1.2":                 strings.ReplaceAll(env("", login), SOAPEnvelopeNS, "http://www.w3.org/2003/05/soap-envelope"),
		"not an envelope":          `<Envelope>` + login + `</Envelope>`,
		"no Body":                  `<e:Envelope xmlns:e="` + SOAPEnvelopeNS + `"><e:Header/></e:Envelope>`,
		"an empty Body":            env("", " "),
		"text in the Body":         env("", "x"+login),
		"text in the Envelope":     strings.Replace(env("", login), "<e:Body>", "x<e:Body>", 1),
		"two Headers":              env("<e:Header/><e:Header/>", login),
		"an unknown child":         env("<e:Other/>", login),
		"two SessionHeaders":       env(`<e:Header><SessionHeader><sessionId>a</sessionId></SessionHeader><x:SessionHeader xmlns:x="y"><sessionId>b</sessionId></x:SessionHeader></e:Header>`, "<query/>"),
		"two sessionIds":           env(`<e:Header><SessionHeader><sessionId>a</sessionId><sessionId>b</sessionId></SessionHeader></e:Header>`, "<query/>"),
		"a sessionId with markup":  env(`<e:Header><SessionHeader><sessionId>a<b/></sessionId></SessionHeader></e:Header>`, "<query/>"),
		"two usernames":            env("", strings.Replace(login, "<password>", "<x:username xmlns:x=\"z\">admin@b.c</x:username><password>", 1)),
		"no username":              env("", `<login><password>p</password></login>`),
		"a username with markup":   env("", `<login><username>a<i>b</i></username></login>`),
		"a second operation":       env("", login+login),
		"text after the login":     env("", login+"x"),
		"a Header after the Body":  env("", login) + "",
		"a second root":            env("", login) + "<e:Envelope/>",
		"text after the root":      env("", login) + "x",
		"a truncated login":        strings.TrimSuffix(env("", login), "</e:Envelope>"),
		"too deep":                 env("<e:Header>"+deep+"</e:Header>", "<query/>"),
		"a repeated attribute":     env("", `<login a="1" a="2"><username>u</username></login>`),
		"a namespace twice":        env("", `<login xmlns:p="n" xmlns:q="n" p:a="1" q:a="2"><username>u</username></login>`),
		"many repeated attributes": env("", `<login`+strings.Repeat(` a="1"`, 20)+`><username>u</username></login>`),
		"not UTF-8":                env("", "<login><username>\xff</username></login>"),
		"not XML":                  `{"username":"a@b.c"}`,
		"empty":                    "",
	} {
		if name == "a Header after the Body" {
			doc = strings.Replace(doc, "</e:Envelope>", "<e:Header/></e:Envelope>", 1)
		}
		got, err := ReadSOAPEnvelope([]byte(doc))
		if !errors.Is(err, ErrSOAPEnvelope) {
			t.Errorf("%s: read as %+v (%v)", name, got, err)
		}
		if err != nil && (strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "a@b.c")) {
			t.Errorf("%s: the error quotes the body: %v", name, err)
		}
	}
}

func TestSOAPLogin(t *testing.T) {
	r := loginResolver(t)
	for _, user := range []string{"sales@acme.example", "SALES@acme.Example"} {
		env, err := ReadSOAPEnvelope([]byte(jsforceLogin(user, "pw")))
		if err != nil {
			t.Fatal(err)
		}
		if p, e := r.SOAPLogin(env); e != nil || p.ID != "crm-sales" {
			t.Errorf("%q: %+v %v", user, p, e)
		}
	}
	env, _ := ReadSOAPEnvelope([]byte(jsforceLogin("mallory@acme.example", "pw")))
	_, e := r.SOAPLogin(env)
	if e == nil {
		t.Fatal("an unknown CRM user logged in")
	}
	// Salesforce's own fault for bad credentials, as the CRM sends it.
	const want = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		`<soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring>` +
		`<detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid username, password, security token; or user locked out.</sf:exceptionMessage></sf:LoginFault></detail>` +
		`</soapenv:Fault></soapenv:Body></soapenv:Envelope>`
	e.DecisionID = "" // never set for it; the body would not hold it anyway
	if got := string(e.Body(config.DialectSalesforce)); got != want || e.HTTPStatus() != 500 || e.Code != crm.CodeUnknownPrincipal || e.ContentType() != "text/xml;charset=UTF-8" {
		t.Errorf("unknown user: %d %s %s\n%s", e.HTTPStatus(), e.Code, e.ContentType(), got)
	}
	// Not a login at all: the same.
	// Surrounding spaces are not trimmed: the CRM might read the name
	// otherwise than Veil did. Refused, with the same fault.
	env, _ = ReadSOAPEnvelope([]byte(jsforceLogin(" SALES@acme.Example\n", "pw")))
	if _, e := r.SOAPLogin(env); e == nil || e.Fault != "INVALID_LOGIN" || e.Code != CodeInvalidUsername {
		t.Errorf("a username with spaces: %v", e)
	}
	if _, e := r.SOAPLogin(&SOAPEnvelope{Operation: "query"}); e == nil || e.Fault != "INVALID_LOGIN" {
		t.Errorf("a query as a login: %v", e)
	}
}

// loginResponse is a Partner loginResponse as Salesforce sends it.
func loginResponse(session, secs string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		`<soapenv:Body><loginResponse><result>` +
		`<metadataServerUrl>https://acme.my.salesforce.com/services/Soap/m/62.0/00D000000000001</metadataServerUrl>` +
		`<passwordExpired>false</passwordExpired><sandbox>false</sandbox>` +
		`<serverUrl>https://acme.my.salesforce.com/services/Soap/u/62.0/00D000000000001?a=1&amp;b=2</serverUrl>` +
		`<sessionId>` + session + `</sessionId><userId>005000000000001AAA</userId>` +
		`<userInfo><accessibilityMode>false</accessibilityMode><organizationId>00D000000000001EAA</organizationId>` +
		`<sessionSecondsValid>` + secs + `</sessionSecondsValid><userEmail>sales@acme.example</userEmail><userName>sales@acme.example</userName></userInfo>` +
		`</result></loginResponse></soapenv:Body></soapenv:Envelope>`
}

func soapResponse(status int, body string, gz bool) *http.Response {
	res := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"text/xml;charset=UTF-8"}, "Etag": {`"x"`}}}
	b := []byte(body)
	if gz {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(b)
		_ = zw.Close()
		b = buf.Bytes()
		res.Header.Set("Content-Encoding", "gzip")
	}
	res.Body = io.NopCloser(bytes.NewReader(b))
	res.ContentLength = int64(len(b))
	return res
}

func TestBindSOAPLogin(t *testing.T) {
	r := loginResolver(t)
	ctx := context.Background()
	p := r.byID["crm-sales"]
	mem := r.sessions.(*MemorySessions)
	in := loginResponse("00D!sess.long", "7200")
	res := soapResponse(200, in, true)
	if err := r.BindSOAPLogin(ctx, p, res, func(u string) string { return Rebase(u, "http://veil.example:8080") }); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	want := strings.NewReplacer("https://acme.my.salesforce.com/services/Soap/m/", "http://veil.example:8080/services/Soap/m/",
		"https://acme.my.salesforce.com/services/Soap/u/", "http://veil.example:8080/services/Soap/u/").Replace(in)
	if string(b) != want {
		t.Errorf("rewritten:\n%s\nwant\n%s", b, want)
	}
	if res.Header.Get("Content-Encoding") != "" || res.Header.Get("Etag") != "" || res.ContentLength != int64(len(b)) || res.Header.Get("Content-Length") != strconv.Itoa(len(b)) {
		t.Errorf("headers %v, length %d", res.Header, res.ContentLength)
	}
	if got, err := r.ResolveRequest(ctx, http.Header{}, Credentials{SOAP: &SOAPEnvelope{Operation: "query", SessionHeader: true, SessionID: "00D!sess.long"}}); err != nil || got.ID != "crm-sales" {
		t.Errorf("the bound session: %+v %v", got, err)
	}
	// identity.sessions.ttl (1h) bounds the CRM's 7200 s; a shorter one wins.
	if left := time.Until(mem.m[digest("00D!sess.long")].expires); left > time.Hour || left < 59*time.Minute {
		t.Errorf("sessionSecondsValid 7200 bound for %v", left)
	}
	for secs, want := range map[string]time.Duration{"60": time.Minute, "x": time.Hour, "-5": time.Hour, "99999999999999": time.Hour} {
		tok := "sess-" + secs
		if err := r.BindSOAPLogin(ctx, p, soapResponse(200, loginResponse(tok, secs), false), nil); err != nil {
			t.Fatal(err)
		}
		if left := time.Until(mem.m[digest(tok)].expires); left > want || left < want-10*time.Second {
			t.Errorf("sessionSecondsValid %s bound for %v", secs, left)
		}
	}
	// Forward mode: no rewrite, the CRM's body.
	res = soapResponse(200, in, false)
	if err := r.BindSOAPLogin(ctx, p, res, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(res.Body); string(b) != in {
		t.Errorf("without rewrite: %s", b)
	}
	// A fault passes untouched.
	const fault = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>INVALID_LOGIN</faultcode></soapenv:Fault></soapenv:Body></soapenv:Envelope>`
	res = soapResponse(500, fault, true)
	raw := func() []byte { b, _ := io.ReadAll(soapResponse(500, fault, true).Body); return b }()
	if err := r.BindSOAPLogin(ctx, p, res, func(string) string { return "x" }); err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(res.Body); !bytes.Equal(b, raw) || res.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("a fault was changed")
	}
	// A 200 Veil cannot bind is an error.
	for name, body := range map[string]string{
		"no sessionId":     strings.Replace(loginResponse("s", "1"), "<sessionId>s</sessionId>", "", 1),
		"empty sessionId":  loginResponse("", "1"),
		"two sessionIds":   strings.Replace(loginResponse("s", "1"), "<userId>", "<sessionId>t</sessionId><userId>", 1),
		"a DOCTYPE":        `<!DOCTYPE x>` + loginResponse("s", "1"),
		"not a login":      jsforceCall("s", "queryResponse"),
		"not XML":          `{"sessionId":"s"}`,
		"a second root":    loginResponse("s", "1") + `<x/>`,
		"not SOAP":         `<Envelope><Body><loginResponse><result><sessionId>s</sessionId></result></loginResponse></Body></Envelope>`,
		"sessionId markup": loginResponse("s<b/>", "1"),
	} {
		if err := r.BindSOAPLogin(ctx, p, soapResponse(200, body, false), nil); err == nil {
			t.Errorf("%s: bound", name)
		}
	}
	big := soapResponse(200, loginResponse("big", "1")+strings.Repeat(" ", maxLoginResponse), false)
	if err := r.BindSOAPLogin(ctx, p, big, nil); err == nil {
		t.Error("a response over 1 MiB was read")
	}
}

func TestRewriteSpansEscapes(t *testing.T) {
	doc := []byte(`<a><u>https://x.example/p</u><u/><u></u></a>`)
	u := int64(bytes.Index(doc, []byte("https")))
	self := int64(bytes.Index(doc, []byte("<u/>"))) + 4
	empty := int64(bytes.Index(doc, []byte("<u></u>"))) + 3
	got := rewriteSpans(doc, []span{{u, u + 19, "https://x.example/p"}, {self, self, ""}, {empty, empty, ""}}, func(u string) string { return u + "?a=<1>&b" })
	if want := `<a><u>https://x.example/p?a=&lt;1&gt;&amp;b</u><u/><u></u></a>`; string(got) != want {
		t.Errorf("%s", got)
	}
}

func TestResolveRequestSessions(t *testing.T) {
	ctx := context.Background()
	r := loginResolver(t) // identity header: Authorization
	_ = r.sessions.Bind(ctx, "crm-tok", "crm-sales", time.Hour)
	soap := func(id string) *SOAPEnvelope {
		return &SOAPEnvelope{Operation: "query", SessionHeader: true, SessionID: id}
	}
	sf := func(h ...string) http.Header {
		hdr := http.Header{}
		for i := 0; i+1 < len(h); i += 2 {
			hdr.Add(h[i], h[i+1])
		}
		return hdr
	}
	for name, c := range map[string]struct {
		h    http.Header
		c    Credentials
		want string
		err  error
	}{
		"SessionHeader":                    {sf(), Credentials{SOAP: soap("crm-tok")}, "crm-sales", nil},
		"SessionHeader, a Veil token":      {sf(), Credentials{SOAP: soap("demo-admin")}, "demo-admin", nil},
		"SessionHeader unbound":            {sf(), Credentials{SOAP: soap("other")}, "", ErrUnknownToken},
		"SessionHeader empty":              {sf(), Credentials{SOAP: soap("")}, "", ErrNoCredentials},
		"no SessionHeader":                 {sf(), Credentials{SOAP: &SOAPEnvelope{Operation: "query"}}, "", ErrNoCredentials},
		"X-SFDC-Session":                   {sf("X-SFDC-Session", " crm-tok "), Credentials{SFDCSession: true}, "crm-sales", nil},
		"X-SFDC-Session off the route":     {sf("X-SFDC-Session", "crm-tok"), Credentials{}, "", ErrNoCredentials},
		"X-SFDC-Session unbound":           {sf("X-SFDC-Session", "other"), Credentials{SFDCSession: true}, "", ErrUnknownToken},
		"Bearer and the same session":      {sf("Authorization", "Bearer crm-tok"), Credentials{SOAP: soap("crm-tok")}, "crm-sales", nil},
		"Bearer and another session":       {sf("Authorization", "Bearer crm-tok"), Credentials{SOAP: soap("other")}, "", ErrAmbiguousCredentials},
		"Veil token and a session":         {sf("Authorization", "Bearer demo-admin"), Credentials{SOAP: soap("crm-tok")}, "", ErrAmbiguousCredentials},
		"Basic and a session":              {sf("Authorization", "Basic eDp5"), Credentials{SOAP: soap("crm-tok")}, "", ErrAmbiguousCredentials},
		"Bearer and X-SFDC-Session":        {sf("Authorization", "Bearer crm-tok", "X-SFDC-Session", "crm-tok"), Credentials{SFDCSession: true}, "", ErrAmbiguousCredentials},
		"two X-SFDC-Session":               {sf("X-SFDC-Session", "crm-tok", "X-SFDC-Session", "other"), Credentials{SFDCSession: true}, "", ErrAmbiguousCredentials},
		"X-SFDC-Session and SessionHeader": {sf("X-SFDC-Session", "crm-tok"), Credentials{SFDCSession: true, SOAP: soap("other")}, "", ErrAmbiguousCredentials},
		"two Authorization":                {sf("Authorization", "Bearer crm-tok", "Authorization", "Bearer demo-admin"), Credentials{}, "", ErrAmbiguousCredentials},
	} {
		p, err := r.ResolveRequest(ctx, c.h, c.c)
		if p.ID != c.want || !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
			t.Errorf("%s: %q %v, want %q %v", name, p.ID, err, c.want, c.err)
		}
	}
	// With Veil's own header, a session is a session only: a Veil token
	// does not go in a SessionHeader, and the Veil token wins.
	own, err := New(config.Identity{Header: "X-Veil-Token", Principals: append(config.DemoPrincipals[:1:1],
		config.Principal{ID: "crm-sales", Roles: []string{"sales_rep"}, CRMUsers: []string{"s@a.example"}})}, WithSessions(NewMemorySessions(10)))
	if err != nil {
		t.Fatal(err)
	}
	_ = own.sessions.Bind(ctx, "crm-tok", "crm-sales", time.Hour)
	if _, err := own.ResolveRequest(ctx, http.Header{}, Credentials{SOAP: soap("demo-admin")}); !errors.Is(err, ErrUnknownToken) {
		t.Errorf("a Veil token in a SessionHeader under X-Veil-Token: %v", err)
	}
	if p, err := own.ResolveRequest(ctx, http.Header{"X-Sfdc-Session": {"crm-tok"}}, Credentials{SFDCSession: true}); err != nil || p.ID != "crm-sales" {
		t.Errorf("X-SFDC-Session under X-Veil-Token: %+v %v", p, err)
	}
	if p, err := own.ResolveRequest(ctx, http.Header{"X-Veil-Token": {"Bearer demo-admin"}}, Credentials{SOAP: soap("crm-tok")}); err != nil || p.ID != "demo-admin" {
		t.Errorf("a Veil token beside a session: %+v %v", p, err)
	}
}
