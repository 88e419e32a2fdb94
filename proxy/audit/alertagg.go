package audit

import (
	"strconv"
	"sync"
	"time"
)

// AlertGate stands between the alert sources and the alert stream, so that
// a flood of one alert cannot flood the SOC nor crowd out another:
//
//   - Aggregate (the policy's alerts, one per message): per kind and
//     principal (the IP when there is none), the first alert of a window
//     is written at once with evidence count 1; the repeats within the
//     window are counted, and written as one summary (evidence count,
//     window_seconds) when the window ends. The counts of a key's alerts
//     add up to its occurrences.
//   - Budget (every alert through the gate): at most budget alerts of one
//     kind are written per window; past it, they are counted into one
//     summary of the kind for the window (principal empty, evidence
//     count and principals). A flood of one kind therefore never takes
//     more than its budget of the stream's queue, and nothing waits
//     behind it: the gate never blocks on I/O beyond the sink's own
//     (Recorder.Alert queues).
//
// Summaries are written by a ticker and by Close. The gate's memory is
// bounded by maxKeys: past it, a new key's alerts go to its kind's summary.
type AlertGate struct {
	sink    func(Alert) error
	window  time.Duration
	budget  int
	maxKeys int
	now     func() time.Time

	mu     sync.Mutex
	keys   map[aggKey]*aggEntry
	kinds  map[string]*kindBudget
	closed bool
	stop   chan struct{}
	done   chan struct{}
}

type aggKey struct{ kind, principal, ip string }

type aggEntry struct {
	start   time.Time
	pending int64 // repeats not yet written
	last    Alert // the latest repeat, the summary's template
}

type kindBudget struct {
	start   time.Time
	used    int
	over    int64 // alerts counted past the budget
	overWho map[string]struct{}
	last    Alert
}

// maxOverWho bounds the principals remembered for a kind's summary.
const maxOverWho = 1024

// NewAlertGate writes through sink (Recorder.Alert). window and budget
// below 1 take their defaults (60 s, 50).
func NewAlertGate(sink func(Alert) error, window time.Duration, budget int) *AlertGate {
	return newAlertGate(sink, window, budget, time.Now)
}

func newAlertGate(sink func(Alert) error, window time.Duration, budget int, now func() time.Time) *AlertGate {
	if window <= 0 {
		window = time.Minute
	}
	if budget <= 0 {
		budget = 50
	}
	g := &AlertGate{
		sink: sink, window: window, budget: budget, maxKeys: 10000, now: now,
		keys: make(map[aggKey]*aggEntry), kinds: make(map[string]*kindBudget),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	go g.run()
	return g
}

// Aggregate takes a policy alert: written at once when it is the first of
// its kind and principal in the window, otherwise counted for the summary.
func (g *AlertGate) Aggregate(a Alert) error {
	now := g.now()
	k := aggKey{kind: a.Kind, principal: a.Principal}
	if k.principal == "" {
		k.ip = a.IP
	}
	var out []Alert
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return g.sink(a)
	}
	e := g.keys[k]
	if e != nil && now.Sub(e.start) >= g.window {
		out = g.summaryLocked(out, k, e, now)
		delete(g.keys, k)
		e = nil
	}
	switch {
	case e != nil:
		e.pending++
		e.last = a
	case len(g.keys) >= g.maxKeys:
		out = g.overLocked(out, a, now, 1)
	default:
		g.keys[k] = &aggEntry{start: now}
		a.Evidence = withCount(a.Evidence, 1, g.window)
		out = g.admitLocked(out, a, now)
	}
	g.mu.Unlock()
	return g.write(out)
}

// Pass takes an alert its source already aggregates (the watch): only the
// kind's budget applies.
func (g *AlertGate) Pass(a Alert) error {
	now := g.now()
	var out []Alert
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return g.sink(a)
	}
	out = g.admitLocked(out, a, now)
	g.mu.Unlock()
	return g.write(out)
}

// Close writes every pending summary and stops the ticker. Alerts after
// Close go straight to the sink.
func (g *AlertGate) Close() error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	close(g.stop)
	g.mu.Unlock()
	<-g.done
	return g.flush(true)
}

