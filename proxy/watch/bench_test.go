package watch

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/redistest"
)

// benchMessages is Stats then Observe for one message, as the pipeline
// does, over 1000 principals and 250 IPs. It prices the Redis path, not
// the timeout: at DefaultStatsTimeout one round trip stalled past 50 ms
// on a machine shared with redis-server opens the breaker, as it should
// in a proxy, and the rest of the run measures the memory path under the
// Redis name (a make bench failed so, once), so the timeout is raised out
// of reach; a failed call still fails the benchmark, naming its kind.
func benchMessages(b *testing.B, c redis.UniversalClient, parallelism int) {
	principals := make([]string, 1000)
	ips := make([]string, 250)
	for i := range principals {
		principals[i] = "user-" + strconv.Itoa(i) + "@example.com"
	}
	for i := range ips {
		ips[i] = "10.0.0." + strconv.Itoa(i)
	}
	m := testCounters()
	w := New(config.Watch{}, c, nil, m, nil, WithStatsTimeout(time.Minute))
	defer w.Close()
	ctx := context.Background()
	cats := map[string]int{"email": 20, "us_ssn": 1}
	var n atomic.Int64
	b.SetParallelism(parallelism)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			p, ip := principals[i%len(principals)], ips[i%len(ips)]
			_ = w.Stats(ctx, p, ip)
			w.Observe(ctx, Observation{Principal: p, IP: ip, Route: "salesforce", Direction: "response",
				Status: 200, PIIRecords: 20, Categories: cats})
		}
	})
	b.StopTimer()
	if w.rs != nil && w.rs.b.isOpen() {
		b.Fatalf("Redis failed during the benchmark (failed calls: stats %v, observe %v)",
			testutil.ToFloat64(m.StoreErrors.WithLabelValues(opStats)),
			testutil.ToFloat64(m.StoreErrors.WithLabelValues(opObserve)))
	}
}

// The suffix is the number of goroutines per core sending messages.
func BenchmarkMessageMemory1(b *testing.B) { benchMessages(b, nil, 1) }
func BenchmarkMessageRedis1(b *testing.B)  { benchMessages(b, redistest.Start(b).Client(b), 1) }
func BenchmarkMessageRedis16(b *testing.B) { benchMessages(b, redistest.Start(b).Client(b), 16) }

// BenchmarkStatsRedis is the request path's one round trip alone.
func BenchmarkStatsRedis(b *testing.B) {
	w := New(config.Watch{}, redistest.Start(b).Client(b), nil, Counters{}, nil)
	defer w.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = w.Stats(ctx, "user-"+strconv.Itoa(i%1000), "10.0.0.1")
	}
}

// BenchmarkExchangeMemory is one exchange as the pipeline sees it: the
// request's Stats and Observe, then the response's, for one principal
// and address (an integration's steady traffic).
func BenchmarkExchangeMemory(b *testing.B) {
	w := New(config.Watch{}, nil, nil, testCounters(), nil)
	defer w.Close()
	ctx := context.Background()
	cats := map[string]int{"email": 1, "person_name": 2}
	b.ReportAllocs()
	for b.Loop() {
		_ = w.Stats(ctx, "analyst", "10.1.2.3")
		w.Observe(ctx, Observation{Principal: "analyst", IP: "10.1.2.3", Route: "salesforce", Direction: "request"})
		_ = w.Stats(ctx, "analyst", "10.1.2.3")
		w.Observe(ctx, Observation{Principal: "analyst", IP: "10.1.2.3", Route: "salesforce", Direction: "response",
			Status: 200, PIIRecords: 1, Categories: cats})
	}
}
