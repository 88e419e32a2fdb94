// Package fakecrm is a small Salesforce + HubSpot look-alike for the demo
// and the tests, serving testdata/crm from an in-memory store: REST (JSON
// and XML), SOAP and Bulk API 1.0 for Salesforce, the CRM v3 API for HubSpot.
package fakecrm

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Options tune the server.
type Options struct {
	PageSize       int    // Salesforce query page size and HubSpot default limit; 0 → 2000 / 10
	HubSpotBaseURL string // base of paging.next.link; "" → https://api.hubapi.com
	InstanceURL    string // instance_url of /services/oauth2/token; "" → http://<Host>
	// Over TLS (forward mode reaches the fake CRM as api.hubapi.com or
	// acme.my.salesforce.com) both are https://<Host>, as the real CRMs
	// name themselves; the two options apply to plain HTTP only.
}

// scheme is how r reached the fake CRM.
func (s *Server) scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// hubSpotBase is the base of HubSpot's absolute paging links for r.
func (s *Server) hubSpotBase(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return s.opts.HubSpotBaseURL
}

// Server is the fake CRM.
type Server struct {
	opts Options
	mu   sync.Mutex
	sf   map[string]*sobjects // by object name
	hs   *hsStore
	curs map[string]*cursor // Salesforce query locators
	seq  int
	xs   xmlState // SOAP sessions and Bulk API 1.0 jobs (soap.go, bulkv1.go)
}

const maxBody = 8 << 20

