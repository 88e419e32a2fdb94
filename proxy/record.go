package proxy

import (
	"context"
	"slices"

	"go.uber.org/zap"

	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/inventory"
	"github.com/veil-proxy/veil/proxy/scope"
	"github.com/veil-proxy/veil/proxy/watch"
)

// Recorder takes the audit events and alerts (proxy/audit's Recorder):
// it never blocks on I/O, and says when it can keep no more.
type Recorder interface {
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

// Summary is what one message leaves for the audit event, the watch and
// the inventory: counts, record ids and names, never a value.
type Summary struct {
	Categories map[string]int // findings by category
	Actions    map[string]int // findings by the action applied
	RecordIDs  []string       // records holding findings
	PIIRecords int            // records holding findings, with or without an id
	NoID       int            // records holding findings whose id the message does not carry
	Path       string         // the URL path as audited (auditPath): known segments, "[category]", "[segment]"

	// A streamed response's (stream.go): its chunks, and the record ids
	// past the bound of its event.
	Chunks, RecordIDsOmitted int
	// Bytes is a streamed body's size, decoded, as read; note sizes a
	// body read whole itself.
	Bytes int64
}

// summarize fills the counts and ids of a decided message.
func summarize(in *policy.Input, m *Message, urls []urlFind) Summary {
	s := Summary{Path: auditPath(m.Route, m.Path, urls)} // safepath.go
	if len(in.Findings) > 0 {
		s.Categories = make(map[string]int, 4)
		for _, f := range in.Findings {
			s.Categories[f.Category]++
		}
	}
	for _, r := range in.Records {
		s.PIIRecords++
		if r.ID != "" {
			s.RecordIDs = append(s.RecordIDs, r.ID)
		} else if r.Index >= 0 {
			s.NoID++
		}
	}
	return s
}

// observeInventory feeds the inventory with a message's findings, one
// call per (object, field, category). A message holds a handful of such
// triples: a short list searched in turn costs less than a map. Records
// are sorted by index (detect sorts them).
func observeInventory(inv Inventory, route, dir string, in *policy.Input) {
	type triple struct {
		object, field, category string
		n                       int
	}
	var counts []triple
	for _, f := range in.Findings {
		obj := in.Object
		if k, ok := slices.BinarySearchFunc(in.Records, f.Record, func(r policy.Record, i int) int { return r.Index - i }); ok {
			obj = in.Records[k].Object
		}
		found := false
		for k := range counts {
			if c := &counts[k]; c.object == obj && c.field == f.Field && c.category == f.Category {
				c.n++
				found = true
				break
			}
		}
		if !found {
			counts = append(counts, triple{obj, f.Field, f.Category, 1})
		}
	}
	for _, c := range counts {
		inv.Observe(route, dir, c.object, c.field, c.category, c.n)
	}
}

// note records one message: its audit event, the policy's alerts, a
// fail-open alert, what the watch counts, and the inventory's coverage.
// status is the CRM's status for a response (0 for a request); res may be
// nil when the message was never decided (a body that could not be read).
func (in *Inspector) note(ctx context.Context, sc *scope.Scope, msg *Message, res *Result, outcome string, status int) {
	p := in.pipe
	var sum Summary
	var dec *policy.Decision
	var e *crm.Error
	if res != nil {
		sum, dec, e = res.Summary, res.Decision, res.Err
	}
	// The path as scanned on the way in: a HubSpot record id may be an
	// e-mail address. A request whose URL was never scanned (its body
	// could not be read) leaves none: Operation and Object say enough.
	if msg.Direction == DirRequest {
		sc.SafePath = sum.Path
	}
	sum.Path = sc.SafePath
	if p.inv != nil && outcome != audit.OutcomeBlocked && msg.Info.Format != FormatNone {
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
		p.inv.Cover(sc.Route.Name, msg.Direction, format, inspected, reason, size)
	}
	if p.watch != nil {
		o := watch.Observation{
			Principal: sc.Principal.ID, IP: sc.ClientIP, Route: sc.Route.Name, Direction: msg.Direction,
			Status: status, Categories: sum.Categories,
		}
		if msg.Direction == DirResponse && outcome != audit.OutcomeBlocked {
			o.PIIRecords = sum.PIIRecords // what the caller received
		}
		if dec != nil {
			o.DecisionID, o.Probes = dec.ID, dec.Probes
		}
		p.watch.Observe(ctx, o)
	}
	if p.recorder == nil {
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
	if err := p.recorder.Record(ev); err != nil {
		p.log.Error("audit event not recorded", zap.String("request_id", sc.RequestID), zap.Error(err))
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
	if outcome == audit.OutcomePassthrough && msg.Info.Reason != ReasonUpgrade { // an allowed upgrade is configured, not a fail-open
		in.alert(sc, audit.Alert{
			Kind: audit.AlertFailOpen, Severity: audit.SeverityHigh,
			Message: "a " + msg.Direction + " was forwarded uninspected (route on_error: allow): " + ev.Code,
		})
	}
}

// alert sends a to the alert stream with the message's principal, address
// and route, and counts it.
func (in *Inspector) alert(sc *scope.Scope, a audit.Alert) {
	p := in.pipe
	a.Principal, a.IP, a.Route = sc.Principal.ID, sc.ClientIP, sc.Route.Name
	if a.Severity == "" {
		a.Severity = audit.SeverityMedium
	}
	if a.Message == "" {
		a.Message = "policy alert " + a.Kind
	}
	p.metrics.Alerts.WithLabelValues(a.Kind, a.Severity).Inc()
	if p.recorder == nil {
		return
	}
	if err := p.recorder.Alert(a); err != nil {
		p.log.Error("alert not recorded", zap.String("request_id", sc.RequestID), zap.String("kind", a.Kind), zap.Error(err))
	}
}

// bodyBytes is a message's body size for its audit event: decoded as
// Veil read it, a streamed body's as read chunk by chunk, a body passed
// unread its Content-Length (0 when unknown).
func bodyBytes(msg *Message, sum Summary) int64 {
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
