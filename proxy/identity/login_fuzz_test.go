package identity

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzLogin: a token request is read bounded and whatever it holds, its
// body goes on to the CRM byte for byte with a true Content-Length; it
// logs in crm-sales exactly when it is a form (no Content-Encoding) whose
// password grant names that principal's CRM user exactly (ASCII case
// aside; no trimming, no Unicode case mapping),
// as net/url reads the form, and sends each login parameter once (RFC 6749
// 3.2); anything else is an OAuth error whose JSON body carries its error.
func FuzzLogin(f *testing.F) {
	const form = "application/x-www-form-urlencoded"
	for _, c := range []struct{ body, ct, enc string }{
		{"grant_type=password&username=sales%40acme.EXAMPLE&password=pw", form + "; charset=UTF-8", ""},
		{"grant_type=password&username=+Sales@Acme.example+&password=pw", form, "identity"},
		{"grant_type=password&username=mallory%40acme.example", form, ""},
		{"grant_type=refresh_token&refresh_token=nope", form, ""},
		{"grant_type=authorization_code&code=x", form, ""},
		{`{"grant_type":"password"}`, "application/json", ""},
		{"grant_type=%zz", form, ""},
		{"grant_type=password;username=sales@acme.example", form, ""},
		{"grant_type=password&username=sales@acme.example", form, "gzip"},
		{"username=sales@acme.example&grant_type=password&username=admin@acme.example", form, ""},
	} {
		f.Add([]byte(c.body), c.ct, c.enc)
	}
	r := loginResolver(f)
	f.Fuzz(func(t *testing.T, b []byte, ct, enc string) {
		req, err := http.NewRequest("POST", "http://veil.test"+TokenPath, bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", ct)
		if enc != "" {
			req.Header.Set("Content-Encoding", enc)
		}
		p, le := r.Login(context.Background(), req)

		mt, _, _ := mime.ParseMediaType(ct)
		read := mt == form && (enc == "" || strings.EqualFold(enc, "identity")) && len(b) <= maxLoginRequest
		if read {
			got, _ := io.ReadAll(req.Body)
			if !bytes.Equal(got, b) || req.ContentLength != int64(len(b)) || req.Header.Get("Content-Length") != strconv.Itoa(len(b)) {
				t.Fatalf("%q: body %q (Content-Length %d, %q) goes on", b, got, req.ContentLength, req.Header.Get("Content-Length"))
			}
		}
		want := ""
		if values, err := url.ParseQuery(string(b)); read && err == nil && values.Get("grant_type") == "password" &&
			asciiLower(values.Get("username")) == "sales@acme.example" && once(values) {
			want = "crm-sales"
		}
		if le == nil {
			if p.ID != want || want == "" {
				t.Fatalf("%q (%q, %q) logs in %q, want %q", b, ct, enc, p.ID, want)
			}
			return
		}
		if want != "" {
			t.Fatalf("%q (%q, %q) refused: %v", b, ct, enc, le)
		}
		var doc map[string]string
		if le.Status < 400 || le.Status > 599 || le.Code == "" || json.Unmarshal(le.Body(), &doc) != nil || doc["error"] != le.OAuth || doc["error_description"] == "" {
			t.Fatalf("%q: login error %+v, body %s", b, le, le.Body())
		}
	})
}

// once: no login parameter repeated.
func once(v url.Values) bool {
	for _, k := range loginParams {
		if len(v[k]) > 1 {
			return false
		}
	}
	return true
}

// FuzzBindResponse: a CRM's answer to a login, whatever it holds. A
// failed login passes untouched. A 200 is bound, or refused with an error
// when it is not a JSON object with an access_token (or not in an
// encoding Veil reads): once bound, the access and refresh tokens name the
// principal logging in; the body goes on as JSON, uncompressed with a
// true Content-Length, equal to the CRM's but for instance_url and id,
// passed through the rewrite.
func FuzzBindResponse(f *testing.F) {
	for _, c := range []struct {
		status int
		body   string
		gz     bool
		enc    string
	}{
		{200, `{"access_token":"00D!abc","refresh_token":"5Aep!r","instance_url":"https://acme.my.salesforce.com","id":"https://login.salesforce.com/id/00D/005","issued_at":"1","n":12345678901234567890}`, true, ""},
		{200, `{"access_token":"short","expires_in":60}`, false, ""},
		{200, `{"access_token":"long","expires_in":99999999999}`, false, ""},
		{200, `{"access_token":"wraps","expires_in":9223372037}`, false, ""},
		{200, `{"access_token":"x","instance_url":{"a":1},"id":""}`, false, "identity"},
		{200, `{"access_token":"x"} trailing`, false, ""},
		{200, `{"access_token":"demo-admin"}`, false, ""},
		{400, `{"error":"invalid_grant"}`, false, ""},
		{200, `{"token_type":"Bearer"}`, false, ""},
		{200, `[1]`, false, ""},
		{200, `{"access_token":"x"}`, false, "br"},
	} {
		f.Add(c.status == 200, []byte(c.body), c.gz, c.enc)
	}
	f.Fuzz(func(t *testing.T, ok bool, b []byte, gz bool, enc string) {
		r := loginResolver(t)
		ctx := context.Background()
		p := r.byID["crm-sales"]
		status := http.StatusBadRequest
		if ok {
			status = http.StatusOK
		}
		res := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}}}
		wire := b
		if gz {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, _ = zw.Write(b)
			_ = zw.Close()
			wire, enc = buf.Bytes(), "gzip"
		}
		if enc != "" {
			res.Header.Set("Content-Encoding", enc)
		}
		res.Body = io.NopCloser(bytes.NewReader(wire))
		res.ContentLength = int64(len(wire))
		rewrite := func(u string) string { return "rebased:" + u }
		err := r.BindResponse(ctx, p, res, rewrite)

		if !ok {
			got, _ := io.ReadAll(res.Body)
			if err != nil || !bytes.Equal(got, wire) || res.Header.Get("Content-Encoding") != enc {
				t.Fatalf("a failed login was changed (%v)", err)
			}
			return
		}
		var in map[string]any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		encOK := map[string]bool{"": true, "identity": true, "gzip": true, "x-gzip": true}[strings.ToLower(enc)]
		access := ""
		if dec.Decode(&in) == nil {
			access, _ = in["access_token"].(string)
		}
		if (err == nil) != (encOK && access != "" && len(b) <= maxLoginResponse) {
			t.Fatalf("%q (%q): bound = %v (%v)", b, enc, err == nil, err)
		}
		if err != nil {
			return
		}
		for _, tok := range []string{access, func() string { s, _ := in["refresh_token"].(string); return s }()} {
			if tok == "" {
				continue
			}
			if id, err := r.sessions.Lookup(ctx, tok); err != nil || id != p.ID {
				t.Fatalf("%q: token %q is bound to %q (%v)", b, tok, id, err)
			}
		}
		out, _ := io.ReadAll(res.Body)
		if res.Header.Get("Content-Encoding") != "" || res.ContentLength != int64(len(out)) || res.Header.Get("Content-Length") != strconv.Itoa(len(out)) {
			t.Fatalf("body of %d bytes sent as %q, Content-Length %d", len(out), res.Header.Get("Content-Encoding"), res.ContentLength)
		}
		var got map[string]any
		dec = json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("%q went on as %q: %v", b, out, err)
		}
		for _, k := range []string{"instance_url", "id"} {
			if s, ok := in[k].(string); ok && s != "" {
				in[k] = rewrite(s)
			}
		}
		if !reflect.DeepEqual(got, in) {
			t.Fatalf("%q went on as %q", b, out)
		}
	})
}

// TestBindResponseHugeExpiresIn: an expires_in past 2^63 ns (292 years)
// overflowed the Duration into a negative one, so the access token was
// bound already expired and every request with it refused. Found with
// FuzzBindResponse's property "a bound token names the principal".
func TestBindResponseHugeExpiresIn(t *testing.T) {
	r := loginResolver(t)
	ctx := context.Background()
	for _, secs := range []string{"9223372037", "18446744073", "99999999999", "9223372036854775807"} {
		tok := "tok-" + secs
		res := &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"access_token":"` + tok + `","expires_in":` + secs + `}`))}
		if err := r.BindResponse(ctx, r.byID["crm-sales"], res, nil); err != nil {
			t.Fatal(err)
		}
		if id, err := r.sessions.Lookup(ctx, tok); err != nil || id != "crm-sales" {
			t.Errorf("expires_in %s: %q, %v", secs, id, err)
		}
		if left := time.Until(r.sessions.(*MemorySessions).m[digest(tok)].expires); left < 59*time.Minute {
			t.Errorf("expires_in %s: bound for %v, want identity.sessions.ttl (1h)", secs, left)
		}
	}
}

// asciiLower lower-cases ASCII letters only (strings.ToLower maps İ to i̇).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
