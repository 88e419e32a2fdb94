package record

import (
	"context"

	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/ingress"
	"github.com/veil-proxy/veil/proxy/pipeline"
	"github.com/veil-proxy/veil/proxy/scope"
	"github.com/veil-proxy/veil/proxy/watch"
)

// AuthFailure records an authentication failure (ingress.AuthAuditor): an
// auth_failure audit event (principal "" unless Veil knew who logged in,
// the client's address, the code, a login's username hashed; never a
// credential, a token, a password or a username) and an observation for
// the watch, counted per client address and per principal, or per hashed
// username when no principal holds it, towards watch.brute_force.
func (in *Recorder) AuthFailure(ctx context.Context, sc *scope.Scope, f ingress.AuthFailure) {
	sc.RequestAudited, sc.ResponseAudited = true, true // the refusal is the exchange's answer
	route := routeName(sc)
	if in.watch != nil {
		in.watch.Observe(ctx, watch.Observation{
			Principal: sc.Principal.ID, IP: sc.ClientIP, Route: route, Direction: pipeline.DirRequest,
			AuthFailure: true, UsernameHash: f.UsernameHash,
		})
	}
	if in.recorder == nil {
		return
	}
	ev := audit.Event{
		Kind: audit.KindAuthFailure, RequestID: sc.RequestID,
		Principal: sc.Principal.ID, Roles: sc.Principal.Roles, IP: sc.ClientIP,
		Route: route, Direction: pipeline.DirRequest, Outcome: audit.OutcomeBlocked, Code: f.Code, Status: f.Status,
		UsernameHash: f.UsernameHash,
	}
	if f.Login {
		ev.Operation = crm.OpLogin
	}
	if err := in.recorder.Record(ev); err != nil {
		in.log.Error("audit event not recorded", zap.String("request_id", sc.RequestID), zap.Error(err))
	}
}

var _ ingress.AuthAuditor = (*Recorder)(nil)
