package audit_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/redistest"
)

func TestRedisStreams(t *testing.T) {
	rs := redistest.Start(t)
	c := rs.Client(t)
	ctx := t.Context()
	cnt := newCounters()
	r := open(t, audit.Options{Redis: c, SpoolDir: t.TempDir(), Instance: "i-1", Counters: cnt})
	for i := range 300 {
		if err := r.Record(decision(i)); err != nil {
			t.Fatal(err)
		}
	}
	e, err := r.RecordSync(ctx, audit.Event{Kind: audit.KindVaultErasure, Token: "vt.x", Erased: 1})
	if err != nil || e.Seq != 301 {
		t.Fatalf("%v %+v", err, e)
	}
	// Durable means in Redis when RecordSync returns.
	if n, _ := c.XLen(ctx, "veil:audit").Result(); n != 301 {
		t.Fatalf("XLEN %d after RecordSync, want 301", n)
	}
	if err := r.Alert(audit.Alert{Kind: audit.AlertBruteForce, Severity: audit.SeverityHigh, Message: "brute force"}); err != nil {
		t.Fatal(err)
	}
	closeRec(t, r)

	ev := streamEvents(t, c, "veil:audit")
	if n := checkExactlyOnce(t, ev); n["i-1"] != 301 {
		t.Fatalf("%v", n)
	}
	if v := verifyEvents(ev); !v.OK() {
		t.Fatalf("%+v", v.Reports())
	}
	// One field per entry: consumer groups read it as any stream.
	msgs, err := c.XRange(ctx, "veil:alerts", "-", "+").Result()
	if err != nil || len(msgs) != 1 || len(msgs[0].Values) != 1 {
		t.Fatalf("alerts: %v %v", err, msgs)
	}
	var a audit.Alert
	if err := json.Unmarshal([]byte(msgs[0].Values[audit.FieldAlert].(string)), &a); err != nil || a.Seq != 1 || a.Kind != audit.AlertBruteForce {
		t.Fatalf("%v %+v", err, a)
	}
	// The marker shares the stream's slot and expires.
	key := audit.MarkerKey("veil:audit", "i-1")
	if key != "{veil:audit}:writer:i-1" || audit.MarkerKey("{v}:audit", "i") != "{v}:audit:writer:i" {
		t.Errorf("marker key %s", key)
	}
	if v, _ := c.Get(ctx, key).Result(); !strings.HasPrefix(v, "301 ") {
		t.Errorf("marker %q", v)
	}
	if ttl, _ := c.TTL(ctx, key).Result(); ttl < 6*24*time.Hour {
		t.Errorf("marker TTL %v", ttl)
	}
	if got := testutil.ToFloat64(cnt.Written.WithLabelValues("audit", "redis")); got != 301 {
		t.Errorf("written %v", got)
	}
	if got := testutil.ToFloat64(cnt.Queued.WithLabelValues("alerts")); got != 1 {
		t.Errorf("alerts queued %v", got)
	}
}

// The acceptance test: two instances write concurrently to one stream;
// Redis goes down mid-load (the process exits; its data survives in its
// RDB as a real deployment's would) and comes back on the same port.
// Every event arrives exactly once, in order, per instance.
func TestExactlyOnceAcrossRedisRestart(t *testing.T) {
	rs := redistest.Start(t)
	c := rs.Client(t)
	const perInstance = 4000
	cnt := newCounters()
	recs := []*audit.Recorder{
		open(t, audit.Options{Redis: rs.Client(t), SpoolDir: t.TempDir(), Instance: "a", Batch: 64, Counters: cnt}),
		open(t, audit.Options{Redis: rs.Client(t), SpoolDir: t.TempDir(), Instance: "b", Batch: 64}),
	}
	var wg sync.WaitGroup
	for _, r := range recs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perInstance {
				if err := r.Record(decision(i)); err != nil {
					t.Error(err)
					return
				}
				if i%20 == 0 {
					time.Sleep(time.Millisecond) // ~200 ms of load
				}
			}
		}()
	}
	time.Sleep(60 * time.Millisecond)
	// Down: SHUTDOWN SAVE keeps what Redis acknowledged (a restart of
	// redistest is otherwise empty); in-flight transactions are cut.
	_ = c.ShutdownSave(context.Background()).Err()
	rs.Stop()
	time.Sleep(150 * time.Millisecond)
	rs.Restart()
	wg.Wait()
	for _, r := range recs {
		closeRec(t, r)
	}
	ev := streamEvents(t, c, "veil:audit")
	n := checkExactlyOnce(t, ev)
	if n["a"] != perInstance || n["b"] != perInstance || len(ev) != 2*perInstance {
		t.Fatalf("per instance %v, %d entries; want %d each", n, len(ev), perInstance)
	}
	if v := verifyEvents(ev); !v.OK() {
		t.Fatalf("%+v", v.Reports())
	}
	if testutil.ToFloat64(cnt.Spooled.WithLabelValues("audit")) == 0 || testutil.ToFloat64(cnt.WriteErrors.WithLabelValues("audit", "redis")) == 0 {
		t.Error("Redis went down, yet nothing was spooled or failed: the test did not test")
	}
}

