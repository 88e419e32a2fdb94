// Command veilbench measures, in one run on one machine, what Veil costs
// against the CRM answered directly and against a bare
// httputil.ReverseProxy with Veil's own transport settings: saturation
// throughput, latency percentiles and CPU per request for Salesforce query
// results of 1 KB to 1 MB (and the same records in REST XML at 1 KB to
// 100 KB, with the CPU Veil spends on XML against JSON), the latency Veil adds at half its saturation
// rate (open loop, no coordinated omission), and downloads of about a
// gigabyte through Veil, a Bulk API 2.0 result in CSV and a Bulk API 1.0
// one in XML (records checked, peak RSS, MB/s).
//
// Every server is its own process, so that each one's CPU is read apart
// from /proc: the bench CRM (`veilbench crm`), the bare proxy
// (`veilbench bare`), the real `veil serve` binary with the full pipeline
// (detection, one policy decision, transforms, audit events to a real
// redis-server it starts) and redis-server. Everything listens on
// 127.0.0.1 and every child is stopped on exit, on error and on Ctrl-C.
//
// Usage (from the repository's root, after `go build -o bin/veil ./cmd/veil`):
//
//	go run ./cmd/veilbench [-quick] [-json FILE] [-phases saturation,open,stream] ...
//
// `make bench` runs it; docs/performance.md holds a run's results.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run dispatches the subcommands (the child servers) and the driver, and
// returns the exit status: 0, 1 on a failed run, 2 on bad usage.
func run(args []string) int {
	if len(args) > 0 {
		var err error
		switch args[0] {
		case "crm":
			err = runCRM(args[1:])
		case "bare":
			err = runBare(args[1:])
		default:
			return runDriver(args)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "veilbench %s: %v\n", args[0], err)
			return 1
		}
		return 0
	}
	return runDriver(args)
}