func (g *AlertGate) run() {
	defer close(g.done)
	tick := min(max(g.window/4, 100*time.Millisecond), 5*time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-t.C:
			_ = g.flush(false)
		}
	}
}

// flush writes the summaries of the windows that ended (all, with every).
func (g *AlertGate) flush(every bool) error {
	now := g.now()
	var out []Alert
	g.mu.Lock()
	for k, e := range g.keys {
		if every || now.Sub(e.start) >= g.window {
			out = g.summaryLocked(out, k, e, now)
			delete(g.keys, k)
		}
	}
	for kind, b := range g.kinds {
		if every || now.Sub(b.start) >= g.window {
			out = appendOver(out, kind, b, g.window)
			delete(g.kinds, kind)
		}
	}
	g.mu.Unlock()
	return g.write(out)
}

// summaryLocked appends key k's summary when it has repeats, within the
// kind's budget.
func (g *AlertGate) summaryLocked(out []Alert, k aggKey, e *aggEntry, now time.Time) []Alert {
	if e.pending == 0 {
		return out
	}
	s := e.last
	s.ID, s.Time = "", time.Time{}
	s.Message = strconv.FormatInt(e.pending, 10) + " more " + k.kind + " alerts in " + g.window.String() + ": " + s.Message
	s.Evidence = withCount(nil, e.pending, g.window)
	if g.closed {
		return append(out, s) // the last word: no budget left to wait for
	}
	return g.admitLockedN(out, s, now, e.pending)
}

// admitLocked appends a when its kind has budget left, otherwise counts it
// into the kind's summary.
func (g *AlertGate) admitLocked(out []Alert, a Alert, now time.Time) []Alert {
	return g.admitLockedN(out, a, now, 1)
}

func (g *AlertGate) admitLockedN(out []Alert, a Alert, now time.Time, n int64) []Alert {
	b := g.kindLocked(a.Kind, now, &out)
	if b.used < g.budget {
		b.used++
		return append(out, a)
	}
	return g.overLocked(out, a, now, n)
}

// kindLocked is kind's budget for the current window, starting a new one
// (and writing the old one's summary) when it ended.
func (g *AlertGate) kindLocked(kind string, now time.Time, out *[]Alert) *kindBudget {
	b := g.kinds[kind]
	if b != nil && now.Sub(b.start) >= g.window {
		*out = appendOver(*out, kind, b, g.window)
		b = nil
	}
	if b == nil {
		b = &kindBudget{start: now}
		g.kinds[kind] = b
	}
	return b
}

// overLocked counts n alerts like a past kind's budget.
func (g *AlertGate) overLocked(out []Alert, a Alert, now time.Time, n int64) []Alert {
	b := g.kindLocked(a.Kind, now, &out)
	b.over += n
	b.last = a
	who := a.Principal
	if who == "" {
		who = a.IP
	}
	if b.overWho == nil {
		b.overWho = make(map[string]struct{})
	}
	if len(b.overWho) < maxOverWho {
		b.overWho[who] = struct{}{}
	}
	return out
}

func appendOver(out []Alert, kind string, b *kindBudget, window time.Duration) []Alert {
	if b.over == 0 {
		return out
	}
	s := Alert{
		Kind: kind, Severity: b.last.Severity, Route: b.last.Route,
		Message: strconv.FormatInt(b.over, 10) + " " + kind + " alerts past the budget of the " + window.String() + " window",
	}
	s.Evidence = withCount(nil, b.over, window)
	s.Evidence["principals"] = int64(len(b.overWho))
	return append(out, s)
}

func withCount(ev map[string]int64, n int64, window time.Duration) map[string]int64 {
	m := make(map[string]int64, len(ev)+2)
	for k, v := range ev {
		m[k] = v
	}
	m["count"] = n
	m["window_seconds"] = int64(window / time.Second)
	return m
}

func (g *AlertGate) write(as []Alert) error {
	var first error
	for _, a := range as {
		if err := g.sink(a); err != nil && first == nil {
			first = err
		}
	}
	return first
}
