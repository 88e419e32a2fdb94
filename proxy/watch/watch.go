package watch

import (
	"context"
	"crypto/sha256"
	"hash/maphash"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
)

// Stats keys: the names of the counters in the policy input's stats.
const (
	StatPrincipalPIIRecords      = "principal_pii_records"      // records with personal data the principal read, bulk-export window
	StatPrincipalAuthFailures    = "principal_auth_failures"    // 401/403 from the CRM for the principal, brute-force window
	StatIPAuthFailures           = "ip_auth_failures"           // 401/403 from the CRM for the client IP, brute-force window
	StatPrincipalSensitiveValues = "principal_sensitive_values" // values of the spike categories the principal moved, spike window
	StatPrincipalProbes          = "principal_probes"           // predicates testing fields the principal cannot read in clear, probe window
)

// Defaults of the Redis key prefix and of the Options.
const (
	DefaultPrefix       = "veil:watch:"
	DefaultMaxSubjects  = 32768 // units (one counter of one principal or IP) kept in memory
	DefaultQueue        = 8192  // observations waiting for the Redis writer
	DefaultBatch        = 512   // observations per pipelined write, at most
	DefaultStatsTimeout = 50 * time.Millisecond
	DefaultStatsFresh   = 250 * time.Millisecond // how long one read of the shared windows serves a subject's Stats
	DefaultFreshMax     = 4096                   // subject pairs whose shared counts are kept that long
	DefaultFlushTimeout = time.Second
	DefaultLinger       = time.Millisecond // how long the Redis writer waits for a batch to fill: ten or so observations at 10,000 a second
	DefaultBackoffMin   = time.Second
	DefaultBackoffMax   = 30 * time.Second
)

// Severities of the alerts raised by the watch.
const (
	SeverityBruteForce     = audit.SeverityHigh
	SeverityBulkExport     = audit.SeverityHigh
	SeverityCategorySpike  = audit.SeverityMedium
	SeverityInferenceProbe = audit.SeverityHigh
)

// op label values of veil_watch_store_errors_total.
const (
	opStats   = "stats"      // a failed read on the request path
	opObserve = "observe"    // a failed batched write (or alert election)
	opQueue   = "queue_full" // an observation not written because the writer's queue was full
)

// Observation is what the watch learns from one message, after it went
// through the pipeline.
type Observation struct {
	Principal, IP, Route, DecisionID string
	Direction                        string         // "request" or "response"
	Status                           int            // the CRM's HTTP status of a response; 401 and 403 are auth failures
	PIIRecords                       int            // records in a response holding personal data
	Categories                       map[string]int // findings by category in the message
	// AuthFailure counts the message as an authentication failure (as a
	// 401/403 from the CRM): credentials that name no principal, a login
	// refused or failed. UsernameHash (identity.UsernameHasher) stands for
	// the principal of a failed login whose username no principal holds:
	// its failures are counted per hashed username.
	AuthFailure  bool
	UsernameHash string
	// Probes are the request's predicates that test a value the
	// principal cannot read in clear (policy.Decision.Probes).
	Probes int
}

// Counters are the watch's Prometheus counters; a nil one is not counted.
type Counters struct {
	Alerts      *prometheus.CounterVec // {kind, severity}
	StoreErrors *prometheus.CounterVec // {op}: stats, observe, queue_full
}

// Option tunes a Watch beyond its config (tests, benchmarks).
type Option func(*options)

type options struct {
	now                      func() time.Time
	maxSubjects, queue       int
	statsTimeout, statsFresh time.Duration
	backoffMin, backoffMax   time.Duration
	flushTimeout, probeEvery time.Duration
	linger                   time.Duration
}

// WithClock replaces time.Now for the windows (not for Redis timeouts).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLinger sets how long the Redis writer waits for a batch to fill
// (default DefaultLinger).
func WithLinger(d time.Duration) Option { return func(o *options) { o.linger = d } }

// WithMaxSubjects bounds the units held in memory (default DefaultMaxSubjects).
func WithMaxSubjects(n int) Option { return func(o *options) { o.maxSubjects = n } }

// WithQueue sets how many observations may wait for the Redis writer.
func WithQueue(n int) Option { return func(o *options) { o.queue = n } }