// runDriver runs the benchmark and prints its report.
func runDriver(args []string) int {
	o, err := parseOptions(args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "veilbench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := drive(ctx, o, os.Stdout)
	if rep != nil && o.jsonPath != "" {
		if werr := writeJSON(o.jsonPath, rep); werr != nil {
			fmt.Fprintln(os.Stderr, "veilbench:", werr)
			if err == nil {
				return 1
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "veilbench: FAILED:", err)
		return 1
	}
	return 0
}

// phase names.
const (
	phaseSaturation = "saturation"
	phaseOpen       = "open"
	phaseStream     = "stream"
)

// options are the driver's flags.
type options struct {
	veilBin      string
	rules        string
	sizes        []int
	xmlSizes     []int // the same pages in REST XML, named by the JSON page's size
	conns        int
	rounds       int // saturation runs of each target per size, interleaved
	warmup       time.Duration
	duration     time.Duration
	openDuration time.Duration
	openConns    int
	loadFraction float64
	rate         float64 // open loop, pages/s; 0: loadFraction of Veil's saturation
	phases       map[string]bool

	streamBytes   int64
	streamFormats map[string]bool // csv, xml
	streamTimeout time.Duration
	streamWrite   time.Duration
	requireStream bool

	quietWait time.Duration // longest wait for a quiet machine before each run

	jsonPath   string
	keep       bool
	profileDir string // CPU profiles of Veil's saturation runs, or ""
}

// parseOptions reads the driver's flags; -quick shortens what was not
// set explicitly.
func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("veilbench", flag.ContinueOnError)
	fs.StringVar(&o.veilBin, "veil", "bin/veil", "the veil binary to run (go build -o bin/veil ./cmd/veil)")
	fs.StringVar(&o.rules, "rules", "rules", "the policy bundle to copy (its bulk-export limits are raised in the copy)")
	sizes := fs.String("sizes", "1KB,10KB,100KB,1MB", "query result sizes (binary units: 1KB = 1024 bytes)")
	xmlSizes := fs.String("xml-sizes", "1KB,10KB,100KB", "also measure the query results of these sizes in REST XML (Accept: application/xml): "+
		"the same records as the JSON page of that size, about 1.3 times the bytes, measured in the same rounds; \"none\" for none")
	fs.IntVar(&o.conns, "conns", 16, "concurrent connections of the closed loop")
	fs.IntVar(&o.rounds, "rounds", 1, "saturation: measure each size's targets this many times, interleaved (direct, bare, Veil, direct, …); "+
		"the ratios are taken per round and their median reported, with their range")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "warm-up before each measured interval (not measured)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured interval of each saturation run")
	fs.DurationVar(&o.openDuration, "open-duration", 5*time.Second, "measured interval of each open-loop run")
	fs.IntVar(&o.openConns, "open-conns", 64, "most connections in flight in the open loop")
	fs.Float64Var(&o.rate, "rate", 1000, "open-loop rate in pages per second, the same for both proxies and every size whose Veil saturation "+
		"throughput is at least rate/0.8 (the others run at -load of it); 0: -load for every size")
	fs.Float64Var(&o.loadFraction, "load", 0.5, "open-loop rate as a fraction of Veil's saturation throughput for a size -rate does not fit")
	phases := fs.String("phases", "saturation,open,stream", "phases to run: saturation, open (needs saturation), stream")
	streamSize := fs.String("stream-bytes", "1GiB", "size of each result of the stream phase")
	formats := fs.String("stream-formats", "csv,xml", "results the stream phase downloads: csv (a Bulk API 2.0 query result), xml (a Bulk API 1.0 one)")
	fs.DurationVar(&o.streamTimeout, "stream-timeout", 4*time.Minute, "longest a download of the stream phase may take")
	fs.DurationVar(&o.streamWrite, "stream-write-timeout", 15*time.Minute, "timeouts.write of the Veil serving the stream phase (Veil's default, 2m, would cut a slow download)")
	fs.BoolVar(&o.requireStream, "require-stream", false, "fail the run (exit 1) when the download through Veil does not succeed")
	fs.DurationVar(&o.quietWait, "quiet-wait", 0, "on a shared machine: before each measured run, wait up to this long for other programs to use under 0.15 cores, "+
		"and measure again (twice at most) a run they disturbed (over 0.3 cores); 0: neither")
	fs.StringVar(&o.jsonPath, "json", "", "also write the raw numbers to this file")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (configs, logs) after the run")
	fs.StringVar(&o.profileDir, "profile", "", "write a CPU profile of Veil over each of its saturation runs (warm-up included) to DIR/veil-<size>.pprof "+
		"(turns on admin.pprof; read with go tool pprof bin/veil FILE); the profiler's own cost is in that run's numbers")
	quick := fs.Bool("quick", false, "short run: 0.3s warm-up, 2s intervals, a 64 MiB stream (flags given explicitly win)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: veilbench [flags]\n\n"+
			"Measures the bench CRM directly, a bare httputil.ReverseProxy and `veil serve` (full pipeline, audit to a\n"+
			"redis-server it starts) on this machine; run from the repository's root. `veilbench crm` and\n"+
			"`veilbench bare` are the servers it starts as child processes.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *quick {
		if !set["warmup"] {
			o.warmup = 300 * time.Millisecond
		}
		if !set["duration"] {
			o.duration = 2 * time.Second
		}
		if !set["open-duration"] {
			o.openDuration = 2 * time.Second
		}
		if !set["stream-bytes"] {
			*streamSize = "64MiB"
		}
	}
	var err error
	for f := range strings.SplitSeq(*sizes, ",") {
		n, perr := parseSize(f)
		if perr != nil {
			return o, fmt.Errorf("-sizes: %w", perr)
		}
		o.sizes = append(o.sizes, int(n))
	}
	if x := strings.TrimSpace(*xmlSizes); x != "" && x != "none" {
		for f := range strings.SplitSeq(x, ",") {
			n, perr := parseSize(f)
			if perr != nil {
				return o, fmt.Errorf("-xml-sizes: %w", perr)
			}
			o.xmlSizes = append(o.xmlSizes, int(n))
		}
	}
	if o.streamBytes, err = parseSize(*streamSize); err != nil {
		return o, fmt.Errorf("-stream-bytes: %w", err)
	}
	o.streamFormats = map[string]bool{}
	for f := range strings.SplitSeq(*formats, ",") {
		switch f = strings.TrimSpace(f); f {
		case csvStream.name, xmlStream.name:
			o.streamFormats[f] = true
		default:
			return o, fmt.Errorf("-stream-formats: unknown format %q", f)
		}
	}
	o.phases = map[string]bool{}
	for p := range strings.SplitSeq(*phases, ",") {
		switch p = strings.TrimSpace(p); p {
		case phaseSaturation, phaseOpen, phaseStream:
			o.phases[p] = true
		default:
			return o, fmt.Errorf("-phases: unknown phase %q", p)
		}
	}
	switch {
	case o.phases[phaseOpen] && !o.phases[phaseSaturation]:
		return o, errors.New("-phases: open needs saturation (its rate is a fraction of Veil's saturation throughput)")
	case o.conns < 1 || o.openConns < 1 || o.rounds < 1:
		return o, errors.New("-conns, -open-conns and -rounds must be at least 1")
	case o.duration <= 0 || o.openDuration <= 0 || o.warmup < 0:
		return o, errors.New("-duration and -open-duration must be positive, -warmup not negative")
	case o.loadFraction <= 0 || o.loadFraction > 1:
		return o, errors.New("-load must be in (0, 1]")
	case o.rate < 0:
		return o, errors.New("-rate must not be negative")
	}
	return o, nil
}

// parseSize reads a byte count: a number with an optional binary unit (K,
// KB, KiB = 1024; M, MB, MiB; G, GB, GiB).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	num := strings.TrimRightFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.ToUpper(strings.TrimSpace(s[len(num):]))
	mult := map[string]int64{"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10,
		"M": 1 << 20, "MB": 1 << 20, "MIB": 1 << 20, "G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30}[unit]
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || mult == 0 || n <= 0 {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	return n * mult, nil
}

// sizeLabel names a size in binary units: "10 KB", "1 MB", "1 GB".
func sizeLabel(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
