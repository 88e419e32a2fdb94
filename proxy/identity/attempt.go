package identity

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
)

// Stable codes of refused and failed logins (audit events, metrics). The
// client never sees them: every refused login is answered alike
// (InvalidGrant, InvalidLoginFault).
const (
	CodeInvalidUsername  = "invalid_username"       // not printable ASCII without spaces: never matched, never sent to the CRM
	CodeUnknownPrincipal = crm.CodeUnknownPrincipal // a username no principal's crm_users holds, a refresh token Veil never bound
	CodeCRMLoginFailed   = "crm_login_failed"       // the CRM refused the credentials (invalid_grant, INVALID_LOGIN)
	CodeIdentityMismatch = "crm_identity_mismatch"  // the CRM logged in a user other than the principal's (crm_users ids, userName)
)

// Attempt is a login through Veil: the principal it logs in (when Veil
// knows it) and the username as typed, for the check of the CRM's answer.
// UsernameHash is what the audit trail and the watch keep of the username
// (UsernameHasher); the username itself is never recorded.
type Attempt struct {
	Principal    Principal
	Username     string // a valid CRM username (config.ValidCRMUsername); "" for a refresh grant or an invalid one
	UsernameHash string // "" when there was no username
}

// usernameDomain separates the username hash from every other hash or
// HMAC Veil computes, keyed or not.
const usernameDomain = "veil-username\x00"

// UsernameHasher makes the hash that stands for a login's username in
// auth_failure events and brute_force alerts, so that the SOC correlates
// the attempts on one username, whatever its ASCII case, without the
// username. With a key (identity.username_hash_key_file) it is the hex
// HMAC-SHA-256 under that key of "veil-username\x00" and the username's
// ASCII case fold: whoever reads the audit trail without the key cannot
// reverse it by hashing a dictionary of likely usernames. Without one it
// is the hex SHA-256 of the same bytes, which such a dictionary reverses;
// every replica then still hashes a username alike, so the watch's
// counts shared through Redis stay per username. A nil *UsernameHasher is
// the unkeyed one. It is immutable and safe for concurrent use.
type UsernameHasher struct {
	key []byte // nil: unkeyed
}

// NewUsernameHasher is the hasher keyed with key (copied), or the unkeyed
// one when key is empty. A key shorter than
// config.MinUsernameHashKeyBytes is an error: a short key could be
// guessed before the usernames are.
func NewUsernameHasher(key []byte) (*UsernameHasher, error) {
	if len(key) == 0 {
		return &UsernameHasher{}, nil
	}
	if len(key) < config.MinUsernameHashKeyBytes {
		return nil, fmt.Errorf("identity: the username hash key is %d bytes, shorter than %d", len(key), config.MinUsernameHashKeyBytes)
	}
	return &UsernameHasher{key: bytes.Clone(key)}, nil
}

// Keyed reports whether the hash is an HMAC under a key.
func (h *UsernameHasher) Keyed() bool { return h != nil && h.key != nil }

// HashUsername is the hash of username u ("" for ""): hex, 64 digits,
// keyed or not.
func (h *UsernameHasher) HashUsername(u string) string {
	if u == "" {
		return ""
	}
	msg := []byte(usernameDomain + config.FoldCRMUsername(u))
	if !h.Keyed() {
		sum := sha256.Sum256(msg)
		return hex.EncodeToString(sum[:])
	}
	m := hmac.New(sha256.New, h.key)
	m.Write(msg)
	return hex.EncodeToString(m.Sum(nil))
}

type attemptKey struct{}

// WithAttempt remembers a login attempt for BindResponse and
// BindSOAPLogin, which check the CRM's answer against it.
func WithAttempt(ctx context.Context, a Attempt) context.Context {
	return context.WithValue(ctx, attemptKey{}, a)
}

func attemptFrom(ctx context.Context) (Attempt, bool) {
	a, ok := ctx.Value(attemptKey{}).(Attempt)
	return a, ok
}

