package identity

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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
// (HashUsername); the username itself is never recorded.
type Attempt struct {
	Principal    Principal
	Username     string // a valid CRM username (config.ValidCRMUsername); "" for a refresh grant or an invalid one
	UsernameHash string // "" when there was no username
}

// HashUsername is the hex SHA-256 of the username's ASCII case fold under
// a fixed domain ("veil-username\x00"): the SOC correlates the attempts
// on one username, whatever its case, without the username. It is not
// keyed: a dictionary of likely usernames can be hashed too.
func HashUsername(u string) string {
	if u == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("veil-username\x00" + config.FoldCRMUsername(u)))
	return hex.EncodeToString(sum[:])
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