// WithStatsTimeout bounds the one Redis round trip of Stats.
func WithStatsTimeout(d time.Duration) Option { return func(o *options) { o.statsTimeout = d } }

// WithStatsFresh sets how long one read of the shared windows serves the
// Stats of the same principal and IP (0: read Redis for every message).
func WithStatsFresh(d time.Duration) Option { return func(o *options) { o.statsFresh = d } }

// WithBackoff sets how long Redis is left alone after a failure, doubling
// from min to max while it keeps failing.
func WithBackoff(min, max time.Duration) Option {
	return func(o *options) { o.backoffMin, o.backoffMax = min, max }
}

// Watch counts behaviour per principal and IP over sliding windows, raises
// alerts above the thresholds, and gives the counts to the policy
// (docs/soc.md, docs/configuration.md). A count reaches its threshold when
// it is >= it, as the default bundle's rules compare stats. Severities:
// brute_force, bulk_export and inference_probe high, category_spike medium.
//
// Stats returns all five keys (principal_pii_records,
// principal_auth_failures, ip_auth_failures, principal_sensitive_values,
// principal_probes), 0 for an empty principal or IP, as counted before the
// current message, which Observe counts after.
//
// Alerts fire once per subject and kind per window: in memory per replica;
// with Redis a SET NX EX key elects one replica. The brute-force units of
// one message's principal and IP crossing together make one alert.
// Evidence holds only the Stat* key of the count(s), "threshold" and
// "window_seconds"; the message text holds no value. Alerts go to the
// callback given to New and are counted in veil_alerts_total.
//
// A moment's bucket is its Unix time divided by the bucket's length, so
// replicas sharing Redis need clocks that agree within a bucket. Each
// replica keeps its own windows in a map bounded to DefaultMaxSubjects
// units, least recently used evicted first, keyed by a truncated SHA-256
// of the subject (about 360 bytes a unit measured, some 12 MB at the
// default bound). A flood can evict a real subject's local counts, not
// the shared ones.
//
// With Redis the shared windows are one key per sub-bucket,
// <prefix>{<hex of 16 bytes of SHA-256 of the subject>}:<pa|ia|pr|ps|pp>:<bucket index>,
// INCRBY then PEXPIRE window + one bucket (the braces are the Cluster hash
// tag keeping one subject's keys in one slot). Keys carry no identifier,
// but an unkeyed hash of an IP can be found again by trying every address.
//
//   - Stats makes at most one round trip (one MGET for the principal, one
//     for the IP, pipelined) and returns, per key, the larger of the
//     shared count and this replica's own (which covers increments not yet
//     written, and a Redis that lost its keys).
//   - Observe never waits for Redis: it updates the local windows and
//     queues the increments (when the queue is full the observation is
//     counted locally only, op="queue_full") for a writer goroutine that
//     pipelines them in batches, reads the touched windows back in the
//     same pipeline and elects the alerts.
//   - A failure (op="stats" or "observe", logged once, without values)
//     opens a breaker: no Redis call on the request path and no writes
//     until the writer's PING succeeds, probed with a backoff doubling
//     from 1 s to 30 s. Increments made meanwhile are not replayed.
//
// Disabled, Stats returns nil and Observe does nothing; a nil *Watch
// behaves as disabled.
type Watch struct {
	disabled bool
	win      [nCounters]time.Duration
	bucket   [nCounters]int64 // nanoseconds per sub-bucket
	limit    [nCounters]int64
	spike    map[string]struct{}
	now      func() time.Time
	mem      *memory
	alert    func(audit.Alert)
	m        Counters
	log      *zap.Logger
	rs       *store // nil: memory windows only
	ids      subjectCache
}

