package policy

import (
	"maps"
	"slices"
	"sync"
	"time"
)

// Explanation is what GET /admin/decisions/{id} shows of a recent
// decision: a summary of the input (kinds and counts, never a value, a
// path or an address), the rules that fired and the result, and, with a
// shadow bundle, how its answer differed.
type Explanation struct {
	DecisionID string       `json:"decision_id"`
	Time       time.Time    `json:"time"`
	Revision   string       `json:"revision"`
	Cached     bool         `json:"cached"` // answered from the decision cache
	Input      InputSummary `json:"input"`
	Rules      []string     `json:"rules"` // rule ids that fired
	Result     Result       `json:"result"`
	Shadow     *ShadowDiff  `json:"shadow,omitempty"`
}

// InputSummary is the input without anything a person could be found by.
type InputSummary struct {
	Direction  string           `json:"direction"`
	Route      string           `json:"route"`
	Dialect    string           `json:"dialect"`
	Method     string           `json:"method"`
	Operation  string           `json:"operation"`
	Object     string           `json:"object"`
	Principal  string           `json:"principal"` // the configured principal id (an API key's name)
	Roles      []string         `json:"roles"`
	MFA        bool             `json:"mfa"`
	Purpose    string           `json:"purpose"`
	Records    int              `json:"records"`
	OptedOut   map[string]int   `json:"opted_out"` // consent key -> records with it set
	Findings   map[string]int   `json:"findings"`  // category -> count
	Stats      map[string]int64 `json:"stats"`
	Truncated  bool             `json:"truncated"`
	FindingsIn map[string]int   `json:"findings_in"` // body, query, path -> count
}

// Result is the decision without the per-finding detail.
type Result struct {
	Allow   bool              `json:"allow"`
	Deny    []Reason          `json:"deny"`
	Default map[string]string `json:"default"`
	Actions map[string]int    `json:"actions"` // action -> findings it applies to
	Drop    int               `json:"drop"`    // members removed
	Alerts  []Alert           `json:"alerts"`
}

// Summarize reduces an input to its summary.
func Summarize(in *Input) InputSummary {
	s := InputSummary{
		Direction: in.Direction, Route: in.Route, Dialect: in.Dialect, Method: in.Method,
		Operation: in.Operation, Object: in.Object, Principal: in.Principal.ID,
		Roles: slices.Clone(in.Principal.Roles), MFA: in.Principal.MFA, Purpose: in.Purpose,
		Records: len(in.Records), OptedOut: map[string]int{}, Findings: map[string]int{},
		Stats: maps.Clone(in.Stats), Truncated: in.Truncated, FindingsIn: map[string]int{},
	}
	if s.Roles == nil {
		s.Roles = []string{}
	}
	if s.Stats == nil {
		s.Stats = map[string]int64{}
	}
	for _, r := range in.Records {
		for k, v := range r.Consent {
			if v {
				s.OptedOut[k]++
			}
		}
	}
	for _, f := range in.Findings {
		s.Findings[f.Category]++
		s.FindingsIn[f.In]++
	}
	return s
}

// result summarises d for in's findings.
func result(d *Decision, in *Input) Result {
	r := Result{Allow: d.Allow, Deny: d.Deny, Default: d.Default, Actions: map[string]int{}, Drop: len(d.Drop), Alerts: d.Alerts}
	for _, f := range in.Findings {
		r.Actions[d.ActionFor(f)]++
	}
	return r
}

// recentDecisions keeps the last n explanations, by id.
type recentDecisions struct {
	mu   sync.Mutex
	byID map[string]*Explanation
	ring []string
	next int
	n    int
}

func newRecent(n int) *recentDecisions {
	if n <= 0 {
		return nil
	}
	return &recentDecisions{byID: make(map[string]*Explanation, n), ring: make([]string, 0, n), n: n}
}

func (r *recentDecisions) add(x *Explanation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ring) < r.n {
		r.ring = append(r.ring, x.DecisionID)
	} else {
		delete(r.byID, r.ring[r.next])
		r.ring[r.next] = x.DecisionID
		r.next = (r.next + 1) % r.n
	}
	r.byID[x.DecisionID] = x
}

// get returns a copy of the explanation, safe to encode while the shadow
// worker may still add to the original.
func (r *recentDecisions) get(id string) (Explanation, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	x, ok := r.byID[id]
	if !ok {
		return Explanation{}, false
	}
	c := *x
	if x.Shadow != nil {
		s := *x.Shadow
		c.Shadow = &s
	}
	return c, true
}

// setShadow records the shadow comparison of decision id, if still kept.
func (r *recentDecisions) setShadow(id string, s *ShadowDiff) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if x, ok := r.byID[id]; ok {
		x.Shadow = s
	}
}
