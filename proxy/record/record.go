// Package record feeds the audit trail, the behaviour watch, the data
// inventory and the alert counters from what the pipeline decided: once per
// message (Note), as a stream is sent (Chunk), and for failed logins.
package record

import (
	"context"

	"go.uber.org/zap"

	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/inventory"
	"github.com/veil-proxy/veil/proxy/metrics"
	"github.com/veil-proxy/veil/proxy/pipeline"
	"github.com/veil-proxy/veil/proxy/scope"
	"github.com/veil-proxy/veil/proxy/watch"
)

// AuditLog takes the audit events and alerts (proxy/audit's Recorder):
// it never blocks on I/O, and says when it can keep no more.
type AuditLog interface {
	Record(audit.Event) error
	Alert(audit.Alert) error
	Healthy() bool
}

// Watcher is the behaviour watch (proxy/watch): counts per principal and
// address over windows, for the policy's input.stats and for alerts.
type Watcher interface {
	Stats(ctx context.Context, principal, ip string) map[string]int64
	Observe(ctx context.Context, o watch.Observation)
}

// Inventory learns which route, object and field carry which categories,
// and what Veil read of the bodies it let through (proxy/inventory).
type Inventory interface {
	Observe(route, direction, object, field, category string, n int)
	// Cover counts a message with a body that went on: inspected or
	// unread (and why), and its size in bytes (< 0: unknown).
	Cover(route, direction, format string, inspected bool, reason string, bytes int64)
}

// Options are what a Recorder feeds; each but Metrics and Log may be nil.
type Options struct {
	Audit     AuditLog
	Watch     Watcher
	Inventory Inventory
	Metrics   *metrics.Metrics
	Log       *zap.Logger
}

// Recorder records what happened to each message.
type Recorder struct {
	recorder AuditLog  // nil: no audit events or alerts
	watch    Watcher   // nil: nothing watched
	inv      Inventory // nil: no inventory
	metrics  *metrics.Metrics
	log      *zap.Logger
}

// New builds a Recorder.
func New(o Options) *Recorder {
	return &Recorder{recorder: o.Audit, watch: o.Watch, inv: o.Inventory, metrics: o.Metrics, log: o.Log}
}

// Healthy reports whether audit events can be kept (always without an
// audit log).
func (in *Recorder) Healthy() bool { return in.recorder == nil || in.recorder.Healthy() }

// Fields gives the inventory what the pipeline learnt of a message's
// fields (pipeline.Result.Fields), after each Process.
func (in *Recorder) Fields(route, dir string, fields []pipeline.FieldCount) {
	if in.inv == nil {
		return
	}
	for _, c := range fields {
		in.inv.Observe(route, dir, c.Object, c.Field, c.Category, c.N)
	}
}

// Chunk counts for the watch the records a streamed chunk sends, as it
// goes: the policy's next chunk sees them in input.stats.
func (in *Recorder) Chunk(ctx context.Context, sc *scope.Scope, res *pipeline.Result) {
	if w := in.watch; w != nil && res.Summary.PIIRecords > 0 {
		w.Observe(ctx, watch.Observation{Principal: sc.Principal.ID, IP: sc.ClientIP, Route: sc.Route.Name,
			Direction: pipeline.DirResponse, PIIRecords: res.Summary.PIIRecords, DecisionID: res.Decision.ID})
	}
}

