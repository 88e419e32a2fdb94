package watch

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/redistest"
)

// benchMessages is Stats then Observe for one message, as the pipeline
// does, over 1000 principals and 250 IPs.
func benchMessages(b *testing.B, c redis.UniversalClient, parallelism int) {
	principals := make([]string, 1000)
	ips := make([]string, 250)
	for i := range principals {
		principals[i] = "user-" + strconv.Itoa(i) + "@example.com"
	}
	for i := range ips {
		ips[i] = "10.0.0." + strconv.Itoa(i)
	}
	w := New(config.Watch{}, c, nil, testCounters(), nil)
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
		b.Fatal("Redis failed during the benchmark")
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
