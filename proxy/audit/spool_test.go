package audit_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/redisclient"
	"github.com/veil-proxy/veil/proxy/redistest"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// While Redis is down, events spool (0600 in a 0700 directory); the
// spool is bounded; under drop, drops are counted and alerted once.
func TestSpoolFullDrop(t *testing.T) {
	rs := redistest.Start(t)
	c := rs.Client(t)
	dir := filepath.Join(t.TempDir(), "spool")
	cnt := newCounters()
	r := open(t, audit.Options{Redis: rs.Client(t), SpoolDir: dir, SpoolMaxBytes: 8 << 10, Queue: 8, Batch: 4, Instance: "d", Counters: cnt})
	rs.Stop()
	for i := range 200 {
		if err := r.Record(decision(i)); err != nil {
			t.Fatalf("drop policy: Record returned %v", err)
		}
	}
	if !r.Healthy() {
		t.Error("drop policy: unhealthy (would refuse traffic)")
	}
	dropped := testutil.ToFloat64(cnt.Dropped.WithLabelValues("audit", "spool_full"))
	if dropped == 0 {
		t.Fatal("no drop counted with a full spool")
	}
	if _, err := r.RecordSync(t.Context(), decision(999)); !errors.Is(err, audit.ErrFull) {
		t.Errorf("RecordSync with a full spool: %v", err)
	}
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("spool dir: %v %v", err, st)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.spool"))
	for _, f := range files {
		if st, _ := os.Stat(f); st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v", f, st.Mode().Perm())
		}
	}
	rs.Restart()
	closeRec(t, r)
	ev := streamEvents(t, c, "veil:audit")
	if n := checkExactlyOnce(t, ev); float64(n["d"])+dropped < 200 || len(ev) == 0 {
		t.Fatalf("kept %v + dropped %v < 200", n, dropped)
	}
	if v := verifyEvents(ev); !v.OK() {
		t.Errorf("an event refused for lack of room must not break the chain: %+v", v.Reports())
	}
	var alerts []audit.Alert
	_ = audit.ReadStream(context.Background(), c, "veil:alerts", audit.FieldAlert, time.Time{}, time.Time{}, func(_ string, a audit.Alert) error {
		alerts = append(alerts, a)
		return nil
	})
	if n := testutil.ToFloat64(cnt.Alerts.WithLabelValues(audit.AlertEventsDropped, audit.SeverityCritical)); n != 1 {
		t.Errorf("events_dropped alerts counted: %v", n)
	}
	if len(alerts) != 1 || alerts[0].Kind != audit.AlertEventsDropped || alerts[0].Evidence["spool_max_bytes"] != 8<<10 {
		t.Fatalf("want one events_dropped alert: %+v", alerts)
	}
}

// Under block, a full spool refuses events and reads unhealthy, until
// Redis is back and the spool drains.
func TestSpoolFullBlock(t *testing.T) {
	rs := redistest.Start(t)
	c := rs.Client(t)
	r := open(t, audit.Options{Redis: rs.Client(t), SpoolDir: t.TempDir(), SpoolMaxBytes: 4 << 10, Queue: 8, Batch: 4,
		Instance: "b", OnFull: config.OnFullBlock})
	rs.Stop()
	accepted := 0
	var err error
	for range 200 {
		if err = r.Record(decision(accepted)); err != nil {
			break
		}
		accepted++
	}
	if !errors.Is(err, audit.ErrFull) || r.Healthy() {
		t.Fatalf("full spool under block: %v, healthy %v", err, r.Healthy())
	}
	rs.Restart()
	waitFor(t, "the spool to drain", r.Healthy)
	if err := r.Record(decision(accepted)); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	accepted++
	closeRec(t, r)
	ev := streamEvents(t, c, "veil:audit")
	if n := checkExactlyOnce(t, ev); n["b"] != uint64(accepted) {
		t.Fatalf("%v, accepted %d", n, accepted)
	}
}

