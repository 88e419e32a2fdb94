package ingress

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/identity"
	"github.com/veil-proxy/veil/proxy/scope"
)

// Inspector is the pipeline as both listeners see it.
type Inspector interface {
	InspectRequest(r *http.Request) *crm.Error
	InspectResponse(res *http.Response) error
}

// PurposeHeader carries the caller's declared purpose.
const PurposeHeader = config.DefaultPurposeHeader

// CodeAmbiguousCredentials is the stable code of a request that carries
// more than one CRM credential (identity.ErrAmbiguousCredentials).
const CodeAmbiguousCredentials = "ambiguous_credentials"

// Admit identifies the caller and its purpose for route rc and records both
// in sc, or returns the CRM-shaped refusal. soap is a SOAP call's envelope
// (PeekSOAP), nil for any other request: its SessionHeader is a CRM
// session; so is X-SFDC-Session on a Salesforce route (Bulk API 1.0).
func Admit(ctx context.Context, id *identity.Resolver, rc *config.Route, sc *scope.Scope, hdr http.Header, soap *identity.SOAPEnvelope) *crm.Error {
	p, err := id.ResolveRequest(ctx, hdr, identity.Credentials{SOAP: soap, SFDCSession: rc.Dialect == config.DialectSalesforce})
	if err != nil {
		if errors.Is(err, identity.ErrSessionsUnavailable) {
			return &crm.Error{Status: http.StatusServiceUnavailable, Code: crm.CodeIdentityUnavailable, Message: "Veil cannot identify the caller right now (its session store is unreachable)"}
		}
		if errors.Is(err, identity.ErrAmbiguousCredentials) {
			return &crm.Error{Status: http.StatusBadRequest, Code: CodeAmbiguousCredentials,
				Message: "the request carries more than one CRM credential (Authorization, X-SFDC-Session, a SOAP SessionHeader): send one"}
		}
		code := crm.CodeUnknownPrincipal
		if errors.Is(err, identity.ErrNoCredentials) {
			code = crm.CodeUnauthenticated
		}
		// 403, never 401: a 401 makes jsforce refresh its token in a loop.
		return &crm.Error{Status: http.StatusForbidden, Code: code, Message: "the caller is not a known Veil principal"}
	}
	sc.Principal = p
	purpose := strings.TrimSpace(hdr.Get(PurposeHeader))
	switch {
	case purpose == "":
		purpose = rc.Purpose
	case !config.ValidIdent(purpose):
		return &crm.Error{Status: http.StatusBadRequest, Code: crm.CodeInvalidPurpose, Message: "X-Veil-Purpose must be lower-case letters, digits, '_' or '-'"}
	}
	if purpose == "" && rc.RequirePurpose {
		return &crm.Error{Status: http.StatusForbidden, Code: crm.CodePurposeRequired, Message: "this route requires an X-Veil-Purpose header"}
	}
	sc.Purpose = purpose
	return nil
}
