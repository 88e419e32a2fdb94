package policy

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
)

// TestExplanationCounts holds the kept explanation's tallies to the maps
// they stand for, counted directly, over inputs with many categories,
// places, consent keys and action overrides (more distinct keys than the
// tallies' inline array holds).
func TestExplanationCounts(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	cats := []string{"email", "phone", "person_name", "us_ssn", "credit_card", "iban", "street_address", "date_of_birth", "ip_address", "secret"}
	places := []string{"body", "query", "path", "header"}
	actions := []string{ActionMask, ActionRedact, ActionHash, ActionTokenize, ActionAllow}
	for round := range 200 {
		in := &Input{Direction: "response", Principal: Principal{ID: "u", Roles: []string{"analyst"}}, Stats: map[string]int64{"n": int64(round)},
			Body: Body{Format: BodyJSON, Inspected: round%2 == 0}}
		for r := range rng.IntN(12) {
			c := map[string]bool{}
			for k := range rng.IntN(6) {
				c[fmt.Sprintf("flag_%d", k*rng.IntN(4))] = rng.IntN(2) == 0
			}
			in.Records = append(in.Records, Record{Index: r, Consent: c})
		}
		d := &Decision{Allow: true, Default: map[string]string{}}
		for _, c := range cats {
			if rng.IntN(3) > 0 {
				d.Default[c] = actions[rng.IntN(len(actions))]
			}
		}
		for i := range rng.IntN(80) {
			in.Findings = append(in.Findings, Finding{ID: i, Category: cats[rng.IntN(len(cats))], In: places[rng.IntN(len(places))]})
			if rng.IntN(5) == 0 {
				d.Actions = append(d.Actions, FindingAction{Finding: i, Action: actions[rng.IntN(len(actions))]})
			}
		}
		optedOut, findings, findingsIn, acts := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
		for _, r := range in.Records {
			for k, v := range r.Consent {
				if v {
					optedOut[k]++
				}
			}
		}
		for _, f := range in.Findings {
			findings[f.Category]++
			findingsIn[f.In]++
			acts[d.ActionFor(f)]++
		}
		var k kept
		k.summarize(in, false)
		k.result(d, in)
		x := k.explanation()
		for name, pair := range map[string][2]map[string]int{
			"opted_out": {x.Input.OptedOut, optedOut}, "findings": {x.Input.Findings, findings},
			"findings_in": {x.Input.FindingsIn, findingsIn}, "actions": {x.Result.Actions, acts},
		} {
			if !maps.Equal(pair[0], pair[1]) {
				t.Fatalf("round %d: %s = %v, counted directly %v", round, name, pair[0], pair[1])
			}
		}
		if x.Input.Records != len(in.Records) || x.Input.Stats["n"] != int64(round) || x.Result.Allow != d.Allow ||
			x.Input.BodyFormat != "json" || x.Input.BodyInspected != (round%2 == 0) {
			t.Fatalf("round %d: summary %+v", round, x.Input)
		}
		if s := Summarize(in); !maps.Equal(s.Findings, findings) || !maps.Equal(s.OptedOut, optedOut) {
			t.Fatalf("round %d: Summarize %+v", round, s)
		}
	}
}

// TestRecentRing: the ring keeps exactly the last n decisions over many
// laps, finds each by id, and a shadow comparison reaches the kept one.
func TestRecentRing(t *testing.T) {
	for _, n := range []int{1, 2, 5} {
		r := newRecent(n)
		for i := range 4*n + 3 {
			k := &kept{}
			k.x.DecisionID = fmt.Sprintf("d-%d", i)
			r.add(k)
			for j := range i + 1 {
				_, ok := r.get(fmt.Sprintf("d-%d", j))
				if want := j > i-n; ok != want {
					t.Fatalf("n=%d after d-%d: d-%d kept %v, want %v", n, i, j, ok, want)
				}
			}
			r.setShadow(k.x.DecisionID, &ShadowDiff{Revision: k.x.DecisionID})
			if x, _ := r.get(k.x.DecisionID); x.Shadow == nil || x.Shadow.Revision != k.x.DecisionID {
				t.Fatalf("n=%d: shadow of %s not kept: %+v", n, k.x.DecisionID, x.Shadow)
			}
		}
	}
}