// Note records one message: its audit event, the policy's alerts, a
// fail-open alert, what the watch counts, and the inventory's coverage.
// status is the CRM's status for a response (0 for a request); res may be
// nil when the message was never decided (a body that could not be read).
func (in *Recorder) Note(ctx context.Context, sc *scope.Scope, msg *pipeline.Message, res *pipeline.Result, outcome string, status int) {
	var sum pipeline.Summary
	var dec *policy.Decision
	var e *crm.Error
	if res != nil {
		sum, dec, e = res.Summary, res.Decision, res.Err
	}
	// The path as scanned on the way in: a HubSpot record id may be an
	// e-mail address. A request whose URL was never scanned (its body
	// could not be read) leaves none: Operation and Object say enough.
	if msg.Direction == pipeline.DirRequest {
		sc.SafePath = sum.Path
	}
	sum.Path = sc.SafePath
	if in.inv != nil && outcome != audit.OutcomeBlocked && msg.Info.Format != pipeline.FormatNone {
		// Coverage: what Veil read of the bodies that went on. A fail-open
		// went on unread, whatever was read of it; a streamed response
		// was read chunk by chunk (a chunk that cannot be is refused).
		// Sizes: the decoded bytes read; unknown (-1) for a stream and
		// for a body nothing was read of.
		format, inspected, reason, size := msg.Info.Format, msg.Info.Inspected, msg.Info.Reason, int64(len(msg.Body))
		if format == "" {
			format = msg.Format
		}
		switch {
		case outcome == audit.OutcomePassthrough && (inspected || reason == ""):
			inspected, reason = false, inventory.ReasonFailOpen
		case sum.Chunks > 0:
			inspected, reason, size = true, "", -1
		}
		if size == 0 && !inspected {
			size = -1
			if msg.Size > 0 {
				size = msg.Size
			}
		}
		in.inv.Cover(sc.Route.Name, msg.Direction, format, inspected, reason, size)
	}
	if in.watch != nil {
		o := watch.Observation{
			Principal: sc.Principal.ID, IP: sc.ClientIP, Route: sc.Route.Name, Direction: msg.Direction,
			Status: status, Categories: sum.Categories,
		}
		if msg.Direction == pipeline.DirResponse && outcome != audit.OutcomeBlocked {
			o.PIIRecords = sum.PIIRecords // what the caller received
		}
		if dec != nil {
			o.DecisionID, o.Probes = dec.ID, dec.Probes
		}
		in.watch.Observe(ctx, o)
	}
	if in.recorder == nil {
		return
	}
	ev := audit.Event{
		Kind: audit.KindDecision, RequestID: sc.RequestID,
		Principal: sc.Principal.ID, Roles: sc.Principal.Roles, MFA: sc.Principal.MFA, Purpose: sc.Purpose, IP: sc.ClientIP,
		Route: sc.Route.Name, Direction: msg.Direction, Method: msg.Method, Path: sum.Path,
		Operation: msg.Call.Operation, Object: msg.Call.Object,
		RecordIDs: sum.RecordIDs, Categories: sum.Categories, Actions: sum.Actions,
		Outcome: outcome, Status: status, Chunks: sum.Chunks, RecordIDsOmitted: sum.RecordIDsOmitted, RecordsWithoutIDs: sum.NoID,
		Bytes:      bodyBytes(msg, sum),
		BodyFormat: msg.Info.Format, Uninspected: msg.Info.Format != "" && !msg.Info.Inspected, UninspectedReason: msg.Info.Reason,
	}
	if e != nil {
		ev.Code = e.Code
	}
	if dec != nil {
		ev.DecisionID, ev.PolicyRevision = dec.ID, dec.Revision
		if !dec.Allow || e != nil {
			for _, r := range dec.Deny {
				ev.Rules = append(ev.Rules, r.Rule)
			}
		}
	}
	if err := in.recorder.Record(ev); err != nil {
		in.log.Error("audit event not recorded", zap.String("request_id", sc.RequestID), zap.Error(err))
	}
	if dec != nil {
		for _, a := range dec.Alerts {
			text := a.Message
			for _, r := range dec.Deny {
				if text == "" && r.Rule == a.Kind {
					text = r.Message // the deny reason an alert of its name stands for
				}
			}
			in.alert(sc, audit.Alert{Kind: a.Kind, Severity: a.Severity, Message: text, DecisionID: dec.ID})
		}
	}
	if outcome == audit.OutcomePassthrough && msg.Info.Reason != pipeline.ReasonUpgrade { // an allowed upgrade is configured, not a fail-open
		in.alert(sc, audit.Alert{
			Kind: audit.AlertFailOpen, Severity: audit.SeverityHigh,
			Message: "a " + msg.Direction + " was forwarded uninspected (route on_error: allow): " + ev.Code,
		})
	}
}

// alert sends a to the alert stream with the message's principal, address
// and route, and counts it.
func (in *Recorder) alert(sc *scope.Scope, a audit.Alert) {
	a.Principal, a.IP, a.Route = sc.Principal.ID, sc.ClientIP, sc.Route.Name
	if a.Severity == "" {
		a.Severity = audit.SeverityMedium
	}
	if a.Message == "" {
		a.Message = "policy alert " + a.Kind
	}
	in.metrics.Alerts.WithLabelValues(a.Kind, a.Severity).Inc()
	if in.recorder == nil {
		return
	}
	if err := in.recorder.Alert(a); err != nil {
		in.log.Error("alert not recorded", zap.String("request_id", sc.RequestID), zap.String("kind", a.Kind), zap.Error(err))
	}
}

// bodyBytes is a message's body size for its audit event: decoded as
// Veil read it, a streamed body's as read chunk by chunk, a body passed
// unread its Content-Length (0 when unknown).
func bodyBytes(msg *pipeline.Message, sum pipeline.Summary) int64 {
	switch {
	case sum.Chunks > 0:
		return sum.Bytes
	case len(msg.Body) > 0:
		return int64(len(msg.Body))
	case msg.Size > 0:
		return msg.Size
	}
	return 0
}
