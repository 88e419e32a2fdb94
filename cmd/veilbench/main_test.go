package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	for s, want := range map[string]int64{
		"1024": 1024, "1KB": 1 << 10, "10kb": 10 << 10, "100 KiB": 100 << 10, "1MB": 1 << 20,
		"64MiB": 64 << 20, "1GiB": 1 << 30, "2G": 2 << 30, "512B": 512,
	} {
		if got, err := parseSize(s); err != nil || got != want {
			t.Errorf("%q = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "KB", "1.5MB", "1TB", "-1KB", "0", "1 K B"} {
		if got, err := parseSize(s); err == nil {
			t.Errorf("%q = %d, want an error", s, got)
		}
	}
}

func TestSizeLabel(t *testing.T) {
	for n, want := range map[int64]string{1 << 10: "1 KB", 10 << 10: "10 KB", 1 << 20: "1 MB", 1 << 30: "1 GB", 1500: "1500 B", 3 << 19: "1536 KB"} {
		if got := sizeLabel(n); got != want {
			t.Errorf("%d = %q, want %q", n, got, want)
		}
	}
}

// -quick shortens what was not given, and what was given wins.
func TestParseOptionsQuick(t *testing.T) {
	o, err := parseOptions([]string{"-quick", "-duration", "3s"})
	if err != nil {
		t.Fatal(err)
	}
	if o.duration != 3*time.Second || o.warmup != 300*time.Millisecond || o.openDuration != 2*time.Second || o.streamBytes != 64<<20 {
		t.Errorf("quick: %+v", o)
	}
	o, err = parseOptions(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.duration != 5*time.Second || o.streamBytes != 1<<30 || len(o.sizes) != 4 || o.sizes[3] != 1<<20 || !o.phases[phaseStream] || o.conns != 16 || o.rounds != 1 {
		t.Errorf("defaults: %+v", o)
	}
	for _, bad := range [][]string{
		{"-phases", "open"}, {"-phases", "saturation,warp"}, {"-load", "1.5"}, {"-rate", "-1"}, {"-conns", "0"}, {"-rounds", "0"}, {"-sizes", "1KB,x"}, {"extra"},
	} {
		if _, err := parseOptions(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

// The open loop runs at -rate where Veil's saturation leaves room for it,
// at -load of that saturation elsewhere.
func TestOpenRate(t *testing.T) {
	for _, c := range []struct{ rate, load, veil, want float64 }{
		{1000, 0.5, 4300, 1000}, // 10 KB: the fixed rate
		{1000, 0.5, 1250, 1000}, // exactly 0.8 of it
		{1000, 0.5, 1249, 624.5},
		{1000, 0.5, 160, 80}, // 1 MB: half of Veil's saturation
		{0, 0.5, 4300, 2150},
	} {
		if got := openRate(options{rate: c.rate, loadFraction: c.load}, c.veil); got != c.want {
			t.Errorf("rate %v, load %v, Veil at %v/s: %v, want %v", c.rate, c.load, c.veil, got, c.want)
		}
	}
}

// With -rounds the ratios are per round (bare and Veil of the same round),
// reported as their median and range, and the open loop's rate comes from
// Veil's median run.
func TestRoundsRatios(t *testing.T) {
	run := func(target string, round int, rps float64, proxyUS int) measured {
		return measured{Size: "10 KB", Target: target, Round: round, Result: loadResult{
			Requests: int64(rps), Seconds: 1, CPU: map[string]time.Duration{"proxy": time.Duration(rps) * time.Duration(proxyUS) * time.Microsecond}}}
	}
	runs := []measured{
		run("bare", 1, 10000, 100), run("veil", 1, 4000, 350),
		run("bare", 2, 8000, 120), run("veil", 2, 4000, 330), // a slow bare round: 0.50×
		run("bare", 3, 10000, 100), run("veil", 3, 3000, 400),
	}
	if got, want := spread([]float64{4000.0 / 10000, 4000.0 / 8000, 3000.0 / 10000}), "0.40× (0.30–0.50×)"; got != want {
		t.Errorf("spread = %q, want %q", got, want)
	}
	if got := spread([]float64{0.5}); got != "0.50×" {
		t.Errorf("one round: %q", got)
	}
	if got := spread(nil); got != "-" {
		t.Errorf("no ratio: %q", got)
	}
	if got := median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("median = %v", got)
	}
	if m := medianRun(runs, "10 KB", "veil"); m == nil || m.Round != 1 && m.Round != 2 || m.Result.rps() != 4000 {
		t.Errorf("median Veil run = %+v", m)
	}
	var out strings.Builder
	printSaturation(&out, runs)
	for _, want := range []string{"veil #3", "0.40× (0.30–0.50×)", "3.50× (2.75–4.00×)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	}
}