// A spool left by a previous run (Redis down at its Close) is replayed
// by the next start, before its new events.
func TestRestartReplaysLeftoverSpool(t *testing.T) {
	rs := redistest.Start(t)
	c := rs.Client(t)
	dir := t.TempDir()
	rs.Stop()
	first := open(t, audit.Options{Redis: rs.Client(t), SpoolDir: dir, Instance: "run-1"})
	for i := range 50 {
		if err := first.Record(decision(i)); err != nil {
			t.Fatal(err)
		}
	}
	closeRec(t, first)
	files, _ := filepath.Glob(filepath.Join(dir, "audit-*.spool"))
	if st, err := os.Stat(files[0]); len(files) != 1 || err != nil || st.Size() == 0 {
		t.Fatalf("no spool left: %v %v", files, err)
	}
	rs.Restart()
	second := open(t, audit.Options{Redis: rs.Client(t), SpoolDir: dir, Instance: "run-2"})
	for i := range 10 {
		if err := second.Record(decision(i)); err != nil {
			t.Fatal(err)
		}
	}
	closeRec(t, second)
	ev := streamEvents(t, c, "veil:audit")
	if n := checkExactlyOnce(t, ev); n["run-1"] != 50 || n["run-2"] != 10 || len(ev) != 60 {
		t.Fatalf("%v", n)
	}
	if ev[49].Instance != "run-1" || ev[50].Instance != "run-2" {
		t.Error("the leftover spool was not replayed before the new events")
	}
	if st, _ := os.Stat(files[0]); st.Size() != 0 {
		t.Errorf("spool not emptied: %d bytes", st.Size())
	}
}

// A crash mid-append leaves a truncated frame: it is cut and the good
// frames replayed; a corrupt frame sets the rest aside.
func TestSpoolDamageAtOpen(t *testing.T) {
	rs := redistest.Start(t)
	c := rs.Client(t)
	dir := t.TempDir()
	rs.Stop()
	r := open(t, audit.Options{Redis: rs.Client(t), SpoolDir: dir, Instance: "crash"})
	for i := range 5 {
		_ = r.Record(decision(i))
	}
	closeRec(t, r)
	files, _ := filepath.Glob(filepath.Join(dir, "audit-*.spool"))
	b, _ := os.ReadFile(files[0])
	// A truncated sixth frame, then run again.
	if err := os.WriteFile(files[0], append(b, 0, 0, 1, 0, 9, 9), 0o600); err != nil {
		t.Fatal(err)
	}
	rs.Restart()
	closeRec(t, open(t, audit.Options{Redis: rs.Client(t), SpoolDir: dir, Instance: "next"}))
	if n := checkExactlyOnce(t, streamEvents(t, c, "veil:audit")); n["crash"] != 5 {
		t.Fatalf("%v", n)
	}
	// A corrupt checksum in the middle.
	rs.Stop()
	r = open(t, audit.Options{Redis: rs.Client(t), SpoolDir: dir, Instance: "rot"})
	for i := range 3 {
		_ = r.Record(decision(i))
	}
	closeRec(t, r)
	b, _ = os.ReadFile(files[0])
	b[len(b)-10] ^= 0xff // inside the last frame's payload
	_ = os.WriteFile(files[0], b, 0o600)
	rs.Restart()
	closeRec(t, open(t, audit.Options{Redis: rs.Client(t), SpoolDir: dir, Instance: "next2"}))
	n := checkExactlyOnce(t, streamEvents(t, c, "veil:audit"))
	if n["rot"] != 2 {
		t.Fatalf("want the 2 good frames replayed: %v", n)
	}
	aside, _ := filepath.Glob(files[0] + ".corrupt-*")
	if len(aside) != 1 {
		t.Fatalf("corrupt remainder not set aside: %v", aside)
	}
}

