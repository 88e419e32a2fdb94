package proxy_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/forward/forwardtest"
)

// Salesforce's SOAP API through Veil: jsforce's conn.login(user, pass)
// without an OAuth client and Data Loader log in with a SOAP login() and
// send every later call with the session in a SessionHeader (Bulk API 1.0
// in X-SFDC-Session). soapCRM is a small stand-in for Salesforce's side.

const (
	soapUser     = "analyst@acme.example"
	soapPassword = "s3cret-SOAP-Pa55word"
	// invalidLogin is Salesforce's fault for bad credentials, as it sends it.
	invalidLogin = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		`<soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring>` +
		`<detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid username, password, security token; or user locked out.</sf:exceptionMessage></sf:LoginFault></detail>` +
		`</soapenv:Fault></soapenv:Body></soapenv:Envelope>`
)

type soapCRM struct {
	mu       sync.Mutex
	calls    int
	sessions map[string]bool
	seen     []http.Header // the headers of every call but a login
	bodies   [][]byte      // their bodies, as the CRM got them (decoded)
}

func newSOAPCRM() *soapCRM { return &soapCRM{sessions: map[string]bool{}} }

func (s *soapCRM) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

var (
	usernameRE = regexp.MustCompile(`<username>([^<]*)</username>`)
	passwordRE = regexp.MustCompile(`<password>([^<]*)</password>`)
	sessionRE  = regexp.MustCompile(`<sessionId>([^<]*)</sessionId>`)
)

// loginResult is the CRM's loginResponse for a session on base.
func soapLoginResult(base, session string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		`<soapenv:Body><loginResponse><result>` +
		`<metadataServerUrl>` + base + `/services/Soap/m/62.0/00D000000000001</metadataServerUrl>` +
		`<passwordExpired>false</passwordExpired><sandbox>false</sandbox>` +
		`<serverUrl>` + base + `/services/Soap/u/62.0/00D000000000001</serverUrl>` +
		`<sessionId>` + session + `</sessionId><userId>005000000000001AAA</userId>` +
		`<userInfo><organizationId>00D000000000001EAA</organizationId><sessionSecondsValid>7200</sessionSecondsValid>` +
		`<userEmail>` + soapUser + `</userEmail><userName>` + soapUser + `</userName></userInfo>` +
		`</result></loginResponse></soapenv:Body></soapenv:Envelope>`
}

const soapQueryResult = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:sf="urn:sobject.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
	`<soapenv:Body><queryResponse><result xsi:type="QueryResult"><done>true</done><queryLocator xsi:nil="true"/>` +
	`<records xsi:type="sf:sObject"><sf:type>Contact</sf:type><sf:Id>003000000000001AAA</sf:Id><sf:Name>Jane Doe</sf:Name></records>` +
	`<size>1</size></result></queryResponse></soapenv:Body></soapenv:Envelope>`

func (s *soapCRM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls++
	s.mu.Unlock()
	var rd io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, "bad gzip", 400)
			return
		}
		rd = zr
	}
	b, _ := io.ReadAll(rd)
	xmlAnswer := func(status int, body string) {
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	switch {
	case strings.HasPrefix(r.URL.Path, "/services/Soap/") && bytes.Contains(b, []byte("<login ")):
		u, p := usernameRE.FindSubmatch(b), passwordRE.FindSubmatch(b)
		if u == nil || p == nil || !strings.EqualFold(string(u[1]), soapUser) || string(p[1]) != soapPassword {
			xmlAnswer(500, invalidLogin)
			return
		}
		s.mu.Lock()
		session := "00D000000000001!AQ" + strconv.Itoa(len(s.sessions)+1) + "soapsession"
		s.sessions[session] = true
		s.mu.Unlock()
		xmlAnswer(200, soapLoginResult(scheme+"://"+r.Host, session))
	case strings.HasPrefix(r.URL.Path, "/services/Soap/"):
		s.record(r, b)
		m := sessionRE.FindSubmatch(b)
		if m == nil || !s.issued(string(m[1])) {
			xmlAnswer(500, strings.ReplaceAll(strings.ReplaceAll(invalidLogin, "INVALID_LOGIN", "INVALID_SESSION_ID"), "LoginFault", "UnexpectedErrorFault"))
			return
		}
		xmlAnswer(200, soapQueryResult)
	case strings.HasPrefix(r.URL.Path, "/services/async/"):
		s.record(r, b)
		if !s.issued(r.Header.Get("X-SFDC-Session")) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><error xmlns="http://www.force.com/2009/06/asyncapi/dataload"><exceptionCode>InvalidSessionId</exceptionCode><exceptionMessage>Invalid session id</exceptionMessage></error>`)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload"><id>750000000000001AAA</id><state>Open</state></jobInfo>`)
	default:
		http.NotFound(w, r)
	}
}

