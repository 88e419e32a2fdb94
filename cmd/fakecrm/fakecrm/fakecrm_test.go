package fakecrm

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
)

func newTest(t *testing.T, o Options) *Server {
	t.Helper()
	s, err := New(os.DirFS("../../../testdata/crm"), o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func call(t *testing.T, s http.Handler, method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, path, rd)
	r.Header.Set("Authorization", "Bearer test")
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			r.Header.Del(hdr[i])
		} else {
			r.Header.Set(hdr[i], hdr[i+1])
		}
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("status %d, not JSON: %v: %s", w.Code, err, w.Body)
	}
	return v
}

func q(soql string) string { return "/services/data/v62.0/query?q=" + url.QueryEscape(soql) }

type page struct {
	TotalSize      int              `json:"totalSize"`
	Done           bool             `json:"done"`
	NextRecordsURL string           `json:"nextRecordsUrl"`
	Records        []map[string]any `json:"records"`
}

func TestQueryPagingToTheEnd(t *testing.T) {
	s := newTest(t, Options{PageSize: 5})
	w := call(t, s, "GET", q("SELECT Id, Name, Email FROM Contact"), "")
	p := decode[page](t, w)
	if w.Code != 200 || p.TotalSize != 12 || p.Done || len(p.Records) != 5 || !strings.HasPrefix(p.NextRecordsURL, "/services/data/v62.0/query/") {
		t.Fatalf("first page: %d %+v", w.Code, p)
	}
	if w.Header().Get("Sforce-Limit-Info") == "" {
		t.Error("no Sforce-Limit-Info")
	}
	attrs := p.Records[0]["attributes"].(map[string]any)
	if attrs["type"] != "Contact" || !strings.HasSuffix(attrs["url"].(string), p.Records[0]["Id"].(string)) {
		t.Errorf("attributes = %v", attrs)
	}
	seen := len(p.Records)
	for !p.Done {
		p = decode[page](t, call(t, s, "GET", p.NextRecordsURL, ""))
		seen += len(p.Records)
	}
	if seen != 12 {
		t.Fatalf("paged %d records, want 12", seen)
	}
	// Sforce-Query-Options overrides the page size.
	p = decode[page](t, call(t, s, "GET", q("SELECT Id FROM Contact"), "", "Sforce-Query-Options", "batchSize=2"))
	if len(p.Records) != 2 {
		t.Fatalf("batchSize=2 gave %d", len(p.Records))
	}
}

func TestQuerySubset(t *testing.T) {
	s := newTest(t, Options{})
	tests := []struct {
		soql   string
		status int
		n      int
		code   string
	}{
		{"SELECT Id FROM Contact WHERE HasOptedOutOfEmail = true", 200, 4, ""},
		{"select id, email from contact where MailingCountry = 'US' and Email LIKE '%example%' order by Email desc limit 2", 200, 2, ""},
		{"SELECT Id FROM Lead", 200, 6, ""},
		{"SELECT FIELDS(ALL) FROM Account LIMIT 1", 200, 1, ""},
		{"SELECT Id FROM Nope", 400, 0, "INVALID_TYPE"},
		{"SELECT Nope FROM Contact", 400, 0, "INVALID_FIELD"},
		{"SELEC Id FROM Contact", 400, 0, "MALFORMED_QUERY"},
		{"SELECT Id FROM Contact WHERE Email ~ 'x'", 400, 0, "MALFORMED_QUERY"},
	}
	for _, tt := range tests {
		w := call(t, s, "GET", q(tt.soql), "")
		if w.Code != tt.status {
			t.Errorf("%s: status %d: %s", tt.soql, w.Code, w.Body)
			continue
		}
		if tt.code != "" {
			errs := decode[[]map[string]any](t, w)
			if errs[0]["errorCode"] != tt.code {
				t.Errorf("%s: %v, want %s", tt.soql, errs, tt.code)
			}
			continue
		}
		if p := decode[page](t, w); len(p.Records) != tt.n {
			t.Errorf("%s: %d records, want %d", tt.soql, len(p.Records), tt.n)
		}
	}
}