// A transaction that times out on the client but runs on the server (a
// hung Redis that wakes up) is not written twice: the marker says so.
func TestUncertainWriteIsNotRepeated(t *testing.T) {
	rs := redistest.Start(t)
	admin := rs.Client(t)
	c := redis.NewClient(&redis.Options{Addr: rs.Addr(), ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond,
		DialTimeout: 200 * time.Millisecond, MaxRetries: -1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	cnt := newCounters()
	r := open(t, audit.Options{Redis: c, SpoolDir: t.TempDir(), Instance: "u", FlushInterval: 1500 * time.Millisecond, Counters: cnt})
	if _, err := r.RecordSync(t.Context(), decision(0)); err != nil { // marker read, Redis answers
		t.Fatal(err)
	}
	// Hang Redis for 1 s with a busy script.
	hung := make(chan struct{})
	go func() {
		defer close(hung)
		long := redis.NewClient(&redis.Options{Addr: rs.Addr(), ReadTimeout: 5 * time.Second})
		defer long.Close()
		_ = long.Eval(context.Background(), `local s = redis.call('TIME'); local t0 = s[1]*1000000 + s[2]
			while true do local n = redis.call('TIME'); if n[1]*1000000 + n[2] - t0 > 1000000 then break end end
			return 1`, nil).Err()
	}()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	for i := 1; i <= 5; i++ {
		if err := r.Record(decision(i)); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 150*time.Millisecond { // the client's timeout is 200 ms
		t.Errorf("Record took %v while Redis hung", d)
	}
	<-hung
	// The timed-out transaction ran once Redis woke up, before the
	// writer's retry (FlushInterval 1.5 s).
	time.Sleep(100 * time.Millisecond)
	if n, _ := admin.XLen(t.Context(), "veil:audit").Result(); n < 2 {
		t.Logf("the timed-out transaction did not run (XLEN %d): only the retry writes", n)
	}
	closeRec(t, r)
	ev := streamEvents(t, admin, "veil:audit")
	if got := checkExactlyOnce(t, ev); got["u"] != 6 || len(ev) != 6 {
		t.Fatalf("%v, %d entries", got, len(ev))
	}
	if testutil.ToFloat64(cnt.WriteErrors.WithLabelValues("audit", "redis")) == 0 {
		t.Error("no failed write: Redis did not hang")
	}
}

// A writer behind its callers (tiny queue) spills to the spool rather
// than dropping, and order holds.
func TestFullQueueSpillsInOrder(t *testing.T) {
	rs := redistest.Start(t)
	c := rs.Client(t)
	cnt := newCounters()
	r := open(t, audit.Options{Redis: c, SpoolDir: t.TempDir(), Instance: "q", Queue: 16, Batch: 8, Counters: cnt})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				if err := r.Record(decision(i)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	closeRec(t, r)
	ev := streamEvents(t, c, "veil:audit")
	if n := checkExactlyOnce(t, ev); n["q"] != 8000 {
		t.Fatalf("%v", n)
	}
	if testutil.ToFloat64(cnt.Spooled.WithLabelValues("audit")) == 0 {
		t.Error("the queue never filled: the test did not test")
	}
	if d := testutil.ToFloat64(cnt.Dropped.WithLabelValues("audit", "queue_full")) + testutil.ToFloat64(cnt.Dropped.WithLabelValues("audit", "spool_full")); d != 0 {
		t.Errorf("%v dropped", d)
	}
}

// Under Options.Sync (audit.sync) Record and Alert return only once the
// event is durable: in Redis, or, while Redis is away, fsynced in the
// spool. Concurrent callers share a write (group commit).
func TestSyncRecordIsDurableOnReturn(t *testing.T) {
	rs := redistest.Start(t)
	c := rs.Client(t)
	ctx := t.Context()
	cnt := newCounters()
	r := open(t, audit.Options{Redis: rs.Client(t), SpoolDir: t.TempDir(), Instance: "s", Sync: true, Counters: cnt})
	var (
		returned atomic.Int64
		wg       sync.WaitGroup
	)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				if err := r.Record(decision(g*1000 + i)); err != nil {
					t.Error(err)
					return
				}
				n := returned.Add(1)
				if l, err := c.XLen(ctx, "veil:audit").Result(); err != nil || l < n {
					t.Errorf("XLEN %d (%v) after %d Records returned", l, err, n)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := r.Alert(audit.Alert{Kind: audit.AlertBruteForce, Severity: audit.SeverityHigh, Message: "x"}); err != nil {
		t.Fatal(err)
	}
	if l, _ := c.XLen(ctx, "veil:alerts").Result(); l != 1 {
		t.Fatalf("alerts XLEN %d when Alert returned, want 1", l)
	}

	// Redis away: Record still returns, once the event is in the spool.
	_ = c.ShutdownSave(ctx).Err()
	rs.Stop()
	done := make(chan error, 1)
	go func() { done <- r.Record(decision(9999)) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Record under Sync did not return while Redis was away")
	}
	if got := testutil.ToFloat64(cnt.Spooled.WithLabelValues("audit")); got != 1 {
		t.Fatalf("spooled %v when Record returned with Redis away, want 1", got)
	}
	rs.Restart()
	closeRec(t, r)
	ev := streamEvents(t, c, "veil:audit")
	if n := checkExactlyOnce(t, ev); n["s"] != 401 {
		t.Fatalf("per instance %v, want 401", n)
	}
}

// The stream is capped at MaxLen, as XADD MAXLEN ~ trims it: whole
// macro nodes (stream-node-max-entries, 100 by default) at a time, so
// it keeps at least MaxLen entries and at most a node more; the newest
// stay.
func TestRedisStreamMaxLen(t *testing.T) {
	rs := redistest.Start(t)
	c := rs.Client(t)
	ctx := t.Context()
	r := open(t, audit.Options{Redis: c, SpoolDir: t.TempDir(), Instance: "i-1", MaxLen: 200})
	for i := range 1000 {
		if err := r.Record(decision(i)); err != nil {
			t.Fatal(err)
		}
	}
	closeRec(t, r)
	n, err := c.XLen(ctx, "veil:audit").Result()
	if err != nil || n < 200 || n > 300 {
		t.Fatalf("XLEN %d (%v): want 200 to 300 of the 1000 events", n, err)
	}
	last, err := c.XRevRangeN(ctx, "veil:audit", "+", "-", 1).Result()
	if err != nil || len(last) != 1 {
		t.Fatalf("%v %v", err, last)
	}
	var e audit.Event
	if err := json.Unmarshal([]byte(last[0].Values[audit.FieldEvent].(string)), &e); err != nil || e.Seq != 1000 {
		t.Fatalf("newest entry: %v seq %d, want 1000", err, e.Seq)
	}
}

// TestWriterLingers: a short batch waits for the events behind it, so a
// busy proxy writes many per transaction; a RecordSync caller does not
// wait for it (its batch, and the events queued before it, go at once),
// and Close writes what lingers. The linger here is an hour, so that
// what is written shows what ended it.
func TestWriterLingers(t *testing.T) {
	rs := redistest.Start(t)
	c := rs.Client(t)
	ctx := t.Context()
	r := open(t, audit.Options{Redis: c, SpoolDir: t.TempDir(), Instance: "i-1", Linger: time.Hour})
	for i := range 3 {
		if err := r.Record(decision(i)); err != nil {
			t.Fatal(err)
		}
	}
	// Long enough for a writer that does not linger to write them (it
	// takes a round trip to a local Redis); never long enough to fail a
	// writer that does.
	time.Sleep(200 * time.Millisecond)
	if n, _ := c.XLen(ctx, "veil:audit").Result(); n != 0 {
		t.Fatalf("XLEN %d while a short batch lingers, want 0", n)
	}
	synced := make(chan error, 1)
	go func() {
		_, err := r.RecordSync(ctx, audit.Event{Kind: audit.KindVaultErasure, Token: "vt.x", Erased: 1})
		synced <- err
	}()
	select {
	case err := <-synced:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("RecordSync waited for the linger")
	}
	if n, _ := c.XLen(ctx, "veil:audit").Result(); n != 4 {
		t.Fatalf("XLEN %d after RecordSync, want 4", n)
	}
	for i := range 2 {
		if err := r.Record(decision(10 + i)); err != nil {
			t.Fatal(err)
		}
	}
	closeRec(t, r)
	if n := checkExactlyOnce(t, streamEvents(t, c, "veil:audit")); n["i-1"] != 6 {
		t.Fatalf("after Close: %v, want 6 events of i-1", n)
	}
}
