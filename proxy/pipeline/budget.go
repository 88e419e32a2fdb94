package pipeline

import (
	"context"
	"errors"
	"time"

	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy/crm"
)

// errBudgetExceeded stops a walk whose message has spent its inspection
// budget (limits.inspection_budget).
var errBudgetExceeded = errors.New("inspection budget exceeded")

// budgetEvery is how many values (or records) a walk meets between two
// looks at the clock and the context: cheap enough for every value, and
// soon enough to stop a pathological body within a fraction of its cost.
const budgetEvery = 256

// inspectBudget bounds the inspection of one message: it stops when the
// client's context is done, or when the message's detect stage has run
// longer than the budget. The budget is wall time, not CPU time: Go has no
// cheap per-goroutine CPU clock, so a loaded host spends a message's
// budget sooner; the default (config.DefaultInspectionBudget) is set
// generously for that. A nil budget never stops anything.
type inspectBudget struct {
	ctx      context.Context
	deadline time.Time // zero: no time budget, only the context
	n        int
	err      error // sticky: once stopped, stopped
}

// newBudget starts a message's budget of d (0: the context alone); nil
// when there is nothing to watch.
func newBudget(ctx context.Context, d time.Duration) *inspectBudget {
	if ctx == nil || ctx.Done() == nil && d <= 0 {
		return nil
	}
	b := &inspectBudget{ctx: ctx}
	if d > 0 {
		b.deadline = time.Now().Add(d)
	}
	return b
}

// tick counts one value; every budgetEvery values it checks.
func (b *inspectBudget) tick() error {
	if b == nil {
		return nil
	}
	if b.err != nil {
		return b.err
	}
	if b.n++; b.n%budgetEvery != 0 {
		return nil
	}
	return b.check()
}

// check says now whether inspection must stop: the context's error, or
// errBudgetExceeded.
func (b *inspectBudget) check() error {
	if b == nil {
		return nil
	}
	if b.err == nil {
		if err := b.ctx.Err(); err != nil {
			b.err = err
		} else if !b.deadline.IsZero() && time.Now().After(b.deadline) {
			b.err = errBudgetExceeded
		}
	}
	return b.err
}

// stopped is the refusal of a message whose inspection stopped on err
// (nil when err is no such stop): a spent budget fails closed with
// inspection_budget_exceeded, 503 on the way in (Veil is too busy to read
// the body in time; a retry may pass) and 502 on the way out, as any
// upstream body Veil cannot inspect; a client gone answers nobody, with
// request_canceled (499, as proxies log it).
func stopped(dir string, err error) *crm.Error {
	switch {
	case errors.Is(err, errBudgetExceeded):
		e := Failure(dir, crm.CodeInspectionBudgetExceeded, "the body could not be inspected within Veil's inspection budget")
		if dir == DirRequest {
			e.Status = 503
		}
		return e
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		e := Failure(dir, crm.CodeRequestCanceled, "the request was canceled while its body was inspected")
		if dir == DirRequest {
			e.Status = 499
		}
		return e
	}
	return nil
}

// The findings cap (Pipeline.maxFinds, DefaultMaxFindings) bounds what the
// policy evaluates for one message; a cap must not be a bypass. Past it,
// findingSampler keeps, for the policy, the first finding of every
// (category, detector, field) met there, as it is (its record, pointer,
// field), so rules on what a finding is and where it sits (a card in free
// text, a security code anywhere) fire as they would have under the cap.
// Past maxOverflowSamples such triples (a body built of distinct field
// names), the first finding of every (category, detector) pair is kept
// instead with its place unknown: no field (free text, to the PCI rules),
// outside any record, pointer "". Every finding past the cap, sampled or
// not, is redacted whatever the policy says of it (apply): the samples
// are for the policy's deny rules, not a way through. The input says
// truncated: true.
const maxOverflowSamples = 1024

type findingSampler struct {
	seen map[sampleKey]bool
}

type sampleKey struct{ category, detector, field string }

// sample reports whether f, past the cap, goes to the policy, and makes
// it the collapsed sample of its kind when the samples are full.
func (s *findingSampler) sample(f *policy.Finding) bool {
	if s.seen == nil {
		s.seen = map[sampleKey]bool{}
	}
	k := sampleKey{f.Category, f.Detector, f.Field}
	if s.seen[k] {
		return false
	}
	if len(s.seen) < maxOverflowSamples {
		s.seen[k] = true
		return true
	}
	k = sampleKey{f.Category, f.Detector, "\x00"} // the pair's collapsed sample (a field named NUL shares it: it was sent)
	if s.seen[k] {
		return false
	}
	s.seen[k] = true
	f.Field, f.Record, f.Pointer = "", -1, ""
	return true
}
