package audit

import (
	"encoding/json"
	"testing"
	"time"
)

// readHead's fast path agrees with encoding/json on what the writer
// stores, events and alerts, and falls back on anything else.
func TestReadHead(t *testing.T) {
	e := Event{ID: "abc", Time: time.Unix(1, 0).UTC(), Kind: `we"ird\kind "instance":"x"`, Instance: "host-1a2b3c", Seq: 42, PrevHash: "p"}
	b, _ := json.Marshal(e)
	e.Hash = chainHash(e.PrevHash, b)
	a := Alert{ID: "x", Kind: "brute_force", Severity: "high", Instance: "h", Seq: 7, Message: "m"}
	ab, _ := json.Marshal(a)
	a.Hash = chainHash("", ab)
	for _, tc := range []struct {
		data []byte
		want spoolHead
	}{
		{withHash(b, e.Hash), spoolHead{"host-1a2b3c", 42, e.Hash}},
		{withHash(ab, a.Hash), spoolHead{"h", 7, a.Hash}},
		{[]byte(`{"seq":3,"instance":"z","hash":"q"}`), spoolHead{"z", 3, "q"}},
	} {
		got, err := readHead(tc.data)
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v %v", tc.data, got, err)
		}
	}
	if _, err := readHead([]byte(`{"seq":`)); err == nil {
		t.Error("a broken record read")
	}
}

// The splice under the lock is exactly encoding/json's output of the
// whole record, so that verification (which marshals) recomputes it.
func TestSpliceIsMarshal(t *testing.T) {
	events := []Event{
		{ID: "a", Kind: "decision", Instance: "host-1", Principal: `x","instance":"host-1`, Categories: map[string]int{"b": 1, "a": 2}},
		{ID: `<&>"instance":"host-1"`, Kind: "vault_erasure", Instance: "host-1", Token: "vt.1", Erased: 1, Time: time.Now().UTC()},
		{ID: "c", Kind: "k", Instance: "host-1", Host: "h"},
	}
	tok := instanceToken("host-1")
	for _, e := range events {
		body, _ := json.Marshal(e)
		sp := splicer(body, tok, nil)
		if sp == nil {
			t.Fatalf("no splice for %s", body)
		}
		for _, prev := range []string{"", "0123abcd"} {
			e.Seq, e.PrevHash = 7, prev
			got, h := sp(7, prev)
			want, _ := json.Marshal(e)
			wh := chainHash(prev, want)
			if h != wh || string(got) != string(withHash(want, wh)) {
				t.Fatalf("splice\n%s\nmarshal\n%s", got, withHash(want, wh))
			}
			e.Seq, e.PrevHash = 0, ""
		}
	}
	a := Alert{ID: "z", Kind: "bulk_export", Severity: "high", Instance: "host-1", Message: "m", Evidence: map[string]int64{"n": 1}}
	body, _ := json.Marshal(a)
	got, h := splicer(body, tok, nil)(3, "pp")
	a.Seq, a.PrevHash = 3, "pp"
	want, _ := json.Marshal(a)
	if h != chainHash("pp", want) || string(got) != string(withHash(want, h)) {
		t.Fatalf("alert splice\n%s\n%s", got, want)
	}
}

// FuzzReadHead: whatever the instance and fields hold, the fast path
// reads what encoding/json reads from a stored record, and never panics
// on arbitrary bytes.
func FuzzReadHead(f *testing.F) {
	f.Add("host-1a2b3c", uint64(1), "u-42", []byte(`{"seq":1}`))
	f.Add(`a"b\c`, uint64(99), `"instance":"x"`, []byte(`{"instance":"a","seq":`))
	f.Fuzz(func(t *testing.T, inst string, seq uint64, principal string, junk []byte) {
		_, _ = readHead(junk)
		if seq == 0 {
			return
		}
		e := Event{ID: "i", Kind: "decision", Instance: inst, Principal: principal}
		body, err := json.Marshal(e)
		if err != nil {
			return
		}
		sp := splicer(body, instanceToken(inst), nil)
		if sp == nil {
			if inst != "" {
				t.Fatalf("no splice for %q", inst)
			}
			return
		}
		data, h := sp(seq, "p")
		got, err := readHead(data)
		var want spoolHead
		if jerr := json.Unmarshal(data, &want); jerr != nil || err != nil || got != want || got.Hash != h || got.Seq != seq {
			t.Fatalf("%s: fast %+v %v, json %+v %v", data, got, err, want, jerr)
		}
	})
}
