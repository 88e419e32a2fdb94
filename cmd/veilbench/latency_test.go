package main

import (
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	// 1..1000 ms: the p-th percentile of n values is the ceil(p·n/100)-th.
	s := make([]time.Duration, 1000)
	for i := range s {
		s[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{
		{50, 500 * time.Millisecond},
		{99, 990 * time.Millisecond},
		{99.9, 999 * time.Millisecond}, // 99.9 × 1000 / 100 is exactly 999
		{100, 1000 * time.Millisecond},
		{0.05, 1 * time.Millisecond},
	} {
		if got := percentile(s, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
}

func TestPercentileFewSamples(t *testing.T) {
	s := []time.Duration{10, 20, 30}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 20}, {66, 20}, {67, 30}, {99, 30}, {99.9, 30}} {
		if got := percentile(s, c.p); got != c.want {
			t.Errorf("p%v of %v = %v, want %v", c.p, s, got, c.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %v", got)
	}
}

func TestSummarizeMergedWorkers(t *testing.T) {
	// Two workers' samples, unsorted: 1..100 µs in all.
	var a, b samples
	for i := 100; i >= 1; i-- {
		if i%2 == 0 {
			a = append(a, time.Duration(i)*time.Microsecond)
		} else {
			b = append(b, time.Duration(i)*time.Microsecond)
		}
	}
	s := summarize(merge([]samples{a, b}))
	want := summary{N: 100, P50: 50 * time.Microsecond, P99: 99 * time.Microsecond, P999: 100 * time.Microsecond,
		Max: 100 * time.Microsecond, Mean: 50500 * time.Nanosecond}
	if s != want {
		t.Fatalf("got %+v\nwant %+v", s, want)
	}
	if (summarize(nil) != summary{}) {
		t.Fatal("no samples must summarize to zeros")
	}
}