// A hung Redis (accepts, never answers) costs Record nothing; Close
// spools what it could not write, within its deadline.
func TestRecordNeverBlocksOnHungRedis(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // held open, never answered
		}
	}()
	o, _ := redisOptions(ln.Addr().String())
	c := redis.NewUniversalClient(o)
	defer c.Close()
	dir := t.TempDir()
	r := open(t, audit.Options{Redis: c, SpoolDir: dir, Queue: 1024, Batch: 64, Instance: "h"})
	var worst time.Duration
	start := time.Now()
	for i := range 20000 {
		t0 := time.Now()
		if err := r.Record(decision(i)); err != nil {
			t.Fatal(err)
		}
		worst = max(worst, time.Since(t0))
	}
	total := time.Since(start)
	if worst > 400*time.Millisecond || total > 5*time.Second { // a blocking Record would wait ≥ 500 ms (the read timeout) per write
		t.Errorf("Record waited on a hung Redis: worst %v, total %v for 20000", worst, total)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	t0 := time.Now()
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 4*time.Second {
		t.Errorf("Close took %v", d)
	}
	// Everything is in the spool, framed and in order.
	files, _ := filepath.Glob(filepath.Join(dir, "audit-*.spool"))
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	if _, err := audit.ReadSpool(f, 0, func(p []byte, _ int64) error {
		n++
		if !strings.Contains(string(p), `"instance":"h"`) {
			t.Fatalf("frame %d: %s", n, p)
		}
		return nil
	}); err != nil || n != 20000 {
		t.Fatalf("%d frames in the spool, %v", n, err)
	}
}

// redisOptions is the client Veil builds (proxy/redisclient's tuning).
func redisOptions(addr string) (*redis.UniversalOptions, error) {
	o := &redis.UniversalOptions{Addrs: []string{addr}}
	redisclient.Tune(o, config.Redis{})
	return o, nil
}

// Two writers never share a spool file: the second locks the next one,
// and both spools replay.
func TestSpoolIsLocked(t *testing.T) {
	rs := redistest.Start(t)
	c := rs.Client(t)
	dir := t.TempDir()
	rs.Stop()
	a := open(t, audit.Options{Redis: rs.Client(t), SpoolDir: dir, Instance: "a"})
	b := open(t, audit.Options{Redis: rs.Client(t), SpoolDir: dir, Instance: "b"})
	for i := range 10 {
		_ = a.Record(decision(i))
		_ = b.Record(decision(i))
	}
	closeRec(t, a)
	closeRec(t, b)
	files, _ := filepath.Glob(filepath.Join(dir, "audit-*.spool"))
	if len(files) != 2 {
		t.Fatalf("spool files %v", files)
	}
	rs.Restart()
	// Two new writers adopt both leftovers.
	closeRec(t, open(t, audit.Options{Redis: rs.Client(t), SpoolDir: dir}))
	closeRec(t, open(t, audit.Options{Redis: rs.Client(t), SpoolDir: dir}))
	n := checkExactlyOnce(t, streamEvents(t, c, "veil:audit"))
	if n["a"] != 10 || n["b"] != 10 {
		t.Fatalf("%v", n)
	}
}

// Canary: the writer's log lines (Redis down, spool full, drops) never
// carry what an event holds.
func TestLogsHoldNoValues(t *testing.T) {
	const canary = "4111111111111111"
	core, logs := observer.New(zapcore.DebugLevel)
	rs := redistest.Start(t)
	r := open(t, audit.Options{Redis: rs.Client(t), SpoolDir: t.TempDir(), SpoolMaxBytes: 4 << 10, Queue: 4, Batch: 2, Log: zap.New(core)})
	rs.Stop()
	for i := range 50 {
		e := decision(i)
		e.Path = "/services/data/v62.0/sobjects/Contact/" + canary
		_ = r.Record(e)
	}
	_ = r.Alert(audit.Alert{Kind: "pci_card_in_free_text", Severity: audit.SeverityLow, Message: canary})
	closeRec(t, r)
	if logs.Len() == 0 {
		t.Fatal("nothing logged: the failure paths did not run")
	}
	for _, l := range logs.All() {
		line := l.Message + mustJSON(t, l.ContextMap())
		if strings.Contains(line, canary) {
			t.Errorf("a log line holds the value: %s", line)
		}
	}
}
