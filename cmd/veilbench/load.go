package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// The load generator: keep-alive HTTP/1.1 clients, no compression, every
// answer read to its end and checked (status 200 and the exact length the
// verification saw, so a refused or untransformed answer fails the run
// instead of being counted).

// exchange is one kind of request of a run and what its answer must be.
type exchange struct {
	url       string
	token     string
	accept    string // the Accept header, if any (application/xml: the CRM answers XML)
	expectLen int64  // the body's length every answer must have
}

// newTransport is a client for conns connections to one target.
func newTransport(conns int) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
}

// newRequest builds the exchange's request once; a worker reuses it, one
// exchange at a time.
func (x exchange) newRequest(ctx context.Context) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, x.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+x.token)
	if x.accept != "" {
		req.Header.Set("Accept", x.accept)
	}
	return req, nil
}

// do sends req and reads the answer to its end: its length, or an error
// naming the status and Veil's error code when it is not the expected 200.
func (x exchange) do(tr *http.Transport, req *http.Request) (int64, error) {
	res, err := tr.RoundTrip(req)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return n, fmt.Errorf("status %d (X-Veil-Error %q)", res.StatusCode, res.Header.Get("X-Veil-Error"))
	}
	if err != nil {
		return n, err
	}
	if n != x.expectLen {
		return n, fmt.Errorf("answer of %d bytes, the verified one had %d", n, x.expectLen)
	}
	return n, nil
}

// cpuWatch reads the CPU time of a set of processes, and of the whole
// machine, at the start and end of a measured window.
type cpuWatch struct {
	read   map[string]func() (cpuTicks, error) // by role
	before map[string]cpuTicks
	used   map[string]cpuTicks
}

// Roles of a cpuWatch besides the processes it is given.
const (
	roleClient  = "client"  // veilbench itself: the load generator
	roleMachine = "machine" // every core's busy time
	roleIRQ     = "irq"     // of which interrupts and softirqs (loopback TCP)
	roleOther   = "other"   // machine minus irq and the processes: what else ran
)

// newCPUWatch watches the processes (role → pid), this one as "client",
// and the machine.
func newCPUWatch(pids map[string]int) *cpuWatch {
	// The machine's interrupt time is read as its "system" part, the rest
	// of its busy time as "user".
	w := &cpuWatch{read: map[string]func() (cpuTicks, error){
		roleMachine: func() (cpuTicks, error) {
			m, err := readMachine()
			return cpuTicks{user: m.busy - m.irq, system: m.irq}, err
		},
	}}
	all := map[string]int{roleClient: os.Getpid()}
	maps.Copy(all, pids)
	for role, pid := range all {
		w.read[role] = func() (cpuTicks, error) { return readCPU(pid) }
	}
	return w
}

// readAll reads every role's CPU.
func (w *cpuWatch) readAll() (map[string]cpuTicks, error) {
	out := make(map[string]cpuTicks, len(w.read))
	for role, read := range w.read {
		c, err := read()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", role, err)
		}
		out[role] = c
	}
	return out, nil
}

// start takes the first reading.
func (w *cpuWatch) start() error {
	var err error
	w.before, err = w.readAll()
	return err
}

// stop takes the second reading.
func (w *cpuWatch) stop() error {
	now, err := w.readAll()
	if err != nil {
		return err
	}
	w.used = map[string]cpuTicks{}
	for role, c := range now {
		w.used[role] = c.sub(w.before[role])
	}
	return nil
}

// loadResult is what one measured window gave.
type loadResult struct {
	Requests int64                    `json:"requests"`
	Bytes    int64                    `json:"bytes"`
	Seconds  float64                  `json:"seconds"`
	Latency  summary                  `json:"latency"`
	CPU      map[string]time.Duration `json:"cpu_ns"` // by process role, over the window
	// Open loop only: the rate asked and how many exchanges were sent.
	Rate float64 `json:"rate,omitempty"`
	Sent int64   `json:"sent,omitempty"`
}

// cores is role's CPU time over the window, in cores (1.00: one core
// busy the whole time).
func (r loadResult) cores(role string) string {
	return fmt.Sprintf("%.2f", r.CPU[role].Seconds()/r.Seconds)
}

// rps is the throughput in exchanges per second.
func (r loadResult) rps() float64 { return float64(r.Requests) / r.Seconds }

// cpuPerRequest is role's CPU time per exchange.
func (r loadResult) cpuPerRequest(role string) time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.CPU[role] / time.Duration(r.Requests)
}

// window is a run's schedule: warm-up, then the measured interval.
type window struct {
	start, end time.Time
}

// contains says whether t falls in the measured interval.
func (w window) contains(t time.Time) bool { return !t.Before(w.start) && !t.After(w.end) }

// measureCPU reads the CPU of cpu at the window's start and end, unless
// ctx ends first.
func measureCPU(ctx context.Context, w window, cpu *cpuWatch) error {
	for _, at := range []struct {
		t    time.Time
		read func() error
	}{{w.start, cpu.start}, {w.end, cpu.stop}} {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Until(at.t)):
		}
		if err := at.read(); err != nil {
			return err
		}
	}
	return nil
}

