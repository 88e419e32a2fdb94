package audit_test

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/redisclient"
	"github.com/veil-proxy/veil/proxy/redistest"
)

// BenchmarkRecorderRedis: decision events (~500 bytes of JSON) recorded
// by parallel callers and written by the pipelining writer to a real
// Redis; the clock stops when the last one is in the stream. Under
// "sync" (audit.sync) each caller waits until its event is in Redis, as
// a message does before it goes on: wait_us/event is that wait.
func BenchmarkRecorderRedis(b *testing.B) {
	b.Run("queued", func(b *testing.B) { benchRecorderRedis(b, false) })
	b.Run("sync", func(b *testing.B) { benchRecorderRedis(b, true) })
}

func benchRecorderRedis(b *testing.B, sync bool) {
	rs := redistest.Start(b)
	o := &redis.UniversalOptions{Addrs: []string{rs.Addr()}}
	redisclient.Tune(o, config.Redis{})
	c := redis.NewUniversalClient(o)
	b.Cleanup(func() { c.Close() })
	r, err := audit.Open(audit.Options{Redis: c, SpoolDir: b.TempDir(), MaxLen: 1_000_000, Sync: sync})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var waited atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			t := time.Now()
			if err := r.Record(decision(i)); err != nil {
				b.Error(err)
				return
			}
			waited.Add(int64(time.Since(t)))
			i++
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	v, err := c.Get(context.Background(), audit.MarkerKey(config.DefaultAuditStream, r.Instance())).Result()
	if seq, _, _ := strings.Cut(v, " "); err != nil || seq != strconv.Itoa(b.N) {
		b.Fatalf("marker %q (%v): want all %d events in the stream", v, err, b.N)
	}
	msgs, err := c.XRevRangeN(context.Background(), config.DefaultAuditStream, "+", "-", 1).Result()
	if err != nil || len(msgs) != 1 {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(waited.Load())/float64(b.N)/1e3, "wait_us/event")
	b.ReportMetric(float64(len(msgs[0].Values[audit.FieldEvent].(string))), "json_bytes/event")
}

// BenchmarkRecord is what a message pays on its own goroutine for its
// decision event (id, time, encoding, the chain's splice and hash, the
// queue), without a sink: the writer's side is not in it.
func BenchmarkRecord(b *testing.B) {
	r, err := audit.Open(audit.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close(context.Background())
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := r.Record(decision(i)); err != nil {
			b.Fatal(err)
		}
	}
}
