package main

import (
	"math"
	"slices"
	"time"
)

// Latencies are kept exactly: every measured exchange's duration, 8 bytes
// each. A run of a few seconds holds at most a few hundred thousand
// (a few MB), so no histogram's rounding is needed; percentiles are taken
// by nearest rank over the sorted samples.

// samples collects one worker's latencies; workers merge theirs at the end,
// so recording takes no lock.
type samples []time.Duration

// summary is the distribution of a run's latencies.
type summary struct {
	N    int           `json:"n"`
	P50  time.Duration `json:"p50_ns"`
	P99  time.Duration `json:"p99_ns"`
	P999 time.Duration `json:"p999_ns"`
	Max  time.Duration `json:"max_ns"`
	Mean time.Duration `json:"mean_ns"`
}

// summarize sorts all (in place) and returns its distribution.
func summarize(all []time.Duration) summary {
	if len(all) == 0 {
		return summary{}
	}
	slices.Sort(all)
	var sum time.Duration
	for _, d := range all {
		sum += d
	}
	return summary{
		N:    len(all),
		P50:  percentile(all, 50),
		P99:  percentile(all, 99),
		P999: percentile(all, 99.9),
		Max:  all[len(all)-1],
		Mean: sum / time.Duration(len(all)),
	}
}

// percentile returns the p-th percentile (0 < p ≤ 100) of sorted by
// nearest rank: the smallest sample with at least p % of the samples at
// or below it. With n samples, percentiles above 100·(n-1)/n are the
// maximum.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// A small tolerance keeps p·n that is an integer in exact arithmetic
	// (99.9 × 1000) from rounding up to the next rank in floating point.
	rank := int(math.Ceil(p/100*float64(n) - 1e-9))
	return sorted[min(max(rank, 1), n)-1]
}

// merge concatenates the workers' samples.
func merge(parts []samples) []time.Duration {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	all := make([]time.Duration, 0, n)
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}
