package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/redistest"
)

// recordTo writes n events and one alert of one instance through a
// Recorder (Redis c and/or files) and closes it.
func recordTo(t *testing.T, o audit.Options, n int) {
	t.Helper()
	o.SpoolDir = t.TempDir()
	r, err := audit.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := r.Record(audit.Event{Kind: audit.KindDecision, Principal: "u-1", Outcome: audit.OutcomeAllowed, Status: 200 + i}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Alert(audit.Alert{Kind: audit.AlertBulkExport, Severity: audit.SeverityHigh, Message: "bulk"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func verify(args ...string) (string, error) {
	var out, errb bytes.Buffer
	err := runAudit(context.Background(), append([]string{"verify"}, args...), &out, &errb)
	return out.String() + errb.String(), err
}

func TestAuditVerifyFile(t *testing.T) {
	dir := t.TempDir()
	file, alerts := filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "alerts.jsonl")
	recordTo(t, audit.Options{File: file, AlertFile: alerts, Instance: "i-1"}, 5)
	recordTo(t, audit.Options{File: file, AlertFile: alerts, Instance: "i-2"}, 3)
	out, err := verify("--file", file)
	if err != nil || !strings.Contains(out, "instance i-1: 5 records, seq 1..5: OK") || !strings.Contains(out, "instance i-2: 3 records, seq 1..3: OK") {
		t.Fatalf("%v\n%s", err, out)
	}
	if out, err := verify("--file", alerts, "--alerts"); err != nil || strings.Count(out, ": OK") != 2 {
		t.Fatalf("alerts: %v\n%s", err, out)
	}

	// Change one event's outcome: the third line is reported.
	b, _ := os.ReadFile(file)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var e audit.Event
	_ = json.Unmarshal([]byte(lines[2]), &e)
	e.Outcome = audit.OutcomeBlocked
	nb, _ := json.Marshal(e)
	lines[2] = string(nb)
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = verify("--file", bad)
	if !errors.Is(err, errFailed) || !strings.Contains(out, "instance i-1: 5 records, seq 1..2: BROKEN at seq 3 (line 3): hash does not match") ||
		!strings.Contains(out, "instance i-2: 3 records, seq 1..3: OK") {
		t.Fatalf("%v\n%s", err, out)
	}
	// A file that starts mid-chain.
	trimmed := filepath.Join(dir, "trimmed.jsonl")
	_ = os.WriteFile(trimmed, []byte(strings.Join(lines[3:5], "\n")+"\n"), 0o600)
	if out, err := verify("--file", trimmed); err != nil || !strings.Contains(out, "starts at seq 4") {
		t.Fatalf("%v\n%s", err, out)
	}

	if _, err := verify(); !errors.Is(err, errUsage) {
		t.Errorf("no source: %v", err)
	}
	if _, err := verify("--file", filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file verified")
	}
}

func TestAuditVerifyRedis(t *testing.T) {
	rs := redistest.Start(t)
	c := rs.Client(t)
	recordTo(t, audit.Options{Redis: c, Instance: "r-1"}, 4)
	cfg := filepath.Join(t.TempDir(), "veil.yaml")
	writeFile(t, cfg, `
identity:
  principals: [{id: a, token: t, roles: [admin]}]
routes:
  - {name: sf, dialect: salesforce, prefix: /services/, upstream: "https://example.my.salesforce.com"}
redis:
  addrs: [`+rs.Addr()+`]
`)
	out, err := verify("-c", cfg)
	if err != nil || !strings.Contains(out, "veil:audit: instance r-1: 4 records, seq 1..4: OK") {
		t.Fatalf("%v\n%s", err, out)
	}
	if out, err := verify("-c", cfg, "--alerts"); err != nil || !strings.Contains(out, "veil:alerts: instance r-1: 1 records, seq 1..1: OK") {
		t.Fatalf("%v\n%s", err, out)
	}
	// Delete the second entry: the third is reported with its entry id.
	msgs, _ := c.XRange(t.Context(), "veil:audit", "-", "+").Result()
	c.XDel(t.Context(), "veil:audit", msgs[1].ID)
	out, err = verify("-c", cfg)
	if !errors.Is(err, errFailed) || !strings.Contains(out, "BROKEN at seq 3 (entry "+msgs[2].ID+"): seq 3 after seq 1: 1 missing") {
		t.Fatalf("%v\n%s", err, out)
	}
}