func TestSObjectLifecycle(t *testing.T) {
	s := newTest(t, Options{})
	w := call(t, s, "POST", "/services/data/v50.0/sobjects/Contact", `{"LastName":"Test","Email":"t@example.com"}`)
	created := decode[map[string]any](t, w)
	id, _ := created["id"].(string)
	if w.Code != 201 || created["success"] != true || !strings.HasPrefix(id, "003") || len(id) != 18 {
		t.Fatalf("create: %d %v", w.Code, created)
	}
	path := "/services/data/v50.0/sobjects/Contact/" + id
	if w := call(t, s, "PATCH", path, `{"Email":"new@example.com"}`); w.Code != 204 {
		t.Fatalf("patch: %d %s", w.Code, w.Body)
	}
	w = call(t, s, "GET", path+"?fields=Email", "")
	if rec := decode[map[string]any](t, w); rec["Email"] != "new@example.com" {
		t.Fatalf("after patch: %v", rec)
	}
	etag := w.Header().Get("ETag")
	if etag == "" || strings.HasPrefix(etag, "W/") {
		t.Fatalf("want a strong ETag, got %q", etag)
	}
	if w := call(t, s, "GET", path+"?fields=Email", "", "If-None-Match", etag); w.Code != 304 {
		t.Fatalf("If-None-Match: %d", w.Code)
	}
	if w := call(t, s, "DELETE", path, ""); w.Code != 204 {
		t.Fatalf("delete: %d", w.Code)
	}
	w = call(t, s, "GET", path, "")
	if errs := decode[[]map[string]any](t, w); w.Code != 404 || errs[0]["errorCode"] != "NOT_FOUND" {
		t.Fatalf("after delete: %d %s", w.Code, w.Body)
	}
}

