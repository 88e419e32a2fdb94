package identity

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/veil-proxy/veil/proxy/config"
)

// TokenPath is Salesforce's OAuth 2.0 token endpoint, where jsforce and
// the other clients log in.
const TokenPath = "/services/oauth2/token"

// Login bodies are small forms; responses small JSON objects.
const (
	maxLoginRequest  = 64 << 10
	maxLoginResponse = 1 << 20
)

// IsTokenRequest reports whether r is a login to a Salesforce route's
// token endpoint. Veil identifies such a request by the CRM user logging in
// (crm_users), not by a Veil token, and does not run it through the
// privacy pipeline: it carries credentials, not CRM records.
func IsTokenRequest(dialect string, r *http.Request) bool {
	return dialect == config.DialectSalesforce && r.Method == http.MethodPost && strings.TrimSuffix(r.URL.Path, "/") == TokenPath
}

// LoginError is an OAuth 2.0 error (RFC 6749 5.2), the shape clients
// expect from a token endpoint, with Veil's stable code.
type LoginError struct {
	Status      int
	OAuth       string // error: invalid_grant, invalid_request, unsupported_grant_type, temporarily_unavailable
	Description string
	Code        string // Veil's code (X-Veil-Error, metrics)
}

func (e *LoginError) Error() string { return e.OAuth + ": " + e.Description }

// Body is the JSON error body.
func (e *LoginError) Body() []byte {
	b, _ := json.Marshal(map[string]string{"error": e.OAuth, "error_description": e.Description})
	return b
}

// loginParams are the token request parameters that say who logs in.
var loginParams = []string{"grant_type", "username", "password", "refresh_token", "client_id", "assertion", "code"}

// Login says which principal a token request logs in: the principal whose
// crm_users holds the password grant's username, or the one the refresh
// token was bound to. The form is read bounded and r's body restored for
// forwarding, with its Content-Length.
func (r *Resolver) Login(ctx context.Context, req *http.Request) (Principal, *LoginError) {
	a, le := r.LoginAttempt(ctx, req)
	return a.Principal, le
}

// LoginAttempt is Login with the attempt: the username as typed (for the
// check of the CRM's answer, WithAttempt) and its hash, filled even when
// the login is refused (for the audit trail). A username that is not
// printable ASCII without spaces (config.ValidCRMUsername) is refused
// before any lookup, as an unknown one is: both get InvalidGrant, the
// CRM's own answer to bad credentials.
func (r *Resolver) LoginAttempt(ctx context.Context, req *http.Request) (Attempt, *LoginError) {
	var a Attempt
	if mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return a, &LoginError{http.StatusBadRequest, "invalid_request", "the token request must be application/x-www-form-urlencoded", "invalid_body"}
	}
	if enc := req.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
		return a, &LoginError{http.StatusBadRequest, "invalid_request", "Veil reads token requests without Content-Encoding", "unsupported_encoding"}
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, maxLoginRequest+1))
	_ = req.Body.Close()
	if err != nil {
		return a, &LoginError{http.StatusBadRequest, "invalid_request", "the token request could not be read", "invalid_body"}
	}
	if len(b) > maxLoginRequest {
		return a, &LoginError{http.StatusRequestEntityTooLarge, "invalid_request", "the token request is too large", "body_too_large"}
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
	req.ContentLength = int64(len(b))
	req.Header.Set("Content-Length", strconv.Itoa(len(b)))
	form, err := url.ParseQuery(string(b))
	if err != nil {
		return a, &LoginError{http.StatusBadRequest, "invalid_request", "the token request is not a valid form", "invalid_body"}
	}
	a.UsernameHash = r.users.HashUsername(form.Get("username"))
	// RFC 6749 3.2: a parameter is sent once. A second username or
	// refresh_token, or one in the URL, could name a user to the CRM other
	// than the one Veil bound the login to: refused.
	query := req.URL.Query()
	for _, k := range loginParams {
		if len(form[k]) > 1 || query.Has(k) {
			return a, &LoginError{http.StatusBadRequest, "invalid_request", "the token request carries " + k + " more than once or in the URL", "invalid_body"}
		}
	}
	switch form.Get("grant_type") {
	case "password":
		name := form.Get("username")
		if !config.ValidCRMUsername(name) {
			return a, InvalidGrant(CodeInvalidUsername)
		}
		p, ok := r.crmUser(name)
		if !ok {
			return a, InvalidGrant(CodeUnknownPrincipal)
		}
		a.Principal, a.Username = p, name
		return a, nil
	case "refresh_token":
		if r.sessions == nil {
			return a, InvalidGrant(CodeUnknownPrincipal)
		}
		id, err := r.sessions.Lookup(ctx, form.Get("refresh_token"))
		switch {
		case errors.Is(err, ErrUnknownToken):
			return a, InvalidGrant(CodeUnknownPrincipal)
		case err != nil:
			return a, &LoginError{http.StatusServiceUnavailable, "temporarily_unavailable", "Veil cannot reach its session store", "identity_unavailable"}
		}
		p, ok := r.byID[id]
		if !ok {
			return a, InvalidGrant(CodeUnknownPrincipal)
		}
		a.Principal = p
		return a, nil
	default:
		return a, &LoginError{http.StatusBadRequest, "unsupported_grant_type", "Veil binds logins of the password and refresh_token grants", "unauthenticated"}
	}
}

