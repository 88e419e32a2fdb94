package inventory

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/veil-proxy/veil/proxy/redistest"
)

// Two replicas sharing a real Redis: the merged report adds their
// counts, unions their directions and keeps the earliest first seen and
// the latest last seen; flushing again adds nothing; counts observed
// while Redis is down are flushed once it is back.
func TestSharedAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	rs := redistest.Start(t)
	a := New(0, nil).WithRedis(rs.Client(t), "")
	b := New(0, nil).WithRedis(rs.Client(t), "")
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	nowA := clock(a, t0)
	clock(b, t0.Add(time.Hour))

	a.Observe("sf", "response", "Contact", "Email", "email", 2)
	*nowA = t0.Add(3 * time.Hour)
	a.Observe("sf", "response", "Contact", "Email", "email", 1)
	b.Observe("sf", "request", "Contact", "Email", "email", 4)
	b.Observe("hs", "response", "contacts", "properties.email", "email", 1)
	for _, inv := range []*Inventory{a, b, a, b} { // twice: the second flush adds nothing
		if err := inv.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}

	check := func(r Report, emailCount int64) {
		t.Helper()
		if r.Source != SourceRedis || len(r.Entries) != 2 {
			t.Fatalf("report %+v", r)
		}
		hs, sf := r.Entries[0], r.Entries[1]
		if hs.Route != "hs" || hs.Count != 1 || strings.Join(hs.Directions, ",") != "response" {
			t.Errorf("hs %+v", hs)
		}
		if sf.Count != emailCount || strings.Join(sf.Directions, ",") != "request,response" ||
			!sf.FirstSeen.Equal(t0) || !sf.LastSeen.Equal(t0.Add(3*time.Hour)) {
			t.Errorf("sf %+v", sf)
		}
	}
	r, err := a.SharedSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check(r, 7)

	// Redis away: the flush fails, the counts stay pending.
	rs.Stop()
	a.Observe("sf", "response", "Contact", "Email", "email", 5)
	if err := a.Flush(ctx); err == nil {
		t.Fatal("flush with redis down: no error")
	}
	// The handler falls back to the local map and says so.
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", Path, nil))
	var local Report
	if err := json.Unmarshal(rec.Body.Bytes(), &local); err != nil || local.Source != SourceLocal || local.Note == "" || local.Entries[0].Count != 8 {
		t.Errorf("fallback: %+v %v", local, err)
	}
	rs.Restart()
	var ferr error
	for range 50 { // the client may need a moment to reconnect
		if ferr = a.Flush(ctx); ferr == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if ferr != nil {
		t.Fatal(ferr)
	}
	if r, err = b.SharedSnapshot(ctx); err != nil {
		t.Fatal(err)
	}
	// redistest runs without persistence: the restart emptied Redis, and
	// what comes back is only the pending 5.
	if len(r.Entries) != 1 || r.Entries[0].Count != 5 {
		t.Errorf("after restart %+v", r.Entries)
	}
}

func TestSharedTruncatedAndRun(t *testing.T) {
	rs := redistest.Start(t)
	inv := New(1, nil).WithRedis(rs.Client(t), "{test:inv}")
	inv.Observe("sf", "response", "Contact", "Email", "email", 1)
	inv.Observe("sf", "response", "Contact", "Phone", "phone", 1) // refused
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { inv.Run(ctx, time.Hour, func(err error) { t.Error(err) }); close(done) }()
	cancel() // Run flushes once more on the way out
	<-done
	other := New(0, nil).WithRedis(rs.Client(t), "{test:inv}")
	r, err := other.SharedSnapshot(context.Background())
	if err != nil || len(r.Entries) != 1 || r.Truncated != 1 {
		t.Errorf("%+v %v", r, err)
	}
	rec := httptest.NewRecorder()
	other.Handler().ServeHTTP(rec, httptest.NewRequest("GET", Path+"?format=table", nil))
	if !strings.Contains(rec.Body.String(), "Email") || !strings.Contains(rec.Body.String(), "truncated: 1") {
		t.Errorf("table %s", rec.Body.String())
	}
}
