package audit_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/redistest"
)

func erasure(token string) audit.Event {
	e := audit.NewEvent(audit.KindVaultErasure)
	e.Actor, e.Token, e.Erased = "cli", token, 1
	return e
}

func TestFileSinkAppendsJSONLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	for range 2 { // reopening appends
		s, err := audit.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Write(context.Background(), erasure("vt.abc")); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %s", len(lines), b)
	}
	var e audit.Event
	if err := json.Unmarshal([]byte(lines[1]), &e); err != nil || e.Kind != audit.KindVaultErasure || e.Token != "vt.abc" || len(e.ID) != 32 || e.Time.IsZero() {
		t.Errorf("%v %+v", err, e)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
}

func TestStreamSinkAddsToARedisStream(t *testing.T) {
	rs := redistest.Start(t)
	c := rs.Client(t)
	s := audit.NewStream(c, "veil:audit")
	e := erasure("vt.def")
	if err := s.Write(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.XRange(context.Background(), "veil:audit", "-", "+").Result()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("%v %v", err, msgs)
	}
	var got audit.Event
	if err := json.Unmarshal([]byte(msgs[0].Values["event"].(string)), &got); err != nil || got.ID != e.ID || got.Token != "vt.def" {
		t.Errorf("%v %+v", err, got)
	}
	rs.Stop()
	if err := s.Write(context.Background(), erasure("vt.ghi")); err == nil {
		t.Error("a write to a stopped Redis succeeded")
	}
	// Multi reports a failing sink and still writes the others.
	path := filepath.Join(t.TempDir(), "a.jsonl")
	f, err := audit.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := audit.Multi{f, s}
	if err := m.Write(context.Background(), erasure("vt.jkl")); err == nil {
		t.Error("Multi hid the stream's failure")
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "vt.jkl") {
		t.Error("Multi skipped the file after the stream failed")
	}
	_ = m.Close()
}
