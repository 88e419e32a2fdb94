package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// report is everything a run measured; -json writes it as is.
type report struct {
	Date       string         `json:"date"`
	Machine    machine        `json:"machine"`
	Veil       string         `json:"veil_version"` // as `veil serve` logs it
	Settings   map[string]any `json:"settings"`
	Sizes      []sizeCase     `json:"sizes,omitempty"`
	Saturation []measured     `json:"saturation,omitempty"`
	XMLvsJSON  []formatRatio  `json:"xml_vs_json,omitempty"`
	Open       []measured     `json:"open_loop,omitempty"`
	Audit      *auditSummary  `json:"audit,omitempty"`
	Stream     []streamResult `json:"stream,omitempty"`     // Bulk API 2.0, CSV
	StreamXML  []streamResult `json:"stream_xml,omitempty"` // Bulk API 1.0, XML
}

// machine is where the run took place.
type machine struct {
	CPU        string `json:"cpu"`
	Cores      int    `json:"cores"`
	MemoryKB   int64  `json:"memory_kb"`
	Kernel     string `json:"kernel"`
	Go         string `json:"go"`
	Redis      string `json:"redis"`
	ClockTicks int64  `json:"clock_ticks_per_second"`
	// IdleBusy is how many cores were busy during one second before the
	// run started anything: other programs sharing the machine.
	IdleBusy float64 `json:"busy_cores_before_run"`
}

