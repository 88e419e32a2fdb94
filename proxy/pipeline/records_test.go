package pipeline

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy/crm"
)

func TestRecordTable(t *testing.T) {
	var rt recordTable
	rt.setID(0, []byte("003A"))
	rt.setObject(0, []byte("Contact"))
	rt.setFlag(0, "email", false)
	rt.setFlag(0, "email", true) // the later wins
	rt.setFlag(0, "call", false)
	rt.setID(1, []byte("003B"))
	rt.setObject(1, []byte("Contact"))
	rt.setFlag(1, "call", false)
	rt.setFlag(1, "email", true)
	rt.setObject(2, []byte("Lead"))
	rt.setFlag(2, "email", false)
	// A hostile body's far index is kept aside, not by growing the table.
	rt.setID(5_000_000, []byte("far"))
	rt.setFlag(5_000_000, "email", true)
	rt.finish()

	if len(rt.recs) > 3+denseGap {
		t.Fatalf("dense table of %d records for a far index", len(rt.recs))
	}
	r0, r1, r2, far := rt.get(0), rt.get(1), rt.get(2), rt.get(5_000_000)
	if r0 == nil || r1 == nil || r2 == nil || far == nil || rt.get(3) != nil || rt.get(-1) != nil || rt.get(4_000_000) != nil {
		t.Fatalf("get: %v %v %v %v", r0, r1, r2, far)
	}
	if r0.id != "003A" || r1.id != "003B" || far.id != "far" || r2.id != "" {
		t.Errorf("ids %q %q %q %q", r0.id, r1.id, r2.id, far.id)
	}
	if r0.object != "Contact" || r1.object != "Contact" || r2.object != "Lead" {
		t.Errorf("objects %q %q %q", r0.object, r1.object, r2.object)
	}
	want := map[string]bool{"email": true, "call": false}
	if !maps.Equal(r0.consent, want) || !maps.Equal(r1.consent, want) {
		t.Errorf("consent %v %v", r0.consent, r1.consent)
	}
	// Equal flags share one map (read only); different ones do not.
	r0.consent["probe"] = true
	if !r1.consent["probe"] || r2.consent["probe"] || far.consent["probe"] {
		t.Error("records with the same flags should share one map, others not")
	}
	if !maps.Equal(r2.consent, map[string]bool{"email": false}) || !maps.Equal(far.consent, map[string]bool{"email": true}) {
		t.Errorf("consent %v %v", r2.consent, far.consent)
	}
}

// Records nested in a composite's subresponses, a graph, a batch and a
// subquery are records of their own in the policy input: their id, their
// object, their consent flags, their findings; indexes unique.
func TestNestedRecordsAreRecords(t *testing.T) {
	d := &decider{make: func(*policy.Input) (*policy.Decision, error) { return &policy.Decision{ID: "d", Allow: true}, nil }}
	c := func(id string, out bool) string {
		return `{"attributes":{"type":"Contact"},"Id":"` + id + `","Email":"` + id + `@example.com","HasOptedOutOfEmail":` + map[bool]string{true: "true", false: "false"}[out] + `}`
	}
	for _, tt := range []struct {
		name string
		call crm.Call
		body string
		out  map[string]bool // record id → opted out
	}{
		{"composite", crm.Call{Operation: crm.OpComposite, Collection: true},
			`{"compositeResponse":[{"body":` + c("c1", true) + `,"httpStatusCode":200,"referenceId":"a"},
			 {"body":{"totalSize":2,"done":true,"records":[` + c("c2", false) + `,` + c("c3", true) + `]},"httpStatusCode":200,"referenceId":"b"},
			 {"body":[` + c("c4", true) + `],"httpStatusCode":200,"referenceId":"c"}]}`,
			map[string]bool{"c1": true, "c2": false, "c3": true, "c4": true}},
		{"graph", crm.Call{Operation: crm.OpComposite, Collection: true},
			`{"graphs":[{"graphId":"g","graphResponse":{"compositeResponse":[{"body":` + c("g1", true) + `},{"body":{"records":[` + c("g2", false) + `]}}]},"isSuccessful":true}]}`,
			map[string]bool{"g1": true, "g2": false}},
		{"batch", crm.Call{Operation: crm.OpComposite, Collection: true},
			`{"hasErrors":false,"results":[{"statusCode":200,"result":` + c("b1", true) + `},{"statusCode":200,"result":{"records":[` + c("b2", false) + `,` + c("b3", true) + `]}}]}`,
			map[string]bool{"b1": true, "b2": false, "b3": true}},
		{"subquery", crm.Call{Operation: crm.OpQuery, Object: "Account", Collection: true},
			`{"records":[{"attributes":{"type":"Account"},"Id":"a1","Contacts":{"totalSize":2,"done":true,"records":[` + c("s1", true) + `,` + c("s2", false) + `]},
			  "Cases":{"records":[` + c("s3", false) + `]}}]}`,
			map[string]bool{"s1": true, "s2": false, "s3": false}},
		{"collections", crm.Call{Operation: crm.OpComposite, Object: "Contact", Collection: true},
			`[` + c("k1", true) + `,` + c("k2", false) + `]`, map[string]bool{"k1": true, "k2": false}},
	} {
		m := message()
		m.Call, m.Body = tt.call, []byte(tt.body)
		if res := pipe(d).Process(context.Background(), m); res.Err != nil {
			t.Fatalf("%s: %v", tt.name, res.Err)
		}
		in := d.seen
		byIndex := map[int]policy.Record{}
		for _, r := range in.Records {
			if _, dup := byIndex[r.Index]; dup {
				t.Fatalf("%s: index %d twice", tt.name, r.Index)
			}
			byIndex[r.Index] = r
		}
		got := map[string]bool{}
		for _, f := range in.Findings {
			r, ok := byIndex[f.Record]
			if !ok || f.Category != "email" || !strings.HasPrefix(f.Pointer, r.Pointer+"/") {
				t.Errorf("%s: finding %+v not in its record %+v", tt.name, f, r)
				continue
			}
			if r.Object != "Contact" || f.Pointer != r.Pointer+"/Email" || r.ID == "" {
				t.Errorf("%s: record %+v of %+v", tt.name, r, f)
			}
			got[r.ID] = r.Consent[crm.ConsentEmailOptOut]
		}
		if !maps.Equal(got, tt.out) {
			t.Errorf("%s: consent %v, want %v", tt.name, got, tt.out)
		}
	}
}

// A nested record without its own type is not the call's object: unknown,
// which consent reads as carrying the flag.
func TestNestedRecordWithoutTypeIsUnknown(t *testing.T) {
	d := &decider{make: func(*policy.Input) (*policy.Decision, error) { return &policy.Decision{ID: "d", Allow: true}, nil }}
	m := message()
	m.Call = crm.Call{Operation: crm.OpQuery, Object: "Account", Collection: true}
	m.Body = []byte(`{"records":[{"Id":"a1","Contacts":{"records":[{"Id":"s1","Email":"s1@example.com"}]}}]}`)
	if res := pipe(d).Process(context.Background(), m); res.Err != nil {
		t.Fatal(res.Err)
	}
	if rs := d.seen.Records; len(rs) != 1 || rs[0].ID != "s1" || rs[0].Object != "" || !isNested(rs[0].Index) {
		t.Fatalf("records %+v", rs)
	}
}