func (s *soapCRM) record(r *http.Request, b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, r.Header.Clone())
	s.bodies = append(s.bodies, b)
}

func (s *soapCRM) issued(session string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[session]
}

func (s *soapCRM) last() (http.Header, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seen) == 0 {
		return nil, nil
	}
	return s.seen[len(s.seen)-1], s.bodies[len(s.bodies)-1]
}

// soapLoginEnvelope is what jsforce's loginBySoap sends.
func soapLoginEnvelope(user, pass string) string {
	return `<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header/><se:Body>` +
		`<login xmlns="urn:partner.soap.sforce.com"><username>` + user + `</username><password>` + pass + `</password></login>` +
		`</se:Body></se:Envelope>`
}

// soapQueryEnvelope is a query as jsforce's SOAP API sends it, with the
// session in its SessionHeader.
func soapQueryEnvelope(session string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		`<soapenv:Header xmlns="urn:partner.soap.sforce.com"><SessionHeader><sessionId>` + session + `</sessionId></SessionHeader></soapenv:Header>` +
		`<soapenv:Body xmlns="urn:partner.soap.sforce.com"><query><queryString>SELECT Id, Name FROM Contact</queryString></query></soapenv:Body></soapenv:Envelope>`
}

// soapDo posts body to u with c; hdr are header name/value pairs.
func soapDo(t *testing.T, c *http.Client, method, u, body string, hdr ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("SOAPAction", `""`)
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
	return reply{res.StatusCode, res.Header, b}
}

// loginResult is the part of a loginResponse a client uses.
type loginResult struct {
	ServerURL         string `xml:"Body>loginResponse>result>serverUrl"`
	MetadataServerURL string `xml:"Body>loginResponse>result>metadataServerUrl"`
	SessionID         string `xml:"Body>loginResponse>result>sessionId"`
}

// accessLine waits for the access-log line of the exchange answered
// with X-Request-Id id.
func accessLine(t *testing.T, logs *syncBuffer, id string) map[string]any {
	t.Helper()
	if id == "" {
		t.Fatal("no X-Request-Id")
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		sc := bufio.NewScanner(strings.NewReader(logs.String()))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "request" && line["request_id"] == id {
				return line
			}
		}
	}
	t.Fatalf("no access-log line for request %s", id)
	return nil
}

func isFault(b []byte) bool {
	var f struct {
		XMLName xml.Name
		Code    string `xml:"Body>Fault>faultcode"`
	}
	return xml.Unmarshal(b, &f) == nil && f.XMLName.Local == "Envelope" && f.Code != ""
}

