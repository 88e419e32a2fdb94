package audit_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy/audit"
)

// chained records n events through a file-only Recorder and reads them
// back.
func chained(t *testing.T, n int) []audit.Event {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	r := open(t, audit.Options{File: path, Instance: "i-1"})
	for i := range n {
		if err := r.Record(decision(i)); err != nil {
			t.Fatal(err)
		}
	}
	closeRec(t, r)
	var out []audit.Event
	if err := audit.ReadFile(path, func(e audit.Event) error { out = append(out, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(out) != n {
		t.Fatalf("%d events in the file, want %d", len(out), n)
	}
	return out
}

func TestHashChainAndVerify(t *testing.T) {
	ev := chained(t, 6)
	for i, e := range ev {
		h, err := e.ComputeHash()
		if err != nil || h != e.Hash || len(e.Hash) != 64 || e.Seq != uint64(i+1) || e.Instance != "i-1" {
			t.Fatalf("event %d: %v %+v", i, err, e)
		}
		if i > 0 && e.PrevHash != ev[i-1].Hash {
			t.Fatalf("event %d: prev_hash is not the previous hash", i)
		}
	}
	if ev[0].PrevHash != "" {
		t.Error("seq 1 has a prev_hash")
	}
	if v := verifyEvents(ev); !v.OK() || v.Reports()[0].Events != 6 || v.Reports()[0].First != 1 || v.Reports()[0].Last != 6 {
		t.Fatalf("intact chain: %+v", v.Reports())
	}

	cp := func() []audit.Event { return append([]audit.Event(nil), ev...) }
	tampered := cp()
	tampered[2].Categories = map[string]int{"email": 1} // fewer findings than there were
	deleted := append(cp()[:3], ev[4:]...)
	reordered := cp()
	reordered[3], reordered[4] = reordered[4], reordered[3]
	rehashed := cp() // the attacker recomputes the altered event's own hash
	rehashed[2].Outcome = audit.OutcomeAllowed
	rehashed[2].Hash, _ = rehashed[2].ComputeHash()

	for _, tc := range []struct {
		name   string
		events []audit.Event
		seq    uint64
		want   string
	}{
		{"tampered", tampered, 3, "altered"},
		{"deleted", deleted, 5, "1 missing"},
		{"reordered", reordered, 5, "seq 5 after seq 3"},
		{"rehashed", rehashed, 4, "prev_hash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := verifyEvents(tc.events)
			r := v.Reports()[0]
			if v.OK() || r.Broken == nil || r.Broken.Seq != tc.seq || !strings.Contains(r.Broken.Problem, tc.want) || r.Broken.Where == "" {
				t.Fatalf("%+v %+v", r, r.Broken)
			}
		})
	}

	// A stream trimmed by MAXLEN starts mid-chain: reported, not broken.
	v := verifyEvents(ev[3:])
	if r := v.Reports()[0]; !v.OK() || !r.Trimmed() || r.First != 4 || r.Last != 6 {
		t.Fatalf("trimmed: %+v", r)
	}
	// Two instances interleaved are two chains.
	other := chained(t, 2)
	for i := range other {
		other[i].Instance = "i-2"
		other[i].Hash, _ = other[i].ComputeHash()
		if i > 0 {
			other[i].PrevHash = other[i-1].Hash
			other[i].Hash, _ = other[i].ComputeHash()
		}
	}
	mixed := []audit.Event{ev[0], other[0], ev[1], other[1], ev[2]}
	if v := verifyEvents(mixed); !v.OK() || len(v.Reports()) != 2 {
		t.Fatalf("interleaved: %+v", v.Reports())
	}
}

func TestFileSinks(t *testing.T) {
	dir := t.TempDir()
	events, alerts := filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "alerts.jsonl")
	spool := filepath.Join(dir, "spool")
	for run := range 2 { // reopening appends; each run is its own chain
		r := open(t, audit.Options{File: events, AlertFile: alerts, SpoolDir: spool})
		if !strings.Contains(r.Instance(), "-") {
			t.Errorf("instance %q: want host-xxxxxx", r.Instance())
		}
		e := audit.Event{Kind: audit.KindVaultErasure, Actor: "cli", Token: "vt.abc", Erased: 1}
		if err := r.Record(e); err != nil {
			t.Fatal(err)
		}
		got, err := r.RecordSync(t.Context(), decision(run))
		if err != nil || got.Seq != 2 || got.Hash == "" {
			t.Fatalf("RecordSync: %v %+v", err, got)
		}
		// RecordSync returns once the event is in the file.
		if b, _ := os.ReadFile(events); !strings.Contains(string(b), got.ID) {
			t.Fatal("RecordSync returned before the file held the event")
		}
		if err := r.Alert(audit.Alert{Kind: audit.AlertBulkExport, Severity: audit.SeverityHigh, Message: "bulk export", Evidence: map[string]int64{"records": 1200}}); err != nil {
			t.Fatal(err)
		}
		closeRec(t, r)
	}
	var ev []audit.Event
	if err := audit.ReadFile(events, func(e audit.Event) error { ev = append(ev, e); return nil }); err != nil {
		t.Fatal(err)
	}
	hexID := regexp.MustCompile(`^[0-9a-f]{32}$`)
	if len(ev) != 4 || ev[0].Token != "vt.abc" || !hexID.MatchString(ev[0].ID) || ev[0].Time.IsZero() || ev[0].Time.Location().String() != "UTC" {
		t.Fatalf("events: %+v", ev)
	}
	v := verifyEvents(ev)
	if !v.OK() || len(v.Reports()) != 2 {
		t.Fatalf("two runs, two intact chains: %+v", v.Reports())
	}
	var al []audit.Alert
	if err := audit.ReadFile(alerts, func(a audit.Alert) error { al = append(al, a); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(al) != 2 || al[0].Seq != 1 || al[0].Evidence["records"] != 1200 {
		t.Fatalf("alerts: %+v", al)
	}
	if h, _ := al[1].ComputeHash(); h != al[1].Hash {
		t.Error("alert hash does not recompute")
	}
	for _, p := range []string{events, alerts} {
		if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", p, st.Mode().Perm())
		}
	}
	if _, err := os.Stat(spool); !os.IsNotExist(err) {
		t.Error("without Redis there must be no spool")
	}
}

// Without any sink the Recorder still chains and answers.
func TestNoSink(t *testing.T) {
	r := open(t, audit.Options{Instance: "x"})
	e, err := r.RecordSync(t.Context(), decision(1))
	if err != nil || e.Seq != 1 || e.Hash == "" || !r.Healthy() {
		t.Fatalf("%v %+v", err, e)
	}
	closeRec(t, r)
	if err := r.Record(decision(2)); err != audit.ErrClosed {
		t.Errorf("after Close: %v", err)
	}
}
