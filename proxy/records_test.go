package proxy

import (
	"maps"
	"testing"
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
