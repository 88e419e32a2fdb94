package ingress

import (
	"context"
	"testing"
	"time"
)

// A pace picks among the login times it holds, the last 64 of them, and
// DefaultLoginPace before it holds any.
func TestLoginPacePicksRecordedTimes(t *testing.T) {
	var p LoginPace
	if d := p.pick(); d != DefaultLoginPace {
		t.Fatalf("empty pace picked %s, want %s", d, DefaultLoginPace)
	}
	p.Observe(0) // not a time: ignored
	p.Observe(-time.Second)
	if d := p.pick(); d != DefaultLoginPace {
		t.Fatalf("a pace of no real time picked %s", d)
	}
	for i := range 100 {
		p.Observe(time.Duration(i+1) * time.Millisecond)
	}
	seen := map[time.Duration]bool{}
	for range 5000 {
		d := p.pick()
		if d < 37*time.Millisecond || d > 100*time.Millisecond {
			t.Fatalf("picked %s: not among the last 64 times (37–100 ms)", d)
		}
		seen[d] = true
	}
	if len(seen) < 32 {
		t.Errorf("5,000 picks gave %d distinct times of 64: not picked at random", len(seen))
	}
}

// Wait counts from the exchange's start and ends early with the client.
func TestLoginPaceWaits(t *testing.T) {
	var p LoginPace
	p.Observe(80 * time.Millisecond)
	start := time.Now()
	p.Wait(context.Background(), start)
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Errorf("waited %s from the start, want at least the CRM's 80 ms", d)
	}
	// Time already spent counts: 3 s spent, a CRM of 2 s, no wait.
	var spent LoginPace
	spent.Observe(2 * time.Second)
	t0 := time.Now()
	spent.Wait(context.Background(), t0.Add(-3*time.Second))
	if d := time.Since(t0); d > time.Second {
		t.Errorf("waited %s more after 3 s already spent", d)
	}
	// A client gone ends the wait.
	p.Observe(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 10 {
		p.Wait(ctx, time.Now()) // would hang for an hour on a pick of it
	}
}