// crmUser is the principal whose crm_users holds the CRM username
// exactly, ASCII case aside: who a password login (OAuth's password
// grant, SOAP's login()) logs in. A name that is not printable ASCII
// without spaces matches nobody (no Unicode case mapping, no trimming).
func (r *Resolver) crmUser(name string) (Principal, bool) {
	if !config.ValidCRMUsername(name) {
		return Principal{}, false
	}
	id, ok := r.crmUsers[config.FoldCRMUsername(name)]
	if !ok {
		return Principal{}, false
	}
	p, ok := r.byID[id]
	return p, ok
}

// BindResponse reads a successful token response, binds the access token
// (for identity.sessions.ttl, or the CRM's shorter expires_in) and the
// refresh token (refresh_ttl) to p, and, when rewrite is set, passes
// instance_url and id through it so that clients stay behind Veil. The body
// is replaced (uncompressed, with its Content-Length). A response that is
// not a 200 passes untouched. An error means the login must not reach the
// client: its tokens could not be bound, so its requests would be refused;
// ErrIdentityMismatch means the CRM logged in a user other than p's
// (verifyUser: the user id ending the id URL against p's declared ids).
func (r *Resolver) BindResponse(ctx context.Context, p Principal, res *http.Response, rewrite func(string) string) error {
	if res.StatusCode != http.StatusOK || r.sessions == nil {
		return nil
	}
	b, err := readLoginResponse(res)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return errors.New("token response is not a JSON object")
	}
	access, _ := doc["access_token"].(string)
	if access == "" {
		return errors.New("token response without access_token")
	}
	// The user the CRM logged in: its id ends the id URL; the token
	// response names no username.
	idURL, _ := doc["id"].(string)
	if err := r.verifyUser(ctx, p, oauthUserID(idURL), "", false); err != nil {
		return err
	}
	ttl := r.sessCfg.TTL
	if n, ok := doc["expires_in"].(json.Number); ok {
		if secs, err := n.Int64(); err == nil {
			ttl = r.sessionTTL(secs)
		}
	}
	if err := r.sessions.Bind(ctx, access, p.ID, ttl); err != nil {
		return err
	}
	if refresh, _ := doc["refresh_token"].(string); refresh != "" {
		if err := r.sessions.Bind(ctx, refresh, p.ID, r.sessCfg.RefreshTTL); err != nil {
			return err
		}
	}
	if rewrite != nil {
		for _, k := range []string{"instance_url", "id"} {
			if v, ok := doc[k].(string); ok && v != "" {
				doc[k] = rewrite(v)
			}
		}
		if b, err = json.Marshal(doc); err != nil {
			return err
		}
	}
	setLoginResponse(res, b)
	return nil
}

// readLoginResponse reads a login's answer, at most 1 MiB (gzip undone).
func readLoginResponse(res *http.Response) ([]byte, error) {
	var rd io.Reader = io.LimitReader(res.Body, maxLoginResponse+1)
	switch enc := strings.ToLower(res.Header.Get("Content-Encoding")); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(rd)
		if err != nil {
			return nil, err
		}
		rd = io.LimitReader(zr, maxLoginResponse+1)
	default:
		return nil, errors.New("login response in an unsupported content encoding")
	}
	b, err := io.ReadAll(rd)
	_ = res.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(b) > maxLoginResponse {
		return nil, errors.New("login response too large")
	}
	return b, nil
}

// setLoginResponse makes b the response's body: uncompressed, its own
// Content-Length, no validator of the CRM's bytes.
func setLoginResponse(res *http.Response, b []byte) {
	res.Body = io.NopCloser(bytes.NewReader(b))
	res.ContentLength = int64(len(b))
	res.TransferEncoding = nil
	res.Header.Set("Content-Length", strconv.Itoa(len(b)))
	res.Header.Del("Content-Encoding")
	res.Header.Del("Etag")
	res.Header.Del("Content-Md5")
}

// sessionTTL is how long an access token or session the CRM says is valid
// for secs seconds stays bound: identity.sessions.ttl, or secs when
// shorter and positive.
func (r *Resolver) sessionTTL(secs int64) time.Duration {
	ttl := r.sessCfg.TTL
	// secs is bounded by ttl first: a huge value would overflow the
	// Duration into a negative one, a binding expired at birth.
	if secs > 0 && secs <= int64(ttl/time.Second) && time.Duration(secs)*time.Second < ttl {
		ttl = time.Duration(secs) * time.Second
	}
	return ttl
}

// Rebase returns u (an absolute URL) with its scheme and host replaced by
// base's (scheme://host[:port]); anything else is returned unchanged.
func Rebase(u, base string) string {
	pu, err := url.Parse(u)
	if err != nil || !pu.IsAbs() || pu.Host == "" || (pu.Scheme != "http" && pu.Scheme != "https") {
		return u
	}
	pb, err := url.Parse(base)
	if err != nil || pb.Host == "" {
		return u
	}
	pu.Scheme, pu.Host, pu.User = pb.Scheme, pb.Host, nil
	return pu.String()
}