// New loads the fixtures in fsys (salesforce/<Object>.json,
// hubspot/contacts.json) into a mutex-protected store (writes mutate it).
// The server answers errors in each CRM's real format, requires a bearer
// token on API paths (any non-empty one), gzips responses for clients that
// accept it and puts strong ETags on single-record reads. Besides REST in
// JSON it speaks Salesforce's REST XML (restxml.go), the SOAP API (soap.go:
// Partner and Enterprise, login included) and Bulk API 1.0 (bulkv1.go).
// HubSpot returns its default properties (firstname, lastname, email,
// createdate, lastmodifieddate, hs_object_id) unless ?properties= (GET) or
// "properties" (POST bodies) asks for others, as the real API does.
func New(fsys fs.FS, opts Options) (*Server, error) {
	if opts.HubSpotBaseURL == "" {
		opts.HubSpotBaseURL = "https://api.hubapi.com"
	}
	s := &Server{opts: opts, sf: map[string]*sobjects{}, curs: map[string]*cursor{}}
	files, err := fs.Glob(fsys, "salesforce/*.json")
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no salesforce/*.json fixtures")
	}
	for _, f := range files {
		var recs []map[string]any
		if err := readJSON(fsys, f, &recs); err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(strings.TrimPrefix(f, "salesforce/"), ".json")
		s.sf[name] = newSObjects(name, recs)
	}
	var contacts []hsRecord
	if err := readJSON(fsys, "hubspot/contacts.json", &contacts); err != nil {
		return nil, err
	}
	s.hs = &hsStore{records: contacts}
	return s, nil
}

func readJSON(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// ServeHTTP dispatches by path.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/services/oauth2/token":
		s.token(w, r)
	case strings.HasPrefix(p, "/services/Soap/"):
		s.soap(w, r) // soap.go: its own SessionHeader
	case strings.HasPrefix(p, "/services/async/"):
		s.bulkV1(w, r) // bulkv1.go: its own X-SFDC-Session
	case strings.HasPrefix(p, "/services/"):
		if !authorized(r) || s.loggedOut(bearer(r)) {
			sfError(w, r, 401, "INVALID_SESSION_ID", "Session expired or invalid")
			return
		}
		s.salesforce(w, r)
	case strings.HasPrefix(p, "/crm/"):
		if !authorized(r) {
			hsError(w, r, 401, "INVALID_AUTHENTICATION", "Authentication credentials not found.")
			return
		}
		s.hubspot(w, r)
	default:
		writeJSON(w, r, 404, map[string]string{"error": "not_found"}, false)
	}
}

func authorized(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.TrimSpace(tok) != "" && (strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "OAuth"))
}

// bearer is the token of r's Authorization header.
func bearer(r *http.Request) string {
	_, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return strings.TrimSpace(tok)
}

// openBody returns r's body (gzip accepted), bounded.
func openBody(r *http.Request) (io.Reader, error) {
	var rd io.Reader = http.MaxBytesReader(nil, r.Body, maxBody)
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(rd)
		if err != nil {
			return nil, err
		}
		rd = io.LimitReader(zr, maxBody)
	}
	return rd, nil
}

// readBody reads a JSON request body (gzip accepted), bounded.
func readBody(r *http.Request, v any) error {
	rd, err := openBody(r)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(rd)
	dec.UseNumber()
	return dec.Decode(v)
}

// writeJSON writes v, gzipped when accepted, with a strong ETag when etag.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any, etag bool) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	writeBytes(w, r, status, "application/json;charset=UTF-8", b, etag)
}

// writeBytes writes b as ctype, gzipped when accepted, with a strong ETag
// when etag.
func writeBytes(w http.ResponseWriter, r *http.Request, status int, ctype string, b []byte, etag bool) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	if etag && status == 200 {
		sum := sha256.Sum256(b)
		tag := `"` + hex.EncodeToString(sum[:8]) + `"`
		h.Set("ETag", tag)
		if r.Header.Get("If-None-Match") == tag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(b)
		_ = zw.Close()
		b = buf.Bytes()
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func sfError(w http.ResponseWriter, r *http.Request, status int, code, msg string, fields ...string) {
	if fields == nil {
		fields = []string{}
	}
	if wantsXML(r) {
		writeErrorsXML(w, r, status, code, msg, fields) // restxml.go
		return
	}
	writeJSON(w, r, status, []map[string]any{{"message": msg, "errorCode": code, "fields": fields}}, false)
}

func hsError(w http.ResponseWriter, r *http.Request, status int, category, msg string) {
	writeJSON(w, r, status, map[string]any{"status": "error", "message": msg, "correlationId": newUUID(), "category": category}, false)
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, r, 405, map[string]string{"error": "invalid_request", "error_description": "must use HTTP POST"}, false)
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, r, 400, map[string]string{"error": "invalid_request", "error_description": "malformed form"}, false)
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "password", "client_credentials", "refresh_token":
	default:
		writeJSON(w, r, 400, map[string]string{"error": "unsupported_grant_type", "error_description": "grant type not supported"}, false)
		return
	}
	inst := s.instanceURL(r)
	tok := newAccessToken()
	body := map[string]string{
		"access_token": tok, "instance_url": inst, "id": inst + "/id/00DDn000000FakeAAA/005Dn000000FakeAAA",
		"token_type": "Bearer", "issued_at": "1764000000000", "signature": "ZmFrZQ==",
	}
	// A refresh token when the client asks for the refresh_token scope, as
	// a connected app grants it (a refresh grant gets none again).
	if r.PostForm.Get("grant_type") != "refresh_token" && strings.Contains(" "+r.PostForm.Get("scope")+" ", " refresh_token ") {
		body["refresh_token"] = "5Aep861Fake" + newUUID()
	}
	writeJSON(w, r, 200, body, false)
}

// instanceURL is the base URL the fake names itself by to r's client: the
// instance_url of a token and the base of a SOAP login's serverUrl.
func (s *Server) instanceURL(r *http.Request) string {
	if s.opts.InstanceURL == "" || r.TLS != nil {
		return s.scheme(r) + "://" + r.Host
	}
	return s.opts.InstanceURL
}

// newAccessToken is a fresh session id, as OAuth and SOAP login give.
func newAccessToken() string { return "00DDn000000Fake!" + newUUID() }
