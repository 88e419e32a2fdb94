package proxy

import (
	"context"

	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/reverse"
	"github.com/veil-proxy/veil/proxy/scope"
	"github.com/veil-proxy/veil/proxy/watch"
)

// AuthFailure records an authentication failure (reverse.AuthAuditor): an
// auth_failure audit event (principal "" unless Veil knew who logged in,
// the client's address, the code, a login's username hashed; never a
// credential, a token, a password or a username) and an observation for
// the watch, counted per client address and per principal, or per hashed
// username when no principal holds it, towards watch.brute_force.
func (in *Inspector) AuthFailure(ctx context.Context, sc *scope.Scope, f reverse.AuthFailure) {
	p := in.pipe
	route := ""
	if sc.Route != nil {
		route = sc.Route.Name
	}
	if p.watch != nil {
		p.watch.Observe(ctx, watch.Observation{
			Principal: sc.Principal.ID, IP: sc.ClientIP, Route: route, Direction: DirRequest,
			AuthFailure: true, UsernameHash: f.UsernameHash,
		})
	}
	if p.recorder == nil {
		return
	}
	ev := audit.Event{
		Kind: audit.KindAuthFailure, RequestID: sc.RequestID,
		Principal: sc.Principal.ID, Roles: sc.Principal.Roles, IP: sc.ClientIP,
		Route: route, Direction: DirRequest, Outcome: audit.OutcomeBlocked, Code: f.Code, Status: f.Status,
		UsernameHash: f.UsernameHash,
	}
	if f.Login {
		ev.Operation = "login"
	}
	if err := p.recorder.Record(ev); err != nil {
		p.log.Error("audit event not recorded", zap.String("request_id", sc.RequestID), zap.Error(err))
	}
}

var _ reverse.AuthAuditor = (*Inspector)(nil)
