package watch

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/redistest"
)

func TestDetectorsRedis(t *testing.T) {
	rs := redistest.Start(t)
	for _, tc := range detectorCases {
		t.Run(tc.name, func(t *testing.T) {
			c := rs.Client(t)
			if err := c.FlushAll(context.Background()).Err(); err != nil {
				t.Fatal(err)
			}
			runDetector(t, newFixture(t, c), tc)
		})
	}
}

func TestRedisKeysCarryNoIdentifier(t *testing.T) {
	rs := redistest.Start(t)
	c := rs.Client(t)
	f := newFixture(t, c)
	ctx := context.Background()
	for range 5 {
		f.w.Observe(ctx, fail)
	}
	f.w.Observe(ctx, records(100))
	f.settle()
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys %v: %v", keys, err)
	}
	for _, k := range keys {
		if len(k) > 80 || containsAny(k, "u-42", "10.1.2.3") || k[:len(DefaultPrefix)] != DefaultPrefix {
			t.Errorf("key %q", k)
		}
		ttl, err := c.PTTL(ctx, k).Result()
		if err != nil || ttl <= 0 || ttl > time.Hour+3*time.Minute {
			t.Errorf("key %q ttl %v %v", k, ttl, err)
		}
	}
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		for i := 0; i+len(x) <= len(s); i++ {
			if s[i:i+len(x)] == x {
				return true
			}
		}
	}
	return false
}

// Two replicas on one Redis share the bulk-export window and raise one
// alert between them.
func TestReplicasShareWindows(t *testing.T) {
	rs := redistest.Start(t)
	clk := newClock()
	al := &alerts{}
	var ws [3]*Watch
	for i := range ws {
		ws[i] = New(testConfig(), rs.Client(t), al.add, Counters{}, nil, WithClock(clk.now))
		t.Cleanup(func() { ws[i].Close() })
	}
	ctx := context.Background()
	settle := func() {
		for _, w := range ws {
			w.rs.flushed()
		}
	}
	for i := range 9 { // 90 records, 30 through each replica
		ws[i%3].Observe(ctx, records(10))
	}
	settle()
	for i, w := range ws {
		if got := w.Stats(ctx, "u-42", "")[StatPrincipalPIIRecords]; got != 90 {
			t.Fatalf("replica %d sees %d records, want the global 90", i, got)
		}
	}
	if n := len(al.list()); n != 0 {
		t.Fatalf("%d alerts below the global threshold", n)
	}
	// each replica pushes the global count over: one alert between them
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Go(func() { w.Observe(ctx, records(10)) })
	}
	wg.Wait()
	settle()
	got := al.list()
	if len(got) != 1 || got[0].Kind != audit.AlertBulkExport || got[0].Evidence[StatPrincipalPIIRecords] < 100 {
		t.Fatalf("alerts: %+v", got)
	}
	for _, w := range ws { // and not again in the same window
		w.Observe(ctx, records(10))
	}
	settle()
	if n := len(al.list()); n != 1 {
		t.Fatalf("%d alerts", n)
	}
	clk.add(2 * time.Hour) // the window expired
	if got := ws[0].Stats(ctx, "u-42", "")[StatPrincipalPIIRecords]; got != 0 {
		t.Fatalf("after the window: %d", got)
	}
}