// New builds a Watch. A nil client keeps the windows in this process's
// memory; a client shares them with every replica through Redis. Zero
// windows and thresholds take the config's defaults. alert receives each
// alert (the audit recorder fills its id, time and hashes); nil drops them.
func New(cfg config.Watch, c redis.UniversalClient, alert func(audit.Alert), m Counters, log *zap.Logger, opts ...Option) *Watch {
	if cfg.Disabled {
		return &Watch{disabled: true}
	}
	o := options{now: time.Now, maxSubjects: DefaultMaxSubjects, queue: DefaultQueue,
		statsTimeout: DefaultStatsTimeout, statsFresh: DefaultStatsFresh, backoffMin: DefaultBackoffMin, backoffMax: DefaultBackoffMax,
		flushTimeout: DefaultFlushTimeout, probeEvery: 100 * time.Millisecond, linger: DefaultLinger}
	for _, f := range opts {
		f(&o)
	}
	if log == nil {
		log = zap.NewNop()
	}
	if alert == nil {
		alert = func(audit.Alert) {}
	}
	w := &Watch{ids: newSubjectCache(), now: o.now, mem: newMemory(max(o.maxSubjects, 1)), alert: alert, m: m, log: log.Named("watch"),
		spike: make(map[string]struct{})}
	bf := orDefault(cfg.BruteForce.Window, config.DefaultBruteForceWindow)
	w.win = [nCounters]time.Duration{bf, bf,
		orDefault(cfg.BulkExport.Window, config.DefaultBulkExportWindow),
		orDefault(cfg.Spike.Window, config.DefaultSpikeWindow),
		orDefault(cfg.Probe.Window, config.DefaultProbeWindow)}
	failures := int64(orDefault(cfg.BruteForce.Failures, config.DefaultBruteForceFailures))
	w.limit = [nCounters]int64{failures, failures,
		int64(orDefault(cfg.BulkExport.Records, config.DefaultBulkExportRecords)),
		int64(orDefault(cfg.Spike.Values, config.DefaultSpikeValues)),
		int64(orDefault(cfg.Probe.Probes, config.DefaultProbeProbes))}
	for i, d := range w.win {
		w.bucket[i] = max(int64(d)/buckets, 1)
	}
	cats := cfg.Spike.Categories
	if cats == nil {
		cats = config.DefaultSpikeCategories
	}
	for _, c := range cats {
		w.spike[c] = struct{}{}
	}
	if m.StoreErrors != nil {
		for _, op := range []string{opStats, opObserve, opQueue} {
			m.StoreErrors.WithLabelValues(op)
		}
	}
	if c != nil {
		prefix := cfg.Prefix
		if prefix == "" {
			prefix = DefaultPrefix
		}
		w.rs = newStore(w, c, prefix, o)
	}
	return w
}

func orDefault[T int | time.Duration](v, d T) T {
	if v <= 0 {
		return d
	}
	return v
}

// idx is the sub-bucket of counter c at t (unix nanoseconds).
func (w *Watch) idx(c counter, t int64) int64 { return t / w.bucket[c] }

// hash is the subject id of a principal (kind 'p') or an IP (kind 'i').
func hash(kind byte, v string) subject {
	var buf [128]byte
	sum := sha256.Sum256(append(append(buf[:0], kind, 0), v...))
	return subject(sum[:16])
}

// subjectCache remembers the subject ids of the principals and addresses
// met last: SHA-256 was most of what Stats and Observe cost, and a
// message's principal and address are hashed up to three times. It is a
// direct-mapped table of subjectSlots entries: a slot holds one (kind,
// value) and its id, replaced by the next value that maps to it, and is
// used only for the very kind and value it was made of. A miss costs
// what hashing cost before, and allocates nothing.
type subjectCache struct {
	seed  maphash.Seed
	slots [subjectSlots]subjectSlot
}

const subjectSlots = 256

type subjectSlot struct {
	mu   sync.Mutex
	kind byte
	v    string
	s    subject
}

func newSubjectCache() subjectCache { return subjectCache{seed: maphash.MakeSeed()} }

// id is hash(kind, v), from the table when it holds it.
func (c *subjectCache) id(kind byte, v string) subject {
	e := &c.slots[(maphash.String(c.seed, v)+uint64(kind))%subjectSlots]
	e.mu.Lock()
	if e.kind == kind && e.v == v {
		s := e.s
		e.mu.Unlock()
		return s
	}
	e.mu.Unlock()
	s := hash(kind, v)
	e.mu.Lock()
	e.kind, e.v, e.s = kind, v, s
	e.mu.Unlock()
	return s
}

// who is a message's principal and IP, hashed.
type who struct {
	p, i       subject
	hasP, hasI bool
}

func (w *Watch) newWho(principal, ip string) who {
	var k who
	if principal != "" {
		k.p, k.hasP = w.ids.id('p', principal), true
	}
	if ip != "" {
		k.i, k.hasI = w.ids.id('i', ip), true
	}
	return k
}

