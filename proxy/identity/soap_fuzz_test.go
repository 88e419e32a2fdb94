package identity

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReadSOAPEnvelope: whatever the body, ReadSOAPEnvelope never panics
// and never answers with a password. Three envelopes are read per input:
// the raw bytes; a login holding user and pw (password before or after
// the username), whose username is user and whose result nowhere holds
// pw; and that login with the raw bytes after its password, which is
// refused or read with the same username, again without pw anywhere.
func FuzzReadSOAPEnvelope(f *testing.F) {
	for _, c := range []struct{ raw, user, pw string }{
		{jsforceLogin("sales@acme.example", "pw"), "sales@acme.example", "s3cret-Pa55"},
		{jsforceCall("00D!x", "query"), "a@b.c", "hunter22"},
		{`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`, "u", "pass-word"},
		{`<username>admin@acme.example</username>`, "u", "<![CDATA[x]]>"},
		{`</login><login><username>admin@acme.example</username>`, "sales@acme.example", "pw&amp;"},
		{strings.Repeat("<a>", 40), "", ""},
		{"<password>", "\xff\x00", "]]>"},
	} {
		f.Add([]byte(c.raw), c.user, c.pw)
	}
	f.Fuzz(func(t *testing.T, raw []byte, user, pw string) {
		if env, err := ReadSOAPEnvelope(raw); err == nil {
			if env.Operation == "" {
				t.Fatalf("%q: read without an operation", raw)
			}
			if !env.IsLogin() && env.Username != "" {
				t.Fatalf("%q: a username outside a login", raw)
			}
		} else if !errors.Is(err, ErrSOAPEnvelope) {
			t.Fatalf("%q: error %v", raw, err)
		}

		u, p := escaped(user), escaped(pw)
		text := unescaped(u) // the user as XML carries it: invalid characters replaced
		secret := len(pw) >= 4 && !strings.Contains(text, pw) && !strings.Contains("login urn:partner.soap.sforce.com", pw)
		check := func(doc string, mustRead bool) {
			env, err := ReadSOAPEnvelope([]byte(doc))
			if err != nil {
				if mustRead {
					t.Fatalf("%q refused: %v", doc, err)
				}
				return
			}
			if env.Operation != "login" || env.Username != text {
				t.Fatalf("%q: read as %+v, want the login of %q", doc, env, text)
			}
			if secret && fieldsHold(env, pw) {
				t.Fatalf("%q: the password is in %+v", doc, env)
			}
		}
		head := `<?xml version="1.0" encoding="UTF-8"?><se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Body><login xmlns="urn:partner.soap.sforce.com">`
		tail := `</login></se:Body></se:Envelope>`
		check(head+`<username>`+u+`</username><password>`+p+`</password>`+tail, true)
		check(head+`<password>`+p+`</password><username>`+u+`</username>`+tail, true)
		if !bytes.Contains(raw, []byte(pw)) {
			check(head+`<username>`+u+`</username><password>`+p+`</password>`+string(raw)+tail, false)
		}
	})
}

func escaped(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// unescaped is what an XML reader makes of escaped text: EscapeText
// replaces what XML cannot hold with U+FFFD and writes \r as &#xD;.
func unescaped(s string) string {
	var v struct {
		X string `xml:",chardata"`
	}
	if err := xml.Unmarshal([]byte("<x>"+s+"</x>"), &v); err != nil || !utf8.ValidString(v.X) {
		return "\x00unreadable"
	}
	return v.X
}

// fieldsHold reports whether any string of env holds s.
func fieldsHold(env *SOAPEnvelope, s string) bool {
	v := reflect.ValueOf(*env)
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.String && strings.Contains(f.String(), s) {
			return true
		}
	}
	return false
}

// FuzzBindSOAPLogin: a CRM's answer to a SOAP login, whatever it holds,
// never panics the binder. A fault passes untouched. A bound answer names
// the principal by its sessionId and goes on uncompressed with a true
// length, equal to the CRM's but for the two URLs' text.
func FuzzBindSOAPLogin(f *testing.F) {
	f.Add(true, []byte(loginResponse("00D!s", "7200")))
	f.Add(true, []byte(loginResponse("00D!s", "x")+"<x/>"))
	f.Add(true, []byte(strings.Replace(loginResponse("00D!s", "1"), "<serverUrl>https://acme.my.salesforce.com", "<serverUrl>https://a&amp;b", 1)))
	f.Add(true, []byte(strings.Replace(loginResponse("00D!s", "1"), "<serverUrl>https://acme.my.salesforce.com/services/Soap/u/62.0/00D000000000001?a=1&amp;b=2</serverUrl>", "<serverUrl/>", 1)))
	f.Add(false, []byte(`<soapenv:Fault/>`))
	f.Fuzz(func(t *testing.T, ok bool, b []byte) {
		r := loginResolver(t)
		ctx := context.Background()
		status := http.StatusInternalServerError
		if ok {
			status = http.StatusOK
		}
		res := soapResponse(status, string(b), false)
		err := r.BindSOAPLogin(ctx, r.byID["crm-sales"], res, func(u string) string { return "V" + u })
		out, _ := io.ReadAll(res.Body)
		if !ok {
			if err != nil || !bytes.Equal(out, b) {
				t.Fatalf("a fault was changed (%v)", err)
			}
			return
		}
		if err != nil {
			return
		}
		lr, lerr := readLoginResult(b)
		if lerr != nil {
			t.Fatalf("%q bound but does not read: %v", b, lerr)
		}
		if id, err := r.sessions.Lookup(ctx, lr.sessionID); err != nil || id != "crm-sales" {
			t.Fatalf("%q: session bound to %q (%v)", b, id, err)
		}
		if res.ContentLength != int64(len(out)) || res.Header.Get("Content-Encoding") != "" {
			t.Fatalf("%q: length %d of %d", b, res.ContentLength, len(out))
		}
		// The output reads the same, with each non-empty URL prefixed.
		again, err := readLoginResult(out)
		if err != nil || again.sessionID != lr.sessionID || len(again.urls) != len(lr.urls) {
			t.Fatalf("%q went on as %q: %v", b, out, err)
		}
		for i, sp := range lr.urls {
			want := sp.text
			if sp.start < sp.end {
				want = "V" + want
			}
			if again.urls[i].text != want {
				t.Fatalf("%q: URL %q went on as %q", b, sp.text, again.urls[i].text)
			}
		}
	})
}