// TestSOAPLoginThroughVeil: reverse mode. A SOAP login as a configured CRM
// user is bound to its principal and its serverUrl points back at Veil;
// the session then identifies that principal in a SessionHeader, in
// X-SFDC-Session (Bulk API 1.0) and as a Bearer token. An unknown user is
// answered with Salesforce's own bad-credentials fault without asking the
// CRM; a wrong password's fault is the CRM's; an unknown session, two
// credentials, a DOCTYPE are refused with faults. No password, username or
// session reaches the log.
func TestSOAPLoginThroughVeil(t *testing.T) {
	up := newSOAPCRM()
	upSrv := httptest.NewServer(up)
	t.Cleanup(upSrv.Close)
	h := start(t, withUpstream(upSrv.URL), withCRMUser("crm-analyst", "analyst", "Analyst@Acme.example"))
	soapURL := h.veil + "/services/Soap/u/62.0"

	res := soapDo(t, client, "POST", soapURL, soapLoginEnvelope(soapUser, soapPassword))
	if res.status != 200 {
		t.Fatalf("login: %d %s", res.status, res.body)
	}
	var lr loginResult
	if err := xml.Unmarshal(res.body, &lr); err != nil || lr.SessionID == "" {
		t.Fatalf("login response %s: %v", res.body, err)
	}
	if want := soapLoginResult(h.veil, lr.SessionID); string(res.body) != want {
		t.Errorf("the login response is not the CRM's with Veil's URLs:\n%s\nwant\n%s", res.body, want)
	}
	if !strings.HasPrefix(lr.ServerURL, h.veil+"/services/Soap/u/62.0/") || !strings.HasPrefix(lr.MetadataServerURL, h.veil+"/services/Soap/m/") {
		t.Errorf("serverUrl %q, metadataServerUrl %q: want Veil's %s", lr.ServerURL, lr.MetadataServerURL, h.veil)
	}
	if res.header.Get("Content-Length") != strconv.Itoa(len(res.body)) || res.header.Get("Content-Encoding") != "" {
		t.Errorf("login response headers %v", res.header)
	}
	if l := accessLine(t, h.logs, res.header.Get("X-Request-Id")); l["principal"] != "crm-analyst" || l["outcome"] != "passthrough" {
		t.Errorf("login access log: %v", l)
	}

	// The next call goes where serverUrl says, Veil, with the session.
	res = soapDo(t, client, "POST", lr.ServerURL, soapQueryEnvelope(lr.SessionID))
	if l := accessLine(t, h.logs, res.header.Get("X-Request-Id")); l["principal"] != "crm-analyst" {
		t.Errorf("a SOAP call with the session: %d %s; access log %v", res.status, res.body, l)
	}
	if hdr, b := up.last(); hdr == nil || !bytes.Contains(b, []byte("<sessionId>"+lr.SessionID+"</sessionId>")) {
		t.Errorf("the CRM did not get the SOAP call with its session: %s", b)
	}
	if res.status != 200 {
		t.Logf("the SOAP query was answered %d %q (the inspector's decision)", res.status, res.header.Get("X-Veil-Error"))
	}

	// Bulk API 1.0: the session in X-SFDC-Session.
	res = soapDo(t, client, "POST", h.veil+"/services/async/62.0/job",
		`<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload"><operation>query</operation><object>Contact</object><contentType>CSV</contentType></jobInfo>`,
		"Content-Type", "application/xml", "X-SFDC-Session", lr.SessionID)
	if l := accessLine(t, h.logs, res.header.Get("X-Request-Id")); l["principal"] != "crm-analyst" {
		t.Errorf("Bulk API 1.0 with X-SFDC-Session: %d %s; access log %v", res.status, res.body, l)
	}
	if hdr, _ := up.last(); hdr.Get("X-SFDC-Session") != lr.SessionID {
		t.Errorf("the CRM did not get X-SFDC-Session")
	}

	before := up.count()
	// An unknown user: Salesforce's own fault, byte for byte, and the CRM
	// is never asked.
	res = soapDo(t, client, "POST", soapURL, soapLoginEnvelope("mallory@acme.example", soapPassword))
	if res.status != 500 || string(res.body) != invalidLogin || res.header.Get("X-Veil-Error") != "" || !strings.HasPrefix(res.header.Get("Content-Type"), "text/xml") {
		t.Errorf("unknown user: %d %q %s", res.status, res.header.Get("X-Veil-Error"), res.body)
	}
	// Refused before the CRM: an unknown session, two credentials, a
	// DOCTYPE, a body over the limit.
	for name, c := range map[string]struct {
		body string
		hdr  []string
		code string
	}{
		"unknown session":                  {soapQueryEnvelope("00D000000000001!someone-elses"), nil, "unknown_principal"},
		"no session":                       {strings.Replace(soapQueryEnvelope("x"), "<SessionHeader><sessionId>x</sessionId></SessionHeader>", "", 1), nil, "unauthenticated"},
		"Bearer and another SessionHeader": {soapQueryEnvelope(lr.SessionID), []string{"Authorization", "Bearer demo-admin"}, "ambiguous_credentials"},
		"SessionHeader and X-SFDC-Session": {soapQueryEnvelope(lr.SessionID), []string{"X-SFDC-Session", "other"}, "ambiguous_credentials"},
		"a DOCTYPE in a login":             {`<?xml version="1.0"?><!DOCTYPE se:Envelope [<!ENTITY u "` + soapUser + `">]>` + soapLoginEnvelope("&u;", soapPassword), nil, "invalid_body"},
		"not an envelope":                  {`{"username":"` + soapUser + `"}`, nil, "invalid_body"},
		"an undefined entity":              {soapLoginEnvelope(soapUser, "&"+soapPassword+";"), nil, "invalid_body"},
	} {
		res := soapDo(t, client, "POST", soapURL, c.body, c.hdr...)
		if res.status != 500 || res.header.Get("X-Veil-Error") != c.code || !isFault(res.body) {
			t.Errorf("%s: %d %q %s", name, res.status, res.header.Get("X-Veil-Error"), res.body)
		}
	}
	res = soapDo(t, client, "POST", h.veil+"/services/async/62.0/job", "<jobInfo/>", "Content-Type", "application/xml",
		"X-SFDC-Session", lr.SessionID, "Authorization", "Bearer "+lr.SessionID)
	if res.status != 400 || res.header.Get("X-Veil-Error") != "ambiguous_credentials" {
		t.Errorf("Authorization and X-SFDC-Session: %d %q %s", res.status, res.header.Get("X-Veil-Error"), res.body)
	}
	if n := up.count(); n != before {
		t.Errorf("the CRM was asked %d times for requests Veil refused", n-before)
	}

	// A wrong password: the CRM's own fault reaches the client.
	res = soapDo(t, client, "POST", soapURL, soapLoginEnvelope(soapUser, "wrong-password"))
	if res.status != 500 || string(res.body) != invalidLogin || res.header.Get("X-Veil-Error") != "" {
		t.Errorf("wrong password: %d %q %s", res.status, res.header.Get("X-Veil-Error"), res.body)
	}
	if l := accessLine(t, h.logs, res.header.Get("X-Request-Id")); l["outcome"] != "blocked" || l["code"] != "crm_login_failed" || l["principal"] != "crm-analyst" {
		t.Errorf("a failed login's access log: %v", l)
	}

	// Data Loader compresses its requests: a gzipped login is read, and
	// goes to the CRM as the client sent it.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = io.WriteString(zw, soapLoginEnvelope(strings.ToUpper(soapUser), soapPassword))
	_ = zw.Close()
	res = soapDo(t, client, "POST", soapURL, gz.String(), "Content-Encoding", "gzip", "SOAPAction", "login")
	var again loginResult
	if res.status != 200 || xml.Unmarshal(res.body, &again) != nil || again.SessionID == "" || again.SessionID == lr.SessionID {
		t.Fatalf("gzipped login: %d %s", res.status, res.body)
	}
	// A Bearer token beside the same SessionHeader (one credential) is fine.
	res = soapDo(t, client, "POST", soapURL, soapQueryEnvelope(again.SessionID), "Authorization", "Bearer "+again.SessionID)
	if l := accessLine(t, h.logs, res.header.Get("X-Request-Id")); l["principal"] != "crm-analyst" {
		t.Errorf("Bearer and the same SessionHeader: %d %s; access log %v", res.status, res.body, l)
	}

	logs := h.logs.String()
	for _, secret := range []string{soapPassword, lr.SessionID, again.SessionID, soapUser, "mallory@acme.example"} {
		if strings.Contains(strings.ToLower(logs), strings.ToLower(secret)) {
			t.Errorf("the log holds %q", secret)
		}
	}
}

