package record

import (
	"context"

	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/ingress"
	"github.com/veil-proxy/veil/proxy/scope"
)

// Unaudited records an exchange's direction that no stage audited
// (ingress.AuditRest), from what the scope holds when the exchange ends:
// a refusal before the pipeline (no route, an upgrade, a SOAP envelope
// that cannot be read, credentials Veil cannot record), a login the CRM
// accepted, a CRM that could not be reached. status is what the client
// was answered. Nothing is recorded when the refusal is that audit
// events cannot be kept.
func (in *Recorder) Unaudited(ctx context.Context, sc *scope.Scope, direction, method string, status int) {
	if in.recorder == nil || sc.Code == crm.CodeAuditUnavailable {
		return
	}
	outcome := sc.Outcome
	if outcome == "" {
		outcome = audit.OutcomePassthrough // nothing decided about it: say so
	}
	ev := audit.Event{
		Kind: audit.KindDecision, RequestID: sc.RequestID,
		Principal: sc.Principal.ID, Roles: sc.Principal.Roles, MFA: sc.Principal.MFA, Purpose: sc.Purpose, IP: sc.ClientIP,
		Route: routeName(sc), Direction: direction, Method: method, Path: sc.SafePath,
		Operation: sc.Call.Operation, Object: sc.Call.Object,
		Outcome: outcome, Code: sc.Code, Status: status,
	}
	if err := in.recorder.Record(ev); err != nil {
		in.log.Error("audit event not recorded", zap.String("request_id", sc.RequestID), zap.Error(err))
	}
}

// routeName is the exchange's route's name, "" before one matched.
func routeName(sc *scope.Scope) string {
	if sc.Route == nil {
		return ""
	}
	return sc.Route.Name
}

var _ ingress.ExchangeAuditor = (*Recorder)(nil)
