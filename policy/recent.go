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
	// What Veil could read of the body (input.body): its format, whether
	// every byte was inspected, why not, and whether the route declared
	// the response a file download.
	BodyFormat    string `json:"body_format"`
	BodyInspected bool   `json:"body_inspected"`
	BodyReason    string `json:"body_reason,omitempty"`
	BodyDownload  bool   `json:"body_download,omitempty"`
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
	var k kept
	k.summarize(in, false)
	return k.explanation().Input
}

// kept is an explanation as the ring holds it: its counts as one short
// list of tallies, made maps only when the explanation is asked for. Two
// decisions per exchange are kept and few are ever read: building four
// or five maps for each was most of what a cached decision cost.
type kept struct {
	x      Explanation // its count maps nil until explanation
	tally  []tally
	inline [16]tally // tally's first backing array
}

// tally is one count of one of an explanation's maps.
type tally struct {
	of  uint8 // which map (the of* constants)
	key string
	n   int
}

const (
	ofOptedOut = iota
	ofFindings
	ofFindingsIn
	ofActions
)

// count adds one to key in map of. The keys are few (categories, where a
// finding is, actions, consent keys): a linear search beats hashing.
func (k *kept) count(of uint8, key string) {
	for i := range k.tally {
		if t := &k.tally[i]; t.of == of && t.key == key {
			t.n++
			return
		}
	}
	if k.tally == nil {
		k.tally = k.inline[:0]
	}
	k.tally = append(k.tally, tally{of: of, key: key, n: 1})
}

// summarize counts in. ownStats says in.Stats is a map Decide made
// (quantize's rounding), which nobody writes to: the summary shares it
// instead of copying it.
func (k *kept) summarize(in *Input, ownStats bool) {
	stats := in.Stats
	if !ownStats {
		stats = maps.Clone(stats)
	}
	k.x.Input = InputSummary{
		Direction: in.Direction, Route: in.Route, Dialect: in.Dialect, Method: in.Method,
		Operation: in.Operation, Object: in.Object, Principal: in.Principal.ID,
		Roles: slices.Clone(in.Principal.Roles), MFA: in.Principal.MFA, Purpose: in.Purpose,
		Records: len(in.Records), Stats: stats, Truncated: in.Truncated,
		BodyFormat: in.Body.Format, BodyInspected: in.Body.Inspected, BodyReason: in.Body.Reason, BodyDownload: in.Body.Download,
	}
	if k.x.Input.Roles == nil {
		k.x.Input.Roles = []string{}
	}
	if k.x.Input.Stats == nil {
		k.x.Input.Stats = map[string]int64{}
	}
	// Records share their consent maps (one per set of flags): a map met
	// just before counts the keys it set again, without iterating it.
	var (
		last uintptr
		buf  [8]string // a map's set keys: a handful of consent flags
	)
	setKeys := buf[:0]
	for i := range in.Records {
		m := in.Records[i].Consent
		if id := mapID(m); id == 0 || id != last {
			last, setKeys = id, setKeys[:0]
			for key, v := range m {
				if v {
					setKeys = append(setKeys, key)
				}
			}
		}
		for _, key := range setKeys {
			k.count(ofOptedOut, key)
		}
	}
	for i := range in.Findings {
		f := &in.Findings[i]
		k.count(ofFindings, f.Category)
		k.count(ofFindingsIn, f.In)
	}
}

// result summarises d for in's findings.
func (k *kept) result(d *Decision, in *Input) {
	k.x.Result = Result{Allow: d.Allow, Deny: d.Deny, Default: d.Default, Drop: len(d.Drop), Alerts: d.Alerts}
	var l actionLookup
	for i := range in.Findings {
		k.count(ofActions, l.of(d, &in.Findings[i]))
	}
}

// explanation is a copy of the explanation with its count maps built.
func (k *kept) explanation() Explanation {
	x := k.x
	x.Input.OptedOut, x.Input.Findings, x.Input.FindingsIn = map[string]int{}, map[string]int{}, map[string]int{}
	x.Result.Actions = map[string]int{}
	to := [...]map[string]int{ofOptedOut: x.Input.OptedOut, ofFindings: x.Input.Findings, ofFindingsIn: x.Input.FindingsIn, ofActions: x.Result.Actions}
	for _, t := range k.tally {
		to[t.of][t.key] += t.n
	}
	if x.Shadow != nil {
		s := *x.Shadow
		x.Shadow = &s
	}
	return x
}

// recentDecisions keeps the last n explanations. Two are added per
// exchange and few are ever read (GET /admin/decisions/{id}, a shadow
// comparison), so the ring is searched by id, newest first, rather than
// indexed by a map that every decision would update twice.
type recentDecisions struct {
	mu   sync.Mutex
	ring []*kept
	next int // where the next one goes, once the ring is full
	n    int
}

func newRecent(n int) *recentDecisions {
	if n <= 0 {
		return nil
	}
	return &recentDecisions{ring: make([]*kept, 0, min(n, 4096)), n: n}
}

func (r *recentDecisions) add(k *kept) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ring) < r.n {
		r.ring = append(r.ring, k)
		return
	}
	r.ring[r.next] = k
	r.next = (r.next + 1) % r.n
}

// find is the kept decision id, nil when it is gone; r.mu held.
func (r *recentDecisions) find(id string) *kept {
	newest := len(r.ring) - 1
	if len(r.ring) == r.n {
		newest = r.next - 1 + r.n
	}
	for i := range len(r.ring) {
		if k := r.ring[(newest-i)%len(r.ring)]; k.x.DecisionID == id {
			return k
		}
	}
	return nil
}

// get returns a copy of the explanation, safe to encode while the shadow
// worker may still add to the original.
func (r *recentDecisions) get(id string) (Explanation, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.find(id)
	if k == nil {
		return Explanation{}, false
	}
	return k.explanation(), true
}

// setShadow records the shadow comparison of decision id, if still kept.
func (r *recentDecisions) setShadow(id string, s *ShadowDiff) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if k := r.find(id); k != nil {
		k.x.Shadow = s
	}
}