// TestSOAPLoginBodyLimit: a SOAP body over limits.max_body_bytes is a
// fault, and never reaches the CRM.
func TestSOAPLoginBodyLimit(t *testing.T) {
	up := newSOAPCRM()
	upSrv := httptest.NewServer(up)
	t.Cleanup(upSrv.Close)
	h := start(t, withUpstream(upSrv.URL), withCRMUser("crm-analyst", "analyst", soapUser), func(c *config.Config, _ *proxy.Options) {
		c.Limits.MaxBodyBytes = 1024
	})
	res := soapDo(t, client, "POST", h.veil+"/services/Soap/u/62.0", soapLoginEnvelope(soapUser, strings.Repeat("p", 2048)))
	if res.status != 500 || res.header.Get("X-Veil-Error") != "body_too_large" || !isFault(res.body) {
		t.Errorf("%d %q %s", res.status, res.header.Get("X-Veil-Error"), res.body)
	}
	if up.count() != 0 {
		t.Error("the CRM was asked")
	}
}

// startForwardSOAP is Veil in forward mode, crm-analyst mapped to
// soapUser, in front of a SOAP CRM served over TLS as
// acme.my.salesforce.com (its CA trusted through forward.upstream_ca).
func startForwardSOAP(t *testing.T) (*soapCRM, *fwdHarness) {
	t.Helper()
	up := newSOAPCRM()
	upCA, err := forwardtest.NewCA("SOAP CRM CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := upCA.Leaf("acme.my.salesforce.com")
	if err != nil {
		t.Fatal(err)
	}
	upSrv := httptest.NewUnstartedServer(up)
	upSrv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}}
	upSrv.StartTLS()
	t.Cleanup(upSrv.Close)
	caFile := filepath.Join(t.TempDir(), "soap-ca.crt")
	if err := os.WriteFile(caFile, upCA.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	h := startForward(t, withCRMUser("crm-analyst", "analyst", soapUser), func(c *config.Config, _ *proxy.Options) {
		c.Forward.UpstreamCA = caFile
		c.Forward.Resolve["acme.my.salesforce.com"] = strings.TrimPrefix(upSrv.URL, "https://")
	})
	return up, h
}

