package audit

import (
	"sync"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type sinkRec struct {
	mu  sync.Mutex
	got []Alert
}

func (s *sinkRec) alert(a Alert) error {
	s.mu.Lock()
	s.got = append(s.got, a)
	s.mu.Unlock()
	return nil
}
func (s *sinkRec) take() []Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.got
	s.got = nil
	return out
}

func gateCounts(as []Alert, kind string) (n int, sum int64) {
	for _, a := range as {
		if a.Kind == kind {
			n++
			sum += a.Evidence["count"]
		}
	}
	return n, sum
}

// The first alert of a kind and principal at once, the repeats as one
// summary per window, the counts adding up; other principals and kinds
// are their own keys.
func TestAlertGateAggregates(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	s := &sinkRec{}
	g := newAlertGate(s.alert, time.Minute, 50, clk.now)
	defer g.Close()
	for range 300 {
		_ = g.Aggregate(Alert{Kind: "pci", Severity: SeverityHigh, Principal: "p1"})
	}
	_ = g.Aggregate(Alert{Kind: "pci", Severity: SeverityHigh, Principal: "p2"})
	_ = g.Aggregate(Alert{Kind: "other", Severity: SeverityHigh, Principal: "p1"})
	got := s.take()
	if n, sum := gateCounts(got, "pci"); n != 2 || sum != 2 {
		t.Fatalf("first alerts: %d counting %d: %+v", n, sum, got)
	}
	if n, _ := gateCounts(got, "other"); n != 1 {
		t.Fatalf("the other kind: %+v", got)
	}
	clk.add(30 * time.Second)
	_ = g.flush(false)
	if got := s.take(); len(got) != 0 {
		t.Fatalf("a summary before the window ended: %+v", got)
	}
	clk.add(31 * time.Second)
	_ = g.flush(false)
	got = s.take()
	if len(got) != 1 || got[0].Principal != "p1" || got[0].Evidence["count"] != 299 || got[0].Evidence["window_seconds"] != 60 {
		t.Fatalf("summary: %+v", got)
	}
	// A new window: the first alert again at once.
	_ = g.Aggregate(Alert{Kind: "pci", Principal: "p1"})
	if got := s.take(); len(got) != 1 || got[0].Evidence["count"] != 1 {
		t.Fatalf("the next window's first: %+v", got)
	}
}

// A kind's budget: past it, alerts of the kind are counted into one
// summary, while another kind's alerts are written at once.
func TestAlertGateBudgetPerKind(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	s := &sinkRec{}
	g := newAlertGate(s.alert, time.Minute, 10, clk.now)
	for i := range 1000 {
		_ = g.Aggregate(Alert{Kind: "flood", Principal: "p" + string(rune('a'+i%26)) + string(rune('a'+i/26))})
	}
	_ = g.Pass(Alert{Kind: "bulk_export", Severity: SeverityHigh, Principal: "q"})
	got := s.take()
	if n, _ := gateCounts(got, "flood"); n != 10 {
		t.Fatalf("%d flood alerts past a budget of 10", n)
	}
	if n, _ := gateCounts(got, "bulk_export"); n != 1 {
		t.Fatalf("the other kind was held back: %+v", got)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	all := append(got, s.take()...)
	if _, sum := gateCounts(all, "flood"); sum != 1000 {
		t.Fatalf("flood counts add up to %d, want 1000: %+v", sum, all[len(got):])
	}
	if len(all) > 12 {
		t.Fatalf("%d alerts", len(all))
	}
}
