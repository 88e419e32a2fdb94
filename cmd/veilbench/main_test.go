package main

import (
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
	if o.duration != 5*time.Second || o.streamBytes != 1<<30 || len(o.sizes) != 4 || o.sizes[3] != 1<<20 || !o.phases[phaseStream] || o.conns != 16 {
		t.Errorf("defaults: %+v", o)
	}
	for _, bad := range [][]string{
		{"-phases", "open"}, {"-phases", "saturation,warp"}, {"-load", "1.5"}, {"-conns", "0"}, {"-sizes", "1KB,x"}, {"extra"},
	} {
		if _, err := parseOptions(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}
