package crm

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/veil-proxy/veil/proxy/config"
)

// Stable error codes: the CRM-shaped error's code, the metric label and the
// audit field are the same string.
const (
	CodePolicyDenied        = "policy_denied"
	CodePolicyError         = "policy_error"
	CodeUnauthenticated     = "unauthenticated"
	CodeUnknownPrincipal    = "unknown_principal"
	CodePurposeRequired     = "purpose_required"
	CodeInvalidPurpose      = "invalid_purpose"
	CodeInvalidBody         = "invalid_body"
	CodeBodyTooLarge        = "body_too_large"
	CodeUnsupportedEncoding = "unsupported_encoding"
	CodeUpstreamInvalidBody = "upstream_invalid_body"
	CodeUpstreamUnavailable = "upstream_unavailable"
	CodeRequestTimeout      = "request_timeout" // 408: the request body did not arrive within timeouts.read
	CodeNoRoute             = "no_route"
	CodeInvalidQuery        = "invalid_query" // 400: a query string Veil cannot parse (a raw ';', a bad '%' escape), or a query (SOQL, SOSL, GraphQL, a search body) whose predicates it cannot read
	CodeVaultUnavailable    = "vault_unavailable"
	CodeAuditUnavailable    = "audit_unavailable"    // audit.on_full: block and the spool is full
	CodeIdentityUnavailable = "identity_unavailable" // the CRM-session store (identity.sessions) cannot be read
	CodeInternal            = "internal"             // 500: a bug in Veil (a recovered panic)
	// CodeInspectionBudgetExceeded: inspecting the body took longer than
	// limits.inspection_budget (503 on a request, 502 on a response).
	CodeInspectionBudgetExceeded = "inspection_budget_exceeded"
	// CodeRequestCanceled: the client went away (its context was
	// canceled) while Veil inspected the body (499; nobody reads it).
	CodeRequestCanceled = "request_canceled"
)

// Error is a refusal by Veil, rendered in the CRM's own error format so
// clients (jsforce's errorCode, HubSpot's ApiException) surface the reason.
// Message must never hold a value from the request or response.
type Error struct {
	Status     int
	Code       string
	Message    string
	DecisionID string
	RequestID  string
	Style      Style // the wire format to render in (StyleFor); JSON when zero
	// Fault, in a SOAP fault, is a Salesforce exception code (e.g.
	// INVALID_LOGIN): the fault is then Salesforce's own, faultcode
	// sf:<Fault>, Message as Salesforce words it, no decision id; Veil's
	// Code is only in X-Veil-Error.
	Fault string
}

// Body renders e in the dialect's error format, in e's style.
func (e *Error) Body(dialect string) []byte {
	msg := e.Message
	if e.DecisionID != "" {
		msg += " (decision " + e.DecisionID + ")"
	}
	switch e.Style {
	case StyleXML:
		return xmlError(e.Code, msg)
	case StyleSOAP:
		if e.Fault != "" {
			return salesforceFault(e.Fault, e.Message)
		}
		return soapFault(e.Code, msg, e.DecisionID)
	case StyleBulkV1:
		return bulkV1Error(e.Code, msg)
	}
	var v any
	switch dialect {
	case config.DialectSalesforce:
		// [{"message","errorCode","fields"}], as the REST API answers.
		v = []sfError{{Message: msg, ErrorCode: e.Code, Fields: []string{}}}
	case config.DialectHubSpot:
		h := hsError{Status: "error", Message: msg, CorrelationID: e.RequestID, Category: e.Code}
		if e.DecisionID != "" {
			h.Context = map[string][]string{"decisionId": {e.DecisionID}}
		}
		v = h
	default:
		v = map[string]any{"error": genericError{Code: e.Code, Message: msg, DecisionID: e.DecisionID, RequestID: e.RequestID}}
	}
	b, err := json.Marshal(v)
	if err != nil { // unreachable: plain structs of strings
		return []byte(`{"error":{"code":"internal"}}`)
	}
	return b
}

// ContentType is the media type of Body.
func (e *Error) ContentType() string {
	switch e.Style {
	case StyleXML, StyleBulkV1:
		return "application/xml;charset=UTF-8"
	case StyleSOAP:
		return "text/xml;charset=UTF-8"
	}
	return "application/json;charset=UTF-8"
}

// HTTPStatus is the status e is answered with: Status, except for a SOAP
// fault, which Salesforce (and every SOAP client) expects with 500.
func (e *Error) HTTPStatus() int {
	if e.Style == StyleSOAP {
		return http.StatusInternalServerError
	}
	return e.Status
}

// Write sends e as the response.
func (e *Error) Write(w http.ResponseWriter, dialect string) {
	b := e.Body(dialect)
	h := w.Header()
	h.Set("Content-Type", e.ContentType())
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Veil-Error", e.Code)
	if e.DecisionID != "" {
		h.Set("X-Veil-Decision-Id", e.DecisionID)
	}
	h.Del("Content-Encoding")
	h.Del("ETag")
	w.WriteHeader(e.HTTPStatus())
	_, _ = w.Write(b)
}

type sfError struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields"`
}

type hsError struct {
	Status        string              `json:"status"`
	Message       string              `json:"message"`
	CorrelationID string              `json:"correlationId"`
	Category      string              `json:"category"`
	Context       map[string][]string `json:"context,omitempty"`
}

type genericError struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	DecisionID string `json:"decision_id,omitempty"`
	RequestID  string `json:"request_id,omitempty"`
}
