package policy

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.uber.org/zap"
)

// Dry run: a shadow bundle is evaluated after each enforced decision, off
// the request path, by one worker fed through a bounded queue (a full
// queue skips the comparison and counts it). Its answer is compared with
// the enforced one, never applied.

const shadowQueue = 256

// shadowTimeout bounds one shadow evaluation.
const shadowTimeout = 2 * time.Second

type shadowJob struct {
	in       *Input
	enforced *Decision
}

// ShadowDiff is how the shadow bundle's decision differed from the
// enforced one. Differences name rules, categories, actions, finding ids
// and pointers, never values.
type ShadowDiff struct {
	Revision    string   `json:"revision"`
	Differs     bool     `json:"differs"`
	Differences []string `json:"differences,omitempty"`
	Error       string   `json:"error,omitempty"` // the shadow bundle failed to decide
}

func (e *Engine) shadowWorker() {
	for job := range e.shadowJobs {
		e.runShadow(job)
	}
}

func (e *Engine) runShadow(job shadowJob) {
	c := e.shadow.Load()
	ctx, cancel := context.WithTimeout(context.Background(), shadowTimeout)
	defer cancel()
	d, _, err := c.decide(ctx, job.in)
	// Counted last: whoever reads n evaluations in Stats finds their
	// errors, differences and explanations already recorded.
	defer e.stats.shadowEvaluations.Add(1)
	diff := &ShadowDiff{Revision: c.revision}
	if err != nil {
		e.stats.shadowErrors.Add(1)
		diff.Error = err.Error()
		e.log.Warn("shadow policy failed to decide", zap.String("decision_id", job.enforced.ID),
			zap.String("shadow_revision", c.revision), zap.Error(err))
	} else if diff.Differences = compareDecisions(job.enforced, d, job.in); len(diff.Differences) > 0 {
		diff.Differs = true
		e.stats.shadowDifferences.Add(1)
		e.log.Info("shadow policy decision differs", zap.String("decision_id", job.enforced.ID),
			zap.String("revision", job.enforced.Revision), zap.String("shadow_revision", c.revision),
			zap.Bool("allow", job.enforced.Allow), zap.Bool("shadow_allow", d.Allow),
			zap.Strings("rules", job.enforced.Rules), zap.Strings("shadow_rules", d.Rules),
			zap.Strings("differences", diff.Differences))
	}
	if e.recent != nil {
		e.recent.setShadow(job.enforced.ID, diff)
	}
}

// compareDecisions lists how b differs from a for in's findings: allow,
// deny rules, each finding's effective action, drops and alerts.
func compareDecisions(a, b *Decision, in *Input) []string {
	var out []string
	if a.Allow != b.Allow {
		out = append(out, fmt.Sprintf("allow: %t -> %t", a.Allow, b.Allow))
	}
	out = appendSetDiff(out, "deny", denyRules(a), denyRules(b))
	for _, f := range in.Findings {
		if x, y := a.ActionFor(f), b.ActionFor(f); x != y {
			out = append(out, fmt.Sprintf("finding %d (%s): %s -> %s", f.ID, f.Category, x, y))
		}
	}
	out = appendSetDiff(out, "drop", a.Drop, b.Drop)
	out = appendSetDiff(out, "alert", alertKinds(a), alertKinds(b))
	return out
}

func denyRules(d *Decision) []string {
	r := make([]string, len(d.Deny))
	for i, x := range d.Deny {
		r[i] = x.Rule
	}
	return r
}

func alertKinds(d *Decision) []string {
	r := make([]string, len(d.Alerts))
	for i, x := range d.Alerts {
		r[i] = x.Kind + "/" + x.Severity
	}
	return r
}

// appendSetDiff appends "+x" for what only b holds and "-x" for what only
// a holds, in order.
func appendSetDiff(out []string, what string, a, b []string) []string {
	in := func(s []string) map[string]bool {
		m := make(map[string]bool, len(s))
		for _, x := range s {
			m[x] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	for _, x := range slices.Sorted(maps.Keys(mb)) {
		if !ma[x] {
			out = append(out, what+": +"+x)
		}
	}
	for _, x := range slices.Sorted(maps.Keys(ma)) {
		if !mb[x] {
			out = append(out, what+": -"+x)
		}
	}
	return out
}
