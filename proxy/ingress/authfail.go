package ingress

import (
	"context"
	"net/http"
	"strconv"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/identity"
	"github.com/veil-proxy/veil/proxy/pipeline"
	"github.com/veil-proxy/veil/proxy/scope"
)

// AuthFailure is one authentication failure: a request whose credentials
// name no principal, a login Veil refused or the CRM failed. It never
// holds a credential or a username: UsernameHash is identity.UsernameHasher's.
type AuthFailure struct {
	Code         string // unknown_principal, unauthenticated, invalid_username, crm_login_failed, crm_identity_mismatch…
	UsernameHash string // a login's username, hashed; "" otherwise
	Login        bool   // a login (OAuth token request, SOAP login()); else a call with unknown credentials
	Status       int    // what the client was answered
}

// AuthAuditor records authentication failures in the audit trail and
// feeds them to the watch (brute force). The Inspector (inspect.Inspector)
// implements it; an Inspector that does not records nothing.
type AuthAuditor interface {
	AuthFailure(ctx context.Context, sc *scope.Scope, f AuthFailure)
}

// AuditAuthFailure hands f to in when it records authentication failures.
func AuditAuthFailure(ctx context.Context, in Inspector, sc *scope.Scope, f AuthFailure) {
	if a, ok := in.(AuthAuditor); ok {
		a.AuthFailure(ctx, sc, f)
	}
}

// AdmitFailure is the authentication failure of Admit's refusal e, if it
// is one: credentials that name no principal, or none at all.
func AdmitFailure(e *crm.Error) (AuthFailure, bool) {
	if e == nil || (e.Code != crm.CodeUnknownPrincipal && e.Code != crm.CodeUnauthenticated) {
		return AuthFailure{}, false
	}
	return AuthFailure{Code: e.Code, Status: e.HTTPStatus()}, true
}

// LoginRefusal is the answer to a refused or failed login, whoever
// refused it (Veil: an unknown or invalid username, an unbound refresh
// token, a CRM user other than the principal's; the CRM: bad
// credentials): status, headers and body the same every time, no
// X-Veil-Error (the audit event holds the code). soap picks SOAP's
// INVALID_LOGIN fault over OAuth's invalid_grant.
func LoginRefusal(soap bool, code string) (status int, contentType string, body []byte) {
	if soap {
		e := identity.InvalidLoginFault(code)
		return e.HTTPStatus(), e.ContentType(), e.Body(config.DialectSalesforce)
	}
	le := identity.InvalidGrant(code)
	return le.Status, "application/json;charset=UTF-8", le.Body()
}

// SetLoginRefusalHeaders sets the headers of a login refusal of n bytes.
func SetLoginRefusalHeaders(h http.Header, contentType string, n int) {
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(n))
	h.Set("Cache-Control", "no-store")
}

// ExchangeAuditor records a direction of an exchange that no stage
// audited (record.Recorder.Unaudited). The Inspector implements it.
type ExchangeAuditor interface {
	Unaudited(ctx context.Context, sc *scope.Scope, direction, method string, status int)
}

// AuditRest records, when an exchange ends, what no stage audited of it:
// the request, when nothing took charge of it (a refusal before the
// pipeline, a login), or else the response, when the inspector never saw
// one (the CRM could not be reached). status is what the client was
// answered. Every exchange so leaves at least one audit event.
func AuditRest(ctx context.Context, in Inspector, sc *scope.Scope, method string, status int) {
	if sc.RequestAudited && sc.ResponseAudited {
		return
	}
	a, ok := in.(ExchangeAuditor)
	if !ok {
		return
	}
	direction := pipeline.DirRequest
	if sc.RequestAudited {
		direction = pipeline.DirResponse
	}
	sc.RequestAudited, sc.ResponseAudited = true, true
	a.Unaudited(ctx, sc, direction, method, status)
}