// Real-time expiry of the shared windows: short windows, no fake clock.
func TestRedisWindowExpires(t *testing.T) {
	rs := redistest.Start(t)
	c := rs.Client(t)
	cfg := testConfig()
	cfg.BulkExport.Window = 300 * time.Millisecond
	w := New(cfg, c, nil, Counters{}, nil)
	defer w.Close()
	ctx := context.Background()
	w.Observe(ctx, records(7))
	w.rs.flushed()
	if got := w.Stats(ctx, "u-42", "")[StatPrincipalPIIRecords]; got != 7 {
		t.Fatalf("in the window: %d", got)
	}
	time.Sleep(400 * time.Millisecond)
	if got := w.Stats(ctx, "u-42", "")[StatPrincipalPIIRecords]; got != 0 {
		t.Fatalf("after the window: %d", got)
	}
	deadline := time.Now().Add(2 * time.Second) // keys expire: window + one bucket
	for {
		n, err := c.DBSize(ctx).Result()
		if err == nil && n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d keys left after the window (%v)", n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fast asserts that f returns within 50 ms.
func fast(t *testing.T, what string, f func()) {
	t.Helper()
	start := time.Now()
	f()
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("%s took %v with Redis down", what, d)
	}
}

func TestRedisDown(t *testing.T) {
	rs := redistest.Start(t)
	f := newFixture(t, rs.Client(t), WithBackoff(50*time.Millisecond, 100*time.Millisecond))
	ctx := context.Background()
	f.w.Observe(ctx, records(40))
	f.settle()
	rs.Stop()
	for range 3 {
		fast(t, "Observe", func() { f.w.Observe(ctx, fail) })
	}
	for range 10 {
		fast(t, "Stats", func() { f.w.Stats(ctx, "u-42", "10.1.2.3") })
	}
	for range 2 {
		fast(t, "Observe", func() { f.w.Observe(ctx, fail) })
	}
	f.settle()
	s := f.w.Stats(ctx, "u-42", "10.1.2.3")
	if s[StatPrincipalPIIRecords] != 40 || s[StatIPAuthFailures] != 5 {
		t.Fatalf("local counts while Redis is down: %v", s)
	}
	if got := f.al.list(); len(got) != 1 || got[0].Kind != audit.AlertBruteForce {
		t.Fatalf("local alert while Redis is down: %+v", got)
	}
	errs := testutil.ToFloat64(f.m.StoreErrors.WithLabelValues(opStats)) + testutil.ToFloat64(f.m.StoreErrors.WithLabelValues(opObserve))
	if errs < 1 {
		t.Fatal("store errors not counted")
	}
	if !f.w.rs.b.isOpen() {
		t.Fatal("breaker closed while Redis is down")
	}

	rs.Restart()
	deadline := time.Now().Add(3 * time.Second)
	for f.w.rs.b.isOpen() {
		if time.Now().After(deadline) {
			t.Fatal("breaker still open after Redis came back")
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.w.Observe(ctx, records(5))
	f.settle()
	other := New(testConfig(), rs.Client(t), nil, Counters{}, nil, WithClock(f.clk.now))
	defer other.Close()
	if got := other.Stats(ctx, "u-42", "")[StatPrincipalPIIRecords]; got != 5 {
		t.Fatalf("shared count after Redis came back (empty): %d, want 5", got)
	}
}

// hungRedis accepts connections and never answers.
func hungRedis(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

func TestRedisHung(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: hungRedis(t), DialTimeout: 500 * time.Millisecond,
		ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond, PoolTimeout: time.Second,
		MaxRetries: 1, DialerRetries: 1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	f := newFixture(t, c, WithQueue(2))
	ctx := context.Background()
	start := time.Now()
	f.w.Stats(ctx, "u-42", "10.1.2.3") // the first call pays the stats timeout once
	if d := time.Since(start); d > DefaultStatsTimeout+100*time.Millisecond {
		t.Fatalf("first Stats on a hung Redis took %v", d)
	}
	for range 20 {
		fast(t, "Observe", func() { f.w.Observe(ctx, fail) })
		fast(t, "Stats", func() { f.w.Stats(ctx, "u-42", "10.1.2.3") })
	}
	if s := f.w.Stats(ctx, "u-42", "10.1.2.3"); s[StatPrincipalAuthFailures] != 20 {
		t.Fatalf("local counts: %v", s)
	}
	if n := len(f.al.list()); n != 1 {
		t.Fatalf("%d alerts", n)
	}
	if testutil.ToFloat64(f.m.StoreErrors.WithLabelValues(opStats)) != 1 {
		t.Fatal("the one failed Stats call not counted once")
	}
}

// A hung writer fills the queue: further observations are counted
// locally, dropped for Redis, and counted as queue_full.
func TestQueueFull(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: hungRedis(t), DialTimeout: 500 * time.Millisecond,
		ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond, PoolTimeout: time.Second,
		MaxRetries: 0, DialerRetries: 1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	f := newFixture(t, c, WithQueue(2))
	ctx := context.Background()
	for range 10 {
		fast(t, "Observe", func() { f.w.Observe(ctx, records(1)) })
	}
	if n := testutil.ToFloat64(f.m.StoreErrors.WithLabelValues(opQueue)); n < 1 {
		t.Fatalf("queue_full: %v", n)
	}
	if got := f.w.Stats(ctx, "u-42", "")[StatPrincipalPIIRecords]; got != 10 {
		t.Fatalf("local count: %d", got)
	}
}

// A caller that gives up is not a Redis failure: the breaker stays closed.
func TestStatsCanceledByCaller(t *testing.T) {
	rs := redistest.Start(t)
	f := newFixture(t, rs.Client(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if s := f.w.Stats(ctx, "u-42", "10.1.2.3"); len(s) != 5 {
		t.Fatalf("stats: %v", s)
	}
	if f.w.rs.b.isOpen() || testutil.ToFloat64(f.m.StoreErrors.WithLabelValues(opStats)) != 0 {
		t.Fatal("a canceled caller opened the breaker")
	}
}

// The alert election expires with the window: a subject still over the
// threshold in the next window raises a new alert.
func TestRedisAlertAgainAfterWindow(t *testing.T) {
	rs := redistest.Start(t)
	cfg := testConfig()
	cfg.BruteForce.Window = 300 * time.Millisecond
	al := &alerts{}
	w := New(cfg, rs.Client(t), al.add, Counters{}, nil)
	defer w.Close()
	ctx := context.Background()
	for range 6 {
		w.Observe(ctx, fail)
	}
	w.rs.flushed()
	if n := len(al.list()); n != 1 {
		t.Fatalf("%d alerts in the first window", n)
	}
	time.Sleep(350 * time.Millisecond)
	for range 5 {
		w.Observe(ctx, fail)
	}
	w.rs.flushed()
	if got := al.list(); len(got) != 2 || got[1].Evidence[StatIPAuthFailures] != 5 {
		t.Fatalf("alerts after the window: %+v", got)
	}
}

// One read of the shared windows serves a subject's Stats for statsFresh:
// another replica's counts show up that much later, this replica's own at
// once; WithStatsFresh(0) reads Redis every time.
func TestStatsFresh(t *testing.T) {
	rs := redistest.Start(t)
	clk := newClock()
	ctx := context.Background()
	a := New(testConfig(), rs.Client(t), nil, Counters{}, nil, WithClock(clk.now))
	b := New(testConfig(), rs.Client(t), nil, Counters{}, nil, WithClock(clk.now), WithStatsFresh(time.Second))
	eager := New(testConfig(), rs.Client(t), nil, Counters{}, nil, WithClock(clk.now), WithStatsFresh(0))
	for _, w := range []*Watch{a, b, eager} {
		t.Cleanup(func() { w.Close() })
	}
	pii := func(w *Watch) int64 { return w.Stats(ctx, "u-42", "")[StatPrincipalPIIRecords] }

	a.Observe(ctx, records(10))
	a.rs.flushed()
	if got := pii(b); got != 10 {
		t.Fatalf("b reads %d, want 10", got)
	}
	a.Observe(ctx, records(5))
	a.rs.flushed()
	if got := pii(b); got != 10 {
		t.Errorf("within a second b reads %d, want the 10 it read", got)
	}
	if got := pii(eager); got != 15 {
		t.Errorf("without the cache: %d, want 15", got)
	}
	b.Observe(ctx, records(100)) // b's own counts are current at once
	if got := pii(b); got != 100 {
		t.Errorf("b after its own 100: %d", got)
	}
	b.rs.flushed()
	clk.add(1100 * time.Millisecond)
	if got := pii(b); got != 115 {
		t.Errorf("after a second b reads %d, want 115", got)
	}
}

// TestStoreLingers: the Redis writer waits for the observations behind the
// first, so a busy proxy adds a principal's counts once for many messages;
// flushed (the sync the tests and Close use) does not wait for it. The
// linger here is an hour, so that what is written shows what ended it.
func TestStoreLingers(t *testing.T) {
	rs := redistest.Start(t)
	c := rs.Client(t)
	w := New(testConfig(), c, nil, Counters{}, nil, WithLinger(time.Hour))
	defer w.Close()
	ctx := context.Background()
	for range 3 {
		w.Observe(ctx, records(10))
	}
	// Long enough for a writer that does not linger to write them; never
	// long enough to fail one that does.
	time.Sleep(200 * time.Millisecond)
	if keys, _ := c.Keys(ctx, DefaultPrefix+"*").Result(); len(keys) != 0 {
		t.Fatalf("%d keys in Redis while the batch lingers, want none", len(keys))
	}
	synced := make(chan struct{})
	go func() { w.rs.flushed(); close(synced) }()
	select {
	case <-synced:
	case <-time.After(30 * time.Second):
		t.Fatal("flushed waited for the linger")
	}
	if keys, _ := c.Keys(ctx, DefaultPrefix+"*").Result(); len(keys) == 0 {
		t.Fatal("no key in Redis after flushed")
	}
	// A replica that saw none of it reads the three observations' counts.
	other := New(testConfig(), c, nil, Counters{}, nil)
	defer other.Close()
	if got := other.Stats(ctx, "u-42", "")[StatPrincipalPIIRecords]; got != 30 {
		t.Fatalf("after flushed: %d records in the shared window, want 30", got)
	}
	// Close writes what lingers.
	w.Observe(ctx, records(10))
	closed := make(chan struct{})
	go func() { w.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("Close waited for the linger")
	}
	third := New(testConfig(), c, nil, Counters{}, nil)
	defer third.Close()
	if got := third.Stats(ctx, "u-42", "")[StatPrincipalPIIRecords]; got != 40 {
		t.Fatalf("after Close: %d records in the shared window, want 40", got)
	}
}
