package ingress

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/identity"
	"github.com/veil-proxy/veil/proxy/scope"
)

const peekQuery = `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><SessionHeader xmlns="urn:partner.soap.sforce.com"><sessionId>s-1</sessionId></SessionHeader></e:Header>` +
	`<e:Body><query xmlns="urn:partner.soap.sforce.com"><queryString>SELECT Id FROM Contact</queryString></query></e:Body></e:Envelope>`

func TestIsSOAPCall(t *testing.T) {
	for _, c := range []struct {
		dialect, method, path string
		want                  bool
	}{
		{config.DialectSalesforce, "POST", "/services/Soap/u/62.0", true},
		{config.DialectSalesforce, "POST", "/services/Soap/c/62.0/00D", true},
		{config.DialectSalesforce, "GET", "/services/Soap/u/62.0", false},
		{config.DialectSalesforce, "POST", "/services/data/v62.0/sobjects/Contact", false},
		{config.DialectHubSpot, "POST", "/services/Soap/u/62.0", false},
	} {
		if got := IsSOAPCall(c.dialect, httptest.NewRequest(c.method, c.path, nil)); got != c.want {
			t.Errorf("%s %s %s: %v", c.dialect, c.method, c.path, got)
		}
	}
}

func TestPeekSOAP(t *testing.T) {
	req := httptest.NewRequest("POST", "/services/Soap/u/62.0", strings.NewReader(peekQuery))
	req.Header.Set("Expect", "100-continue")
	req.ContentLength = -1
	env, e := PeekSOAP(req, 1<<20)
	if e != nil || env.Operation != "query" || env.SessionID != "s-1" {
		t.Fatalf("%+v %v", env, e)
	}
	b, _ := io.ReadAll(req.Body)
	again, _ := req.GetBody()
	b2, _ := io.ReadAll(again)
	if string(b) != peekQuery || string(b2) != peekQuery || req.ContentLength != int64(len(peekQuery)) ||
		req.Header.Get("Content-Length") != strconv.Itoa(len(peekQuery)) || req.Header.Get("Expect") != "" {
		t.Errorf("the body goes on as %q (length %d, %v)", b, req.ContentLength, req.Header)
	}

	// A compressed body is read decoded and goes on as sent.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = io.WriteString(zw, peekQuery)
	_ = zw.Close()
	req = httptest.NewRequest("POST", "/services/Soap/u/62.0", bytes.NewReader(gz.Bytes()))
	req.Header.Set("Content-Encoding", "gzip")
	if env, e := PeekSOAP(req, 1<<20); e != nil || env.SessionID != "s-1" {
		t.Fatalf("gzip: %+v %v", env, e)
	}
	if b, _ := io.ReadAll(req.Body); !bytes.Equal(b, gz.Bytes()) {
		t.Error("the gzipped body was changed")
	}

	for name, c := range map[string]struct {
		body, enc string
		limit     int64
		code      string
		status    int
	}{
		"over the limit":         {peekQuery, "", 64, crm.CodeBodyTooLarge, http.StatusRequestEntityTooLarge},
		"decoded over the limit": {gz.String(), "gzip", int64(gz.Len()), crm.CodeBodyTooLarge, http.StatusRequestEntityTooLarge},
		"brotli":                 {peekQuery, "br", 1 << 20, crm.CodeUnsupportedEncoding, http.StatusUnsupportedMediaType},
		"not gzip":               {peekQuery, "gzip", 1 << 20, crm.CodeInvalidBody, http.StatusBadRequest},
		"a DOCTYPE":              {`<!DOCTYPE x>` + peekQuery, "", 1 << 20, crm.CodeInvalidBody, http.StatusBadRequest},
		"empty":                  {"", "", 1 << 20, crm.CodeInvalidBody, http.StatusBadRequest},
	} {
		req := httptest.NewRequest("POST", "/services/Soap/u/62.0", strings.NewReader(c.body))
		if c.enc != "" {
			req.Header.Set("Content-Encoding", c.enc)
		}
		if _, e := PeekSOAP(req, c.limit); e == nil || e.Code != c.code || e.Status != c.status {
			t.Errorf("%s: %+v", name, e)
		}
	}
}

// Admit takes a SOAP call's SessionHeader and, on Salesforce routes,
// X-SFDC-Session as the CRM session; two different credentials are refused.
func TestAdmitSessions(t *testing.T) {
	ctx := context.Background()
	sessions := identity.NewMemorySessions(10)
	id, err := identity.New(config.Identity{Header: "X-Veil-Key", Principals: []config.Principal{
		{ID: "p", Token: "t", Roles: []string{"admin"}},
		{ID: "crm", Roles: []string{"analyst"}, CRMUsers: []string{"a@b.c"}},
	}}, identity.WithSessions(sessions))
	if err != nil {
		t.Fatal(err)
	}
	_ = sessions.Bind(ctx, "s-1", "crm", time.Hour)
	sf := &config.Route{Name: "sf", Dialect: config.DialectSalesforce, Purpose: "support"}
	hs := &config.Route{Name: "hs", Dialect: config.DialectHubSpot, Purpose: "marketing"}
	env := &identity.SOAPEnvelope{Operation: "query", SessionHeader: true, SessionID: "s-1"}
	for name, c := range map[string]struct {
		rc   *config.Route
		hdr  http.Header
		env  *identity.SOAPEnvelope
		want string
		code string
	}{
		"SessionHeader":                 {sf, http.Header{}, env, "crm", ""},
		"X-SFDC-Session":                {sf, http.Header{"X-Sfdc-Session": {"s-1"}}, nil, "crm", ""},
		"X-SFDC-Session off Salesforce": {hs, http.Header{"X-Sfdc-Session": {"s-1"}}, nil, "", crm.CodeUnauthenticated},
		"Veil key beside a session":     {sf, http.Header{"X-Veil-Key": {"Bearer t"}}, env, "p", ""},
		"Authorization and X-SFDC":      {sf, http.Header{"Authorization": {"Bearer s-1"}, "X-Sfdc-Session": {"s-1"}}, nil, "", CodeAmbiguousCredentials},
		"Authorization and another":     {sf, http.Header{"Authorization": {"Bearer s-2"}}, env, "", CodeAmbiguousCredentials},
		"unknown session":               {sf, http.Header{}, &identity.SOAPEnvelope{Operation: "query", SessionHeader: true, SessionID: "s-2"}, "", crm.CodeUnknownPrincipal},
	} {
		sc := &scope.Scope{}
		e := Admit(ctx, id, c.rc, sc, c.hdr, c.env)
		code := ""
		if e != nil {
			code = e.Code
		}
		if code != c.code || sc.Principal.ID != c.want {
			t.Errorf("%s: %q %v", name, sc.Principal.ID, e)
		}
	}
}