// units are the windows of a principal and an IP, by counter; ok tells
// which exist.
func (k who) unit(c counter) (unit, bool) {
	if c == cIPAuth {
		return unit{c, k.i}, k.hasI
	}
	return unit{c, k.p}, k.hasP
}

// Stats is the counts in the windows of the principal and the IP, before
// the current message, under the stable Stat* keys: Redis's shared counts
// (one pipelined round trip, bounded by the stats timeout) or, while
// Redis is failing, this replica's own. It returns nil when disabled.
func (w *Watch) Stats(ctx context.Context, principal, ip string) map[string]int64 {
	if w == nil || w.disabled {
		return nil
	}
	now := w.now().UnixNano()
	k := w.newWho(principal, ip)
	v := w.localSums(k, now)
	if w.rs != nil && !w.rs.b.isOpen() {
		switch g, err := w.rs.freshStats(ctx, k, now); {
		case err != nil && ctx.Err() != nil:
			// the caller gave up (client gone): not Redis's failure
		case err != nil:
			w.rs.fail(opStats, err)
		default:
			for c := range v {
				v[c] = max(v[c], g[c])
			}
		}
	}
	return map[string]int64{
		StatPrincipalAuthFailures:    v[cPrincipalAuth],
		StatIPAuthFailures:           v[cIPAuth],
		StatPrincipalPIIRecords:      v[cPII],
		StatPrincipalSensitiveValues: v[cSensitive],
		StatPrincipalProbes:          v[cProbe],
	}
}

func (w *Watch) localSums(k who, now int64) [nCounters]int64 {
	var v [nCounters]int64
	w.mem.mu.Lock()
	defer w.mem.mu.Unlock()
	for c := counter(0); c < nCounters; c++ {
		if u, ok := k.unit(c); ok {
			v[c] = w.mem.peek(u, w.idx(c, now))
		}
	}
	return v
}

// item is one observation on its way to the windows.
type item struct {
	at                               int64 // unix nanoseconds
	principal, ip, route, decisionID string
	usernameHash                     string // the subject of the principal's counters when principal is ""
	k                                who
	d                                [nCounters]int64
}

// Observe counts a message in the windows and raises the alerts of the
// thresholds it crosses. It never waits for Redis: the increments are
// queued for a background writer (dropped and counted as
// veil_watch_store_errors_total{op="queue_full"} when the queue is full)
// and this replica's own windows are updated at once.
func (w *Watch) Observe(_ context.Context, o Observation) {
	if w == nil || w.disabled {
		return
	}
	// What the message adds, counted before anything is hashed or
	// allocated: most messages (a request, a response without personal
	// data) add nothing.
	var d [nCounters]int64
	hasP, hasI := o.Principal != "" || o.UsernameHash != "", o.IP != ""
	if o.AuthFailure || o.Status == http.StatusUnauthorized || o.Status == http.StatusForbidden {
		d[cPrincipalAuth], d[cIPAuth] = 1, 1
	}
	if o.Direction == "response" && o.PIIRecords > 0 {
		d[cPII] = int64(o.PIIRecords)
	}
	if o.Probes > 0 {
		d[cProbe] = int64(o.Probes)
	}
	for cat, n := range o.Categories {
		if _, ok := w.spike[cat]; ok && n > 0 {
			d[cSensitive] += int64(n)
		}
	}
	some := false
	for c := range d {
		has := hasP // the units who.unit gives
		if counter(c) == cIPAuth {
			has = hasI
		}
		if !has {
			d[c] = 0
		}
		some = some || d[c] > 0
	}
	if !some {
		return
	}
	it := &item{principal: o.Principal, ip: o.IP, route: o.Route, decisionID: o.DecisionID,
		k: w.newWho(o.Principal, o.IP), d: d}
	if o.Principal == "" && o.UsernameHash != "" {
		it.usernameHash = o.UsernameHash
		it.k.p, it.k.hasP = w.ids.id('u', o.UsernameHash), true
	}
	it.at = w.now().UnixNano()
	w.mem.mu.Lock()
	for c := counter(0); c < nCounters; c++ {
		if it.d[c] > 0 {
			u, _ := it.k.unit(c)
			w.mem.get(u).r.add(w.idx(c, it.at), it.d[c])
		}
	}
	w.mem.mu.Unlock()
	if w.rs != nil && w.rs.enqueue(it) {
		return
	}
	w.detectLocal([]*item{it})
}

