package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/veil-proxy/veil/proxy/audit"
)

// decision is a realistic decision event (~600 bytes of JSON once chained,
// half of it id, time, instance, seq and the two hashes).
func decision(i int) audit.Event {
	return audit.Event{
		Kind: audit.KindDecision, DecisionID: fmt.Sprintf("d-%08d", i), PolicyRevision: "rev-2026-11-28",
		Principal: "u-42", Roles: []string{"sales_rep"}, Purpose: "support",
		IP: "10.1.2.3", Route: "salesforce", Direction: "response", Method: "GET",
		Path: "/services/data/v62.0/query", Operation: "query", Object: "Contact",
		RecordIDs:  []string{"003000000000001AAA"},
		Categories: map[string]int{"email": 1, "phone": 1},
		Actions:    map[string]int{"mask": 2},
		Outcome:    audit.OutcomeTransformed, Status: 200,
	}
}

func newCounters() audit.Counters {
	cv := func(l ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c"}, l)
	}
	return audit.Counters{
		Queued: cv("stream"), Spooled: cv("stream"), Written: cv("stream", "sink"),
		Dropped: cv("stream", "reason"), WriteErrors: cv("stream", "sink"),
		QueueLength: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "g"}, []string{"stream"}),
		SpoolBytes:  prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "g"}, []string{"stream"}),
		WriteTime:   prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "h"}, []string{"stream", "sink"}),
		Alerts:      cv("kind", "severity"),
	}
}

func open(t testing.TB, o audit.Options) *audit.Recorder {
	t.Helper()
	if o.FlushInterval == 0 {
		o.FlushInterval = 5 * time.Millisecond
	}
	r, err := audit.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

func closeRec(t testing.TB, r *audit.Recorder) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// streamEvents reads the whole event stream.
func streamEvents(t testing.TB, c redis.UniversalClient, stream string) []audit.Event {
	t.Helper()
	var out []audit.Event
	err := audit.ReadStream(context.Background(), c, stream, audit.FieldEvent, time.Time{}, time.Time{}, func(_ string, e audit.Event) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func verifyEvents(events []audit.Event) *audit.Verifier {
	v := &audit.Verifier{}
	for i, e := range events {
		v.Add(audit.LinkOf(e, fmt.Sprintf("line %d", i+1)))
	}
	return v
}

// checkExactlyOnce fails unless each instance's events are seq 1..n, once
// each, in order, and returns the count per instance.
func checkExactlyOnce(t testing.TB, events []audit.Event) map[string]uint64 {
	t.Helper()
	last := map[string]uint64{}
	for _, e := range events {
		if e.Seq != last[e.Instance]+1 {
			t.Fatalf("instance %s: seq %d after %d (duplicate, gap or disorder)", e.Instance, e.Seq, last[e.Instance])
		}
		last[e.Instance] = e.Seq
	}
	return last
}

func mustJSON(t testing.TB, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