func TestComposite(t *testing.T) {
	s := newTest(t, Options{})
	w := call(t, s, "POST", "/services/data/v62.0/composite/sobjects",
		`{"allOrNone":false,"records":[{"attributes":{"type":"Contact"},"LastName":"A"},{"attributes":{"type":"Nope"},"LastName":"B"}]}`)
	res := decode[[]map[string]any](t, w)
	if w.Code != 200 || len(res) != 2 || res[0]["success"] != true || res[1]["success"] != false {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func TestOAuthToken(t *testing.T) {
	s := newTest(t, Options{InstanceURL: "http://127.0.0.1:8080"})
	r := httptest.NewRequest("POST", "/services/oauth2/token", strings.NewReader("grant_type=password&username=u&password=p"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	tok := decode[map[string]string](t, w)
	if w.Code != 200 || tok["instance_url"] != "http://127.0.0.1:8080" || tok["access_token"] == "" || tok["token_type"] != "Bearer" {
		t.Fatalf("%d %v", w.Code, tok)
	}
	r = httptest.NewRequest("POST", "/services/oauth2/token", strings.NewReader("grant_type=magic"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w = httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != 400 || decode[map[string]string](t, w)["error"] != "unsupported_grant_type" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

type hsPage struct {
	Total   int `json:"total"`
	Results []struct {
		ID         string            `json:"id"`
		Properties map[string]string `json:"properties"`
	} `json:"results"`
	Paging *struct {
		Next struct{ After, Link string } `json:"next"`
	} `json:"paging"`
}

func TestHubSpotListPagingAndProperties(t *testing.T) {
	s := newTest(t, Options{})
	p := decode[hsPage](t, call(t, s, "GET", "/crm/v3/objects/contacts?limit=5", ""))
	if len(p.Results) != 5 || p.Paging == nil || p.Paging.Next.Link != "https://api.hubapi.com/crm/v3/objects/contacts?after=5" {
		t.Fatalf("%+v", p)
	}
	if _, ok := p.Results[0].Properties["phone"]; ok {
		t.Error("phone is not a default property")
	}
	if p.Results[0].Properties["email"] == "" {
		t.Error("email is a default property")
	}
	seen := len(p.Results)
	for p.Paging != nil {
		p = decode[hsPage](t, call(t, s, "GET", "/crm/objects/2026-03/contacts?limit=5&properties=phone&after="+p.Paging.Next.After, ""))
		seen += len(p.Results)
		if p.Results[0].Properties["phone"] == "" {
			t.Fatal("properties=phone ignored")
		}
	}
	if seen != 12 {
		t.Fatalf("paged %d, want 12", seen)
	}
	for _, k := range []string{"X-Hubspot-Ratelimit-Daily", "X-Hubspot-Ratelimit-Remaining"} {
		if call(t, s, "GET", "/crm/v3/objects/contacts", "").Header().Get(k) == "" {
			t.Errorf("no %s", k)
		}
	}
}

func TestHubSpotWritesBatchAndSearch(t *testing.T) {
	s := newTest(t, Options{})
	w := call(t, s, "POST", "/crm/v3/objects/contacts", `{"properties":{"email":"new@example.com","firstname":"New"}}`)
	if w.Code != 201 {
		t.Fatalf("create %d %s", w.Code, w.Body)
	}
	id := decode[map[string]any](t, w)["id"].(string)
	if w := call(t, s, "PATCH", "/crm/v3/objects/contacts/"+id, `{"properties":{"phone":"+1 202 555 0100"}}`); w.Code != 200 {
		t.Fatalf("patch %d", w.Code)
	}
	byEmail := decode[hsPage](t, call(t, s, "POST", "/crm/v3/objects/contacts/batch/read", `{"inputs":[{"id":"new@example.com"}],"idProperty":"email","properties":["phone"]}`))
	if len(byEmail.Results) != 1 || byEmail.Results[0].Properties["phone"] != "+1 202 555 0100" {
		t.Fatalf("batch read by email: %+v", byEmail)
	}
	w = call(t, s, "POST", "/crm/v3/objects/contacts/batch/create", `{"inputs":[{"properties":{"email":"a@example.com"}},{"properties":{"email":"b@example.com"}}]}`)
	if w.Code != 201 || len(decode[hsPage](t, w).Results) != 2 {
		t.Fatalf("batch create %d %s", w.Code, w.Body)
	}
	w = call(t, s, "POST", "/crm/v3/objects/contacts/batch/update", `{"inputs":[{"id":"`+id+`","properties":{"jobtitle":"CEO"}}]}`)
	if w.Code != 200 || decode[hsPage](t, w).Results[0].Properties["jobtitle"] != "CEO" {
		t.Fatalf("batch update %d %s", w.Code, w.Body)
	}
	found := decode[hsPage](t, call(t, s, "POST", "/crm/v3/objects/contacts/search", `{"filterGroups":[{"filters":[{"propertyName":"email","operator":"EQ","value":"new@example.com"}]}],"properties":["jobtitle"]}`))
	if found.Total != 1 || found.Results[0].Properties["jobtitle"] != "CEO" {
		t.Fatalf("search: %+v", found)
	}
	one := call(t, s, "GET", "/crm/v3/objects/contacts/new@example.com?idProperty=email", "")
	if one.Code != 200 || one.Header().Get("ETag") == "" {
		t.Fatalf("get by email: %d", one.Code)
	}
}

func TestErrorsAndAuth(t *testing.T) {
	s := newTest(t, Options{})
	w := call(t, s, "GET", "/crm/v3/objects/contacts/999999", "")
	hs := decode[map[string]any](t, w)
	if w.Code != 404 || hs["status"] != "error" || hs["category"] != "OBJECT_NOT_FOUND" || hs["correlationId"] == "" {
		t.Errorf("hubspot 404: %d %s", w.Code, w.Body)
	}
	w = call(t, s, "GET", "/crm/v3/objects/contacts", "", "Authorization", "")
	if w.Code != 401 || decode[map[string]any](t, w)["category"] != "INVALID_AUTHENTICATION" {
		t.Errorf("hubspot 401: %d %s", w.Code, w.Body)
	}
	w = call(t, s, "GET", q("SELECT Id FROM Contact"), "", "Authorization", "")
	if errs := decode[[]map[string]any](t, w); w.Code != 401 || errs[0]["errorCode"] != "INVALID_SESSION_ID" {
		t.Errorf("salesforce 401: %d %s", w.Code, w.Body)
	}
	if w := call(t, s, "GET", "/services/data/vX/query", ""); w.Code != 404 {
		t.Errorf("bad version: %d", w.Code)
	}
	if w := call(t, s, "PUT", "/services/data/v62.0/sobjects/Contact/003Dn00000000AbcAA", ""); w.Code != 405 {
		t.Errorf("PUT: %d", w.Code)
	}
}

func TestGzip(t *testing.T) {
	s := newTest(t, Options{})
	w := call(t, s, "GET", q("SELECT Id, Email FROM Contact"), "", "Accept-Encoding", "gzip, deflate")
	if w.Header().Get("Content-Encoding") != "gzip" || w.Header().Get("Content-Length") != itoa(w.Body.Len()) {
		t.Fatalf("headers %v, %d bytes", w.Header(), w.Body.Len())
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !json.Valid(plain) {
		t.Fatal("gzip body is not JSON")
	}
	// Gzip request bodies are accepted.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(`{"LastName":"Zip"}`))
	_ = zw.Close()
	r := httptest.NewRequest("POST", "/services/data/v62.0/sobjects/Contact", &buf)
	r.Header.Set("Authorization", "Bearer x")
	r.Header.Set("Content-Encoding", "gzip")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, r)
	if rec.Code != 201 {
		t.Fatalf("gzip request: %d %s", rec.Code, rec.Body)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func FuzzSOQL(f *testing.F) {
	for _, s := range []string{"SELECT Id FROM Contact", "SELECT Id, Name FROM Lead WHERE Email = 'a\\'b' AND X LIKE '%y%' ORDER BY Name DESC LIMIT 5", "SELECT FIELDS(ALL) FROM Account"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := parseSOQL(s)
		if err != nil {
			return
		}
		if q.object == "" || len(q.fields) == 0 || q.limit < 0 {
			t.Fatalf("accepted %q as %+v", s, q)
		}
	})
}