// hit is a unit at or over its threshold, with the counts of the item
// that got it there.
type hit struct {
	u    unit
	it   *item
	sums [nCounters]int64
}

// detectLocal raises the alerts of the items' units at or over their
// thresholds from this replica's own windows, once per unit per window.
func (w *Watch) detectLocal(items []*item) {
	now := w.now().UnixNano()
	var hits []hit
	w.mem.mu.Lock()
	for _, it := range items {
		var sums [nCounters]int64
		for c := counter(0); c < nCounters; c++ {
			if u, ok := it.k.unit(c); ok {
				sums[c] = w.mem.peek(u, w.idx(c, now))
			}
		}
		for c := counter(0); c < nCounters; c++ {
			if it.d[c] == 0 || sums[c] < w.limit[c] {
				continue
			}
			u, _ := it.k.unit(c)
			e := w.mem.get(u)
			if e.alertUntil > now {
				continue
			}
			e.alertUntil = now + int64(w.win[c])
			hits = append(hits, hit{u: u, it: it, sums: sums})
		}
	}
	w.mem.mu.Unlock()
	w.raise(hits)
}

// suppress marks units as alerted in this replica's windows (another
// replica, or this one through Redis, raised their alert).
func (w *Watch) suppress(units []unit, now int64) {
	w.mem.mu.Lock()
	defer w.mem.mu.Unlock()
	for _, u := range units {
		if e := w.mem.m[u]; e != nil {
			e.alertUntil = max(e.alertUntil, now+int64(w.win[u.c]))
		}
	}
}

// raise hands one alert per hit to the alert callback; the brute-force
// hits of one observation's principal and IP make one alert.
func (w *Watch) raise(hits []hit) {
	var bf map[*item]bool
	for _, h := range hits {
		a := audit.Alert{Principal: h.it.principal, IP: h.it.ip, Route: h.it.route, DecisionID: h.it.decisionID, UsernameHash: h.it.usernameHash}
		c := h.u.c
		ev := map[string]int64{"threshold": w.limit[c], "window_seconds": int64(w.win[c] / time.Second)}
		switch c {
		case cPrincipalAuth, cIPAuth:
			if bf[h.it] {
				continue
			}
			if bf == nil {
				bf = make(map[*item]bool)
			}
			bf[h.it] = true
			a.Kind, a.Severity = audit.AlertBruteForce, SeverityBruteForce
			a.Message = "authentication failures for one principal, username or IP reached the threshold in the window"
			if h.it.k.hasP {
				ev[StatPrincipalAuthFailures] = h.sums[cPrincipalAuth]
			}
			if h.it.k.hasI {
				ev[StatIPAuthFailures] = h.sums[cIPAuth]
			}
		case cPII:
			a.Kind, a.Severity = audit.AlertBulkExport, SeverityBulkExport
			a.Message = "records with personal data read by one principal reached the threshold in the window"
			ev[StatPrincipalPIIRecords] = h.sums[cPII]
		case cSensitive:
			a.Kind, a.Severity = audit.AlertCategorySpike, SeverityCategorySpike
			a.Message = "values of sensitive categories moved by one principal reached the threshold in the window"
			ev[StatPrincipalSensitiveValues] = h.sums[cSensitive]
		case cProbe:
			a.Kind, a.Severity = audit.AlertInferenceProbe, SeverityInferenceProbe
			a.Message = "queries testing fields the principal cannot read in clear reached the threshold in the window"
			ev[StatPrincipalProbes] = h.sums[cProbe]
		}
		a.Evidence = ev
		if w.m.Alerts != nil {
			w.m.Alerts.WithLabelValues(a.Kind, a.Severity).Inc()
		}
		w.alert(a)
	}
}

// Close stops the Redis writer after writing what is queued (bounded by
// the flush timeout). It does not close the client.
func (w *Watch) Close() error {
	if w == nil || w.rs == nil {
		return nil
	}
	w.rs.close()
	return nil
}

// Len is the number of units (one counter of one principal or IP) held
// in this replica's memory.
func (w *Watch) Len() int {
	if w == nil || w.disabled {
		return 0
	}
	return w.mem.len()
}
