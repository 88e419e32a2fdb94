package policy

import (
	"maps"
	"reflect"
	"testing"
)

// Records that share a consent map (the pipeline gives records with the
// same flags one map) key and summarize exactly as records with a copy
// each: the encoding of a map met before is reused, never another's.
func TestSharedConsentMapsKeyAsCopies(t *testing.T) {
	c := newDecisionCache(cacheSpec{size: 1, ignore: map[string]bool{}})
	m1, m2 := map[string]bool{"email_opt_out": true, "do_not_call": false}, map[string]bool{"do_not_call": true}
	input := func(consent ...map[string]bool) *Input {
		in := &Input{Direction: "response", Route: "salesforce"}
		for i, m := range consent {
			in.Records = append(in.Records, Record{Index: i, Object: "Contact", ID: "003", Pointer: "/records/0", Consent: m})
		}
		return in
	}
	shared := input(m1, m1, m2, m1, nil, nil, m2, m2)
	copies := input(maps.Clone(m1), maps.Clone(m1), maps.Clone(m2), maps.Clone(m1), nil, nil, maps.Clone(m2), maps.Clone(m2))
	if c.key(shared) != c.key(copies) {
		t.Error("records sharing consent maps key otherwise than with a copy each")
	}
	if a, b := Summarize(shared).OptedOut, Summarize(copies).OptedOut; !reflect.DeepEqual(a, b) || a["email_opt_out"] != 3 || a["do_not_call"] != 3 {
		t.Errorf("opted out: shared %v, copies %v; want email_opt_out 3 and do_not_call 3", a, b)
	}
	for _, other := range []*Input{
		input(m1, m1, m2, m2, nil, nil, m2, m2),
		input(m1, m2, m1, m1, nil, nil, m2, m2),
		input(m1, m1, m2, m1, m1, nil, m2, m2),
		input(m1, m1, m2, m1, nil, nil, m2, map[string]bool{"do_not_call": false}),
	} {
		if c.key(other) == c.key(shared) {
			t.Errorf("records with other consent key alike: %v", other.Records)
		}
	}
}