// ErrIdentityMismatch is a successful CRM login whose user is not the one
// Veil bound the login to: a user id the principal's crm_users do not
// declare, a userName other than the one logged in. Nothing is bound and
// the login is answered as a failed one.
var ErrIdentityMismatch = errors.New("identity: the CRM logged in a user other than the one Veil bound the login to")

// verifyUser checks the user the CRM says it logged in (userID: its
// Salesforce user id, "" when the answer has none; userName: "" when the
// answer has none) against p and the attempt in ctx: when p's crm_users
// declare user ids, userID must be one of them; when the attempt had a
// username and the answer names one, they must be equal (ASCII case
// aside), and requireName says the answer must name one.
func (r *Resolver) verifyUser(ctx context.Context, p Principal, userID, userName string, requireName bool) error {
	if ids := r.userIDs[p.ID]; len(ids) > 0 {
		if !config.IsCRMUserID(userID) {
			return ErrIdentityMismatch
		}
		found := false
		for _, id := range ids {
			found = found || id == userID[:15]
		}
		if !found {
			return ErrIdentityMismatch
		}
	}
	a, ok := attemptFrom(ctx)
	if !ok || a.Username == "" {
		return nil
	}
	if userName == "" {
		if requireName {
			return ErrIdentityMismatch
		}
		return nil
	}
	if config.FoldCRMUsername(userName) != config.FoldCRMUsername(a.Username) {
		return ErrIdentityMismatch
	}
	return nil
}

// oauthUserID is the user id at the end of a token response's id URL
// (https://login.salesforce.com/id/<orgId>/<userId>), "" when it has none.
func oauthUserID(id string) string {
	u, err := url.Parse(id)
	if err != nil {
		return ""
	}
	parts := strings.Split(strings.TrimSuffix(u.Path, "/"), "/")
	if len(parts) < 3 || parts[len(parts)-3] != "id" {
		return ""
	}
	return parts[len(parts)-1]
}

// InvalidGrant is the answer to every refused OAuth login, Veil's own
// (an unknown or invalid username, a refresh token Veil never bound) or
// the CRM's (invalid_grant): Salesforce's body for bad credentials, with
// code for the audit trail only (never sent).
func InvalidGrant(code string) *LoginError {
	return &LoginError{Status: http.StatusBadRequest, OAuth: "invalid_grant", Description: "authentication failure", Code: code}
}

// InvalidLoginFault is the answer to every refused SOAP login: Salesforce's
// INVALID_LOGIN LoginFault (HTTP 500), code for the audit trail only.
func InvalidLoginFault(code string) *crm.Error {
	return &crm.Error{Status: http.StatusInternalServerError, Code: code,
		Fault: "INVALID_LOGIN", Message: InvalidLoginMessage, Style: crm.StyleSOAP}
}

// AttemptFrom is the login attempt WithAttempt remembered in ctx.
func AttemptFrom(ctx context.Context) (Attempt, bool) { return attemptFrom(ctx) }

// FailedLogin reports whether res is the CRM refusing a login's
// credentials: an OAuth invalid_grant (soap false) or a SOAP LoginFault
// such as INVALID_LOGIN (soap true). Veil answers those as it answers a
// user it does not know (InvalidGrant, InvalidLoginFault), so that a
// client cannot tell the two apart. The body is read (at most 1 MiB,
// gzip undone) and put back, uncompressed.
func FailedLogin(res *http.Response, soap bool) bool {
	if res.StatusCode == http.StatusOK || res.Body == nil || res.Body == http.NoBody {
		return false
	}
	b, err := readLoginResponse(res)
	if err != nil {
		setLoginResponse(res, nil)
		return false
	}
	setLoginResponse(res, b)
	if soap {
		return res.StatusCode == http.StatusInternalServerError &&
			(bytes.Contains(b, []byte("LoginFault")) || bytes.Contains(b, []byte("INVALID_LOGIN")))
	}
	var oe struct {
		Error string `json:"error"`
	}
	return res.StatusCode == http.StatusBadRequest && json.Unmarshal(b, &oe) == nil && oe.Error == "invalid_grant"
}