// closedLoop runs conns workers that each send the next request as soon
// as the previous answer is read, for warmup and then dur; it measures the
// exchanges that complete within dur (throughput, latency) and the CPU the
// processes used in it.
func closedLoop(ctx context.Context, x exchange, conns int, warmup, dur time.Duration, cpu *cpuWatch) (loadResult, error) {
	now := time.Now()
	w := window{start: now.Add(warmup), end: now.Add(warmup + dur)}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	tr := newTransport(conns)
	defer tr.CloseIdleConnections()

	t := newTally(conns)
	var wg sync.WaitGroup
	for k := range conns {
		wg.Go(func() {
			req, err := x.newRequest(ctx)
			if err != nil {
				cancel(err)
				return
			}
			for ctx.Err() == nil {
				t0 := time.Now()
				if t0.After(w.end) {
					return
				}
				n, err := x.do(tr, req)
				t1 := time.Now()
				if err != nil {
					cancel(err)
					return
				}
				if w.contains(t1) {
					t.add(k, t1.Sub(t0), n)
				}
			}
		})
	}
	return t.finish(ctx, w, cpu, &wg, dur)
}

// openLoop sends exchanges at a constant rate, each at its intended time
// whether or not earlier ones have been answered (up to conns in flight;
// beyond that they wait for a connection, and the wait counts), for warmup
// and then dur. Latency is measured from the intended send time, so a
// stall delays every exchange scheduled during it and none is left out
// (no coordinated omission).
func openLoop(ctx context.Context, x exchange, rate float64, conns int, warmup, dur time.Duration, cpu *cpuWatch) (loadResult, error) {
	if rate <= 0 {
		return loadResult{}, errors.New("open loop: the rate must be positive")
	}
	now := time.Now()
	w := window{start: now.Add(warmup), end: now.Add(warmup + dur)}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	tr := newTransport(conns)
	defer tr.CloseIdleConnections()

	total := int64((warmup + dur).Seconds() * rate)
	intended := make(chan time.Time, total+1)
	var sent atomic.Int64
	go func() {
		defer close(intended)
		interval := time.Duration(float64(time.Second) / rate)
		timer := time.NewTimer(0)
		defer timer.Stop()
		for i := range total {
			at := now.Add(time.Duration(i) * interval)
			if d := time.Until(at); d > 0 {
				timer.Reset(d)
				select {
				case <-ctx.Done():
					return
				case <-timer.C:
				}
			}
			intended <- at
			sent.Add(1)
		}
	}()

	t := newTally(conns)
	var wg sync.WaitGroup
	for k := range conns {
		wg.Go(func() {
			req, err := x.newRequest(ctx)
			if err != nil {
				cancel(err)
				return
			}
			for at := range intended {
				if ctx.Err() != nil {
					return
				}
				n, err := x.do(tr, req)
				t1 := time.Now()
				if err != nil {
					cancel(err)
					return
				}
				if w.contains(at) {
					t.add(k, t1.Sub(at), n)
				}
			}
		})
	}
	r, err := t.finish(ctx, w, cpu, &wg, dur)
	r.Rate, r.Sent = rate, sent.Load()
	return r, err
}

// tally collects a run's exchanges: each worker's latencies apart (no
// lock on the hot path), the counts shared.
type tally struct {
	lat             []samples
	requests, bytes atomic.Int64
}

func newTally(workers int) *tally { return &tally{lat: make([]samples, workers)} }

// add records an exchange of worker k that took d and brought n bytes.
func (t *tally) add(k int, d time.Duration, n int64) {
	t.lat[k] = append(t.lat[k], d)
	t.requests.Add(1)
	t.bytes.Add(n)
}

// finish reads the CPU over the window, waits for the workers and sums up
// the run of dur; a worker's failure or the CPU reading's is the error.
func (t *tally) finish(ctx context.Context, w window, cpu *cpuWatch, wg *sync.WaitGroup, dur time.Duration) (loadResult, error) {
	cpuErr := measureCPU(ctx, w, cpu)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return loadResult{}, err
	}
	if cpuErr != nil {
		return loadResult{}, cpuErr
	}
	return loadResult{
		Requests: t.requests.Load(), Bytes: t.bytes.Load(), Seconds: dur.Seconds(),
		Latency: summarize(merge(t.lat)), CPU: cpuDurations(cpu),
	}, nil
}

// cpuDurations converts a watch's readings into time, and adds "other":
// the machine's busy time outside interrupts that none of the watched
// processes used (other programs, kernel threads, idle processes of the
// benchmark).
func cpuDurations(w *cpuWatch) map[string]time.Duration {
	hz := ticksPerSecond()
	out := map[string]time.Duration{}
	var watched time.Duration
	for role, c := range w.used {
		out[role] = c.duration(hz)
		if role != roleMachine {
			watched += out[role]
		}
	}
	if m, ok := w.used[roleMachine]; ok {
		out[roleIRQ] = cpuTicks{system: m.system}.duration(hz)
		out[roleOther] = max(out[roleMachine]-out[roleIRQ]-watched, 0)
	}
	return out
}

// ticksPerSecond is the unit of /proc's CPU times on this machine, asked
// once.
var ticksPerSecond = sync.OnceValue(clockTicks)