// machineInfo reads the machine's description from /proc and the tools.
func machineInfo() machine {
	m := machine{CPU: "unknown", Cores: runtime.NumCPU(), Go: runtime.Version(), ClockTicks: ticksPerSecond()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemoryKB, _ = parseStatusKB(b, "MemTotal")
		m.MemoryKB >>= 10
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if out, err := exec.Command("redis-server", "--version").Output(); err == nil {
		m.Redis = strings.TrimSpace(string(out))
	}
	m.IdleBusy = busyCores(time.Second)
	return m
}

// busyCores measures how many cores the machine keeps busy over d (-1 if
// /proc/stat cannot be read).
func busyCores(d time.Duration) float64 {
	a, err := readMachine()
	if err != nil {
		return -1
	}
	time.Sleep(d)
	b, err := readMachine()
	if err != nil {
		return -1
	}
	busy := cpuTicks{user: b.busy - a.busy}.duration(ticksPerSecond())
	return busy.Seconds() / d.Seconds()
}

// settingsOf records the options a run used.
func settingsOf(o options) map[string]any {
	return map[string]any{
		"conns": o.conns, "warmup": o.warmup.String(), "duration": o.duration.String(),
		"open_duration": o.openDuration.String(), "open_conns": o.openConns, "load": o.loadFraction, "rate": o.rate,
		"phases": slices.Sorted(maps.Keys(o.phases)), "stream_bytes": o.streamBytes,
		"stream_formats":  slices.Sorted(maps.Keys(o.streamFormats)),
		"principal_roles": []string{"analyst"}, "quiet_wait": o.quietWait.String(), "rounds": o.rounds,
		"sizes": o.sizes, "xml_sizes": o.xmlSizes,
	}
}

// writeJSON writes the report to path.
func writeJSON(path string, rep *report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// table writes tab-separated rows aligned.
type table struct{ w *tabwriter.Writer }

func newTable(out io.Writer, header ...string) *table {
	t := &table{tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) { fmt.Fprintln(t.w, strings.Join(cells, "\t")+"\t") }
func (t *table) flush()              { _ = t.w.Flush() }

// ms formats a latency in milliseconds, three significant digits.
func ms(d time.Duration) string { return sig3(float64(d) / float64(time.Millisecond)) }

// us formats a CPU time in microseconds, three significant digits.
func us(d time.Duration) string { return sig3(float64(d) / float64(time.Microsecond)) }

// sig3 formats v with three significant digits (no exponent; at least
// the units).
func sig3(v float64) string {
	a := math.Abs(v)
	switch {
	case v == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

// printHeader prints the machine and the settings.
func printHeader(out io.Writer, rep *report) {
	m := rep.Machine
	fmt.Fprintf(out, "veilbench  %s\n", rep.Date)
	fmt.Fprintf(out, "machine    %s, %d cores, %d MB RAM, Linux %s\n", m.CPU, m.Cores, m.MemoryKB>>10, m.Kernel)
	fmt.Fprintf(out, "software   %s; %s\n", m.Go, m.Redis)
	fmt.Fprintf(out, "background %.2f cores busy in the second before the run (other programs on the machine)\n", m.IdleBusy)
	s := rep.Settings
	fmt.Fprintf(out, "settings   closed loop: %v connections, %v warm-up + %v measured; open loop: %v%% of Veil's saturation, %v measured, up to %v connections\n",
		s["conns"], s["warmup"], s["duration"], s["load"].(float64)*100, s["open_duration"], s["open_conns"])
	fmt.Fprintf(out, "           client, CRM, proxy and redis-server share the machine; CPU from /proc/<pid>/stat at %d ticks/s\n", m.ClockTicks)
}

// printSizes prints what the verification found in each payload.
func printSizes(out io.Writer, sizes []sizeCase) {
	fmt.Fprintln(out, "Payloads (Salesforce query of Contacts, JSON or REST XML; Veil's findings from the response's audit event in Redis)")
	t := newTable(out, "size", "format", "bytes", "records", "findings", "per record", "rewritten", "via Veil bytes", "categories")
	for _, s := range sizes {
		t.row(s.Label, s.Format, fmt.Sprint(s.Bytes), fmt.Sprint(s.Records), fmt.Sprint(s.Findings), fmt.Sprintf("%.1f", s.PerRecord),
			fmt.Sprintf("%d/%d", s.Rewritten, s.Personal), fmt.Sprint(s.VeilBytes), formatCounts(s.Categories))
	}
	t.flush()
	fmt.Fprintln(out)
}

// formatCounts writes a map as "k=v k=v" in key order.
func formatCounts(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

// printSaturation prints the closed-loop runs and the ratios Veil/bare.
func printSaturation(out io.Writer, runs []measured) {
	fmt.Fprintln(out, "Saturation (closed loop): throughput, latency, CPU per request of each process")
	t := newTable(out, "size", "target", "req/s", "MB/s", "p50 ms", "p99 ms", "p99.9 ms", "n",
		"proxy µs/req", "CRM µs/req", "redis µs/req", "client µs/req", "busy cores", "irq cores", "other cores")
	for _, r := range runs {
		res := r.Result
		proxy, redis := "-", "-"
		if r.Target != "direct" {
			proxy = us(res.cpuPerRequest("proxy"))
		}
		if r.Target == "veil" {
			redis = us(res.cpuPerRequest("redis"))
		}
		target := r.Target
		if r.Round > 0 {
			target += fmt.Sprintf(" #%d", r.Round)
		}
		t.row(r.Size, target, fmt.Sprintf("%.0f", res.rps()), fmt.Sprintf("%.1f", float64(res.Bytes)/1e6/res.Seconds),
			ms(res.Latency.P50), ms(res.Latency.P99), ms(res.Latency.P999), fmt.Sprint(res.Latency.N),
			proxy, us(res.cpuPerRequest("crm")), redis, us(res.cpuPerRequest(roleClient)),
			res.cores(roleMachine), res.cores(roleIRQ), res.cores(roleOther))
	}
	t.flush()
	fmt.Fprintln(out)

	fmt.Fprintln(out, "Veil / bare (with -rounds: each round's ratio, bare and Veil measured one after the other; the median, then the range)")
	t = newTable(out, "size", "throughput", "proxy CPU/req", "proxy+redis CPU/req", "findings/resp", "policy cache hits")
	for _, size := range sizesOf(runs) {
		var tput, cpu, cpuRedis []float64
		var veil *measured
		for _, round := range roundsOf(runs, size) {
			bare, v := findRound(runs, size, "bare", round), findRound(runs, size, "veil", round)
			if bare == nil || v == nil {
				continue
			}
			b, vr := bare.Result, v.Result
			if b.rps() > 0 {
				tput = append(tput, vr.rps()/b.rps())
			}
			if bp := float64(b.cpuPerRequest("proxy")); bp > 0 { // not a tick read: no ratio
				cpu = append(cpu, float64(vr.cpuPerRequest("proxy"))/bp)
				cpuRedis = append(cpuRedis, float64(vr.cpuPerRequest("proxy")+vr.cpuPerRequest("redis"))/bp)
			}
			veil = v
		}
		if veil == nil {
			continue
		}
		t.row(size, spread(tput), spread(cpu), spread(cpuRedis),
			fmt.Sprintf("%.1f", veil.FindingsPerResponse), fmt.Sprintf("%.1f%%", 100*veil.CacheHitRatio))
	}
	t.flush()
	fmt.Fprintln(out)
}

// spread formats ratios as their median and, when there are several,
// their range: "0.42× (0.38–0.45×)"; "-" for none.
func spread(xs []float64) string {
	if len(xs) == 0 {
		return "-"
	}
	s := fmt.Sprintf("%.2f×", median(xs))
	if len(xs) > 1 {
		s += fmt.Sprintf(" (%.2f–%.2f×)", slices.Min(xs), slices.Max(xs))
	}
	return s
}

// median of xs (the mean of the middle two for an even count); NaN for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(xs))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// printOpen prints the open-loop runs and the p99 Veil adds.
func printOpen(out io.Writer, runs []measured) {
	fmt.Fprintln(out, "Open loop (a fixed rate, latency from the intended send time)")
	t := newTable(out, "size", "rate/s", "target", "p50 ms", "p99 ms", "p99.9 ms", "n", "proxy µs/req", "busy cores", "irq cores", "other cores", "p99 added ms")
	for _, r := range runs {
		res := r.Result
		added := ""
		if bare := findRound(runs, r.Size, "bare", 0); r.Target == "veil" && bare != nil {
			added = ms(res.Latency.P99 - bare.Result.Latency.P99)
		}
		t.row(r.Size, fmt.Sprintf("%.0f", res.Rate), r.Target, ms(res.Latency.P50), ms(res.Latency.P99), ms(res.Latency.P999),
			fmt.Sprint(res.Latency.N), us(res.cpuPerRequest("proxy")), res.cores(roleMachine), res.cores(roleIRQ), res.cores(roleOther), added)
	}
	t.flush()
	fmt.Fprintln(out)
}

// auditSummary is what Veil's audit writer did over the measured phases.
type auditSummary struct {
	Queued  float64 `json:"queued"`
	Written float64 `json:"written"`
	Dropped float64 `json:"dropped"`
	Stream  int64   `json:"stream_length"`
}

// printAudit prints the audit writer's totals.
func printAudit(out io.Writer, a *auditSummary) {
	fmt.Fprintf(out, "Audit: %.0f events queued, %.0f written to Redis, %.0f dropped; %d entries in the stream %s\n\n",
		a.Queued, a.Written, a.Dropped, a.Stream, auditStream)
}

// printStream prints the downloads of the stream phase, and what each
// cost the processes.
func printStream(out io.Writer, f streamFormat, rs []streamResult) {
	fmt.Fprintf(out, "Stream (%s, as the analyst)\n", f.title)
	t := newTable(out, "target", "status", "X-Veil-Error", "records", "e-mails transformed", f.unit+" bytes", "bytes received", "s", "MB/s in", "MB/s out", "ok")
	for _, r := range rs {
		code := r.VeilError
		if code == "" {
			code = "-"
		}
		t.row(r.Target, fmt.Sprint(r.Status), code, fmt.Sprintf("%d/%d", r.Rows, r.RowsAsked), fmt.Sprint(r.Transformed),
			fmt.Sprint(r.SentBytes), fmt.Sprint(r.Bytes), fmt.Sprintf("%.2f", r.Seconds),
			rate(r.mbps(true)), rate(r.mbps(false)), fmt.Sprint(r.OK))
	}
	t.flush()
	for _, r := range rs {
		if r.Err != "" {
			fmt.Fprintf(out, "  %s: %s\n", r.Target, r.Err)
		}
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "Stream resources, %s (peak RSS goal ≤ 128 MB; CPU seconds over the download)\n", f.unit)
	t = newTable(out, "target", "proxy VmHWM MB before", "proxy VmHWM MB after", "proxy CPU s", "CRM CPU s", "redis CPU s", "client CPU s", "other CPU s")
	for _, r := range rs {
		before, peak, cpu := "-", "-", "-"
		if r.Target != "direct" {
			before, peak = fmt.Sprintf("%.1f", float64(r.StartRSS)/(1<<20)), fmt.Sprintf("%.1f", float64(r.PeakRSS)/(1<<20))
			cpu = fmt.Sprintf("%.2f", r.CPU)
		}
		t.row(r.Target, before, peak, cpu, fmt.Sprintf("%.2f", r.CRMCPU), fmt.Sprintf("%.2f", r.RedisCPU),
			fmt.Sprintf("%.2f", r.ClientCPU), fmt.Sprintf("%.2f", r.OtherCPU))
	}
	t.flush()
	fmt.Fprintln(out)
}

// rate formats MB/s, "-" for none.
func rate(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", v)
}

// sizesOf lists the sizes of runs in order of appearance.
func sizesOf(runs []measured) []string {
	var out []string
	for _, r := range runs {
		if !slices.Contains(out, r.Size) {
			out = append(out, r.Size)
		}
	}
	return out
}

// roundsOf lists the rounds size was measured in (0 alone without -rounds).
func roundsOf(runs []measured, size string) []int {
	var out []int
	for _, r := range runs {
		if r.Size == size && !slices.Contains(out, r.Round) {
			out = append(out, r.Round)
		}
	}
	return out
}

// findRound returns the run of size and target in round (0: an open-loop
// run, or a saturation run without -rounds), or nil.
func findRound(runs []measured, size, target string, round int) *measured {
	for k := range runs {
		if runs[k].Size == size && runs[k].Target == target && runs[k].Round == round {
			return &runs[k]
		}
	}
	return nil
}

// medianRun returns the run of size and target with the median
// throughput over its rounds (the lower middle for an even count), or nil.
func medianRun(runs []measured, size, target string) *measured {
	var of []*measured
	for k := range runs {
		if runs[k].Size == size && runs[k].Target == target {
			of = append(of, &runs[k])
		}
	}
	if len(of) == 0 {
		return nil
	}
	slices.SortFunc(of, func(a, b *measured) int { return cmp.Compare(a.Result.rps(), b.Result.rps()) })
	return of[(len(of)-1)/2]
}