// TestForwardSOAPLogin: forward mode. The SOAP login to an intercepted
// Salesforce host is bound and its serverUrl stays the CRM's; the session
// then identifies the principal in a SessionHeader and in X-SFDC-Session;
// an unknown user and a DOCTYPE are refused without asking the CRM.
func TestForwardSOAPLogin(t *testing.T) {
	up, h := startForwardSOAP(t)
	c := h.client(h.veilCA, true)
	const crm = "https://acme.my.salesforce.com"

	res := soapDo(t, c, "POST", crm+"/services/Soap/u/62.0", soapLoginEnvelope(soapUser, soapPassword))
	var lr loginResult
	if res.status != 200 || xml.Unmarshal(res.body, &lr) != nil || lr.SessionID == "" {
		t.Fatalf("login: %d %s", res.status, res.body)
	}
	if string(res.body) != soapLoginResult(crm, lr.SessionID) {
		t.Errorf("forward mode changed the login response: %s", res.body)
	}
	if l := accessLine(t, h.logs, res.header.Get("X-Request-Id")); l["principal"] != "crm-analyst" || l["outcome"] != "passthrough" {
		t.Errorf("login access log: %v", l)
	}
	res = soapDo(t, c, "POST", lr.ServerURL, soapQueryEnvelope(lr.SessionID))
	if l := accessLine(t, h.logs, res.header.Get("X-Request-Id")); l["principal"] != "crm-analyst" {
		t.Errorf("a SOAP call with the session: %d %s; access log %v", res.status, res.body, l)
	}
	res = soapDo(t, c, "POST", crm+"/services/async/62.0/job", "<jobInfo/>", "Content-Type", "application/xml", "X-SFDC-Session", lr.SessionID)
	if l := accessLine(t, h.logs, res.header.Get("X-Request-Id")); l["principal"] != "crm-analyst" {
		t.Errorf("Bulk API 1.0 with X-SFDC-Session: %d %s; access log %v", res.status, res.body, l)
	}

	before := up.count()
	res = soapDo(t, c, "POST", crm+"/services/Soap/u/62.0", soapLoginEnvelope("mallory@acme.example", "x"))
	if res.status != 500 || string(res.body) != invalidLogin || res.header.Get("X-Veil-Error") != "" {
		t.Errorf("unknown user: %d %q %s", res.status, res.header.Get("X-Veil-Error"), res.body)
	}
	res = soapDo(t, c, "POST", crm+"/services/Soap/u/62.0", `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>`+soapLoginEnvelope("&e;", "x"))
	if res.status != 500 || res.header.Get("X-Veil-Error") != "invalid_body" || !isFault(res.body) {
		t.Errorf("DOCTYPE: %d %q %s", res.status, res.header.Get("X-Veil-Error"), res.body)
	}
	res = soapDo(t, c, "POST", crm+"/services/Soap/u/62.0", soapQueryEnvelope("never-issued"))
	if res.status != 500 || res.header.Get("X-Veil-Error") != "unknown_principal" || !isFault(res.body) {
		t.Errorf("unknown session: %d %q %s", res.status, res.header.Get("X-Veil-Error"), res.body)
	}
	if n := up.count(); n != before {
		t.Errorf("the CRM was asked %d times for requests Veil refused", n-before)
	}
	res = soapDo(t, c, "POST", crm+"/services/Soap/u/62.0", soapLoginEnvelope(soapUser, "wrong"))
	if res.status != 500 || string(res.body) != invalidLogin || res.header.Get("X-Veil-Error") != "" {
		t.Errorf("wrong password: %d %q %s", res.status, res.header.Get("X-Veil-Error"), res.body)
	}
	logs := h.logs.String()
	for _, secret := range []string{soapPassword, lr.SessionID, soapUser} {
		if strings.Contains(strings.ToLower(logs), strings.ToLower(secret)) {
			t.Errorf("the log holds %q", secret)
		}
	}
}
