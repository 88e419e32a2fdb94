// Package scope holds the per-request state every stage shares: one Scope
// struct under a typed context key, created by the listener's first
// middleware and filled in as the request moves through the pipeline.
package scope

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/identity"
)

// Scope is what Veil knows about one request/response exchange.
type Scope struct {
	RequestID string
	Start     time.Time
	Route     *config.Route
	Principal identity.Principal
	Purpose   string
	ClientIP  string
	Call      crm.Call  // what the request means to the CRM, classified once on the way in
	Errors    crm.Style // the format Veil's refusals take on this exchange (crm.StyleFor)

	// Filled by the pipeline, read by the access log.
	// Outcome is what Veil did with the exchange, in the one vocabulary
	// of the audit events, the metrics' outcome label and the access
	// log: audit.OutcomeAllowed, OutcomeTransformed, OutcomeBlocked or
	// OutcomePassthrough (a body not read: a login, a download the
	// policy let through, a fail-open, whose Code says why).
	Outcome     string
	Code        string   // stable error code when blocked, or why a passthrough failed open
	DecisionIDs []string // one per inspected message
	// SafePath is the request path with the segments holding personal
	// data replaced by "[category]", set once the request's URL has been
	// scanned: the audit events of the request and its response carry it.
	SafePath string
	// RequestAudited and ResponseAudited mark the directions a stage has
	// taken charge of auditing: the inspector on entry (it records an
	// event on every path it takes), an authentication failure for the
	// whole exchange. What no stage took, ingress.AuditRest records when
	// the exchange ends, so every exchange leaves at least one event.
	RequestAudited, ResponseAudited bool
}

type key struct{}

// With returns ctx carrying s.
func With(ctx context.Context, s *Scope) context.Context { return context.WithValue(ctx, key{}, s) }

// From returns the Scope in ctx, or nil.
func From(ctx context.Context) *Scope {
	s, _ := ctx.Value(key{}).(*Scope)
	return s
}

// NewRequestID returns a random 96-bit id, hex encoded.
func NewRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
