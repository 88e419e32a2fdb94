package watch

import (
	"context"
	"encoding/hex"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// store is the windows shared through Redis: one key per sub-bucket,
// <prefix>{<subject>}:<counter>:<bucket>, incremented by a background
// writer and read with MGET; the subject in braces is a Cluster hash tag,
// so that the keys of one principal or IP are read in one command.
type store struct {
	w      *Watch
	c      redis.UniversalClient
	prefix string
	o      options
	b      breaker
	q      chan *item

	fresh freshCache // the shared counts last read per subject pair

	closed    atomic.Bool
	sync      chan chan struct{} // tests: write what is queued, then answer
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func newStore(w *Watch, c redis.UniversalClient, prefix string, o options) *store {
	s := &store{w: w, c: c, prefix: prefix, o: o, q: make(chan *item, max(o.queue, 1)),
		sync: make(chan chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	s.b.min, s.b.max = o.backoffMin, o.backoffMax
	go s.run()
	return s
}

// enqueue hands an item to the writer; false when the writer cannot take
// it (Redis failing, queue full, closed): the caller counts it locally.
func (s *store) enqueue(it *item) bool {
	if s.closed.Load() || s.b.isOpen() {
		return false
	}
	select {
	case s.q <- it:
		return true
	default:
		s.w.countError(opQueue)
		return false
	}
}

func (w *Watch) countError(op string) {
	if w.m.StoreErrors != nil {
		w.m.StoreErrors.WithLabelValues(op).Inc()
	}
}

// fail counts a failed call and opens the breaker: Redis is left alone
// (the request path uses this replica's counts) until a probe succeeds.
func (s *store) fail(op string, err error) {
	s.w.countError(op)
	if s.b.trip(time.Now(), false) {
		s.w.log.Warn("shared windows in Redis unavailable: counting in this replica until it answers",
			zap.String("op", op), zap.Error(err))
	}
}

// key is the Redis key of unit u's sub-bucket idx, appended to buf.
func (s *store) key(buf []byte, u unit, idx int64) []byte {
	buf = append(buf, s.prefix...)
	buf = append(buf, '{')
	buf = hex.AppendEncode(buf, u.s[:])
	buf = append(buf, "}:"...)
	buf = append(buf, names[u.c]...)
	buf = append(buf, ':')
	return strconv.AppendInt(buf, idx, 10)
}

// alertKey is the key whose SET NX elects the one replica that raises
// unit u's alert for a window.
func (s *store) alertKey(u unit) string {
	buf := append([]byte(s.prefix), '{')
	buf = hex.AppendEncode(buf, u.s[:])
	buf = append(buf, "}:alert:"...)
	return string(append(buf, names[u.c]...))
}

// windowKeys appends the keys of the buckets of u's window at now.
func (s *store) windowKeys(keys []string, u unit, now int64) []string {
	idx := s.w.idx(u.c, now)
	var buf []byte
	for b := idx - buckets + 1; b <= idx; b++ {
		buf = s.key(buf[:0], u, b)
		keys = append(keys, string(buf))
	}
	return keys
}

// sum adds the counts of an MGET reply.
func sum(vals []any) int64 {
	var n int64
	for _, v := range vals {
		if str, ok := v.(string); ok {
			if x, err := strconv.ParseInt(str, 10, 64); err == nil {
				n += x
			}
		}
	}
	return n
}

// freshCache keeps, per principal and IP, the shared counts last read and
// when: a busy principal costs one Redis read per statsFresh, not one per
// message. The other replicas' counts then reach this replica's decisions
// up to statsFresh later; its own are always current (Stats takes the
// larger of the shared and the local count).
type freshCache struct {
	mu sync.Mutex
	m  map[who]freshEntry
}

type freshEntry struct {
	at int64 // unix nanoseconds, the Watch's clock
	v  [nCounters]int64
}

// freshStats is stats through the cache.
func (s *store) freshStats(ctx context.Context, k who, now int64) ([nCounters]int64, error) {
	ttl := int64(s.o.statsFresh)
	if ttl <= 0 {
		return s.stats(ctx, k, now)
	}
	s.fresh.mu.Lock()
	e, ok := s.fresh.m[k]
	s.fresh.mu.Unlock()
	if ok && now-e.at < ttl && now >= e.at {
		return e.v, nil
	}
	v, err := s.stats(ctx, k, now)
	if err != nil {
		return v, err
	}
	s.fresh.mu.Lock()
	if s.fresh.m == nil || len(s.fresh.m) >= DefaultFreshMax {
		s.fresh.m = make(map[who]freshEntry, 64) // bounded: start over
	}
	s.fresh.m[k] = freshEntry{at: now, v: v}
	s.fresh.mu.Unlock()
	return v, nil
}

// stats reads the shared windows of k's principal and IP in one pipeline.
func (s *store) stats(ctx context.Context, k who, now int64) ([nCounters]int64, error) {
	var v [nCounters]int64
	if !k.hasP && !k.hasI {
		return v, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.o.statsTimeout)
	defer cancel()
	pipe := s.c.Pipeline()
	var pc, ic *redis.SliceCmd
	if k.hasP {
		keys := make([]string, 0, 3*buckets)
		for _, c := range []counter{cPrincipalAuth, cPII, cSensitive} {
			keys = s.windowKeys(keys, unit{c, k.p}, now)
		}
		pc = pipe.MGet(ctx, keys...)
	}
	if k.hasI {
		ic = pipe.MGet(ctx, s.windowKeys(make([]string, 0, buckets), unit{cIPAuth, k.i}, now)...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return v, err
	}
	if pc != nil {
		vals := pc.Val()
		v[cPrincipalAuth] = sum(vals[:buckets])
		v[cPII] = sum(vals[buckets : 2*buckets])
		v[cSensitive] = sum(vals[2*buckets:])
	}
	if ic != nil {
		v[cIPAuth] = sum(ic.Val())
	}
	return v, nil
}

// run is the writer: it takes what is queued, up to DefaultBatch items,
// and writes it in one pipeline; while Redis is failing it probes it.
func (s *store) run() {
	defer close(s.done)
	t := time.NewTicker(s.o.probeEvery)
	defer t.Stop()
	batch := make([]*item, 0, DefaultBatch)
	for {
		select {
		case it := <-s.q:
			// The items behind this one are waited for a moment, so that
			// a busy proxy adds a principal's counts once per tens of
			// messages rather than once or twice.
			batch = append(batch[:0], it)
			wait := time.NewTimer(s.o.linger)
			var reply chan struct{}
		fill:
			for len(batch) < DefaultBatch {
				select {
				case it := <-s.q:
					batch = append(batch, it)
				case <-wait.C:
					break fill
				case reply = <-s.sync:
					break fill
				case <-s.stop: // drained below, once this batch is written
					break fill
				}
			}
			wait.Stop()
			s.flush(batch)
			if reply != nil {
				s.drain(batch)
				close(reply)
			}
		case <-t.C:
			s.probe()
		case reply := <-s.sync:
			s.drain(batch)
			close(reply)
		case <-s.stop:
			s.drain(batch)
			return
		}
	}
}

// drain writes everything queued, in batches.
func (s *store) drain(batch []*item) {
	for {
		batch = batch[:0]
	fill:
		for len(batch) < DefaultBatch {
			select {
			case it := <-s.q:
				batch = append(batch, it)
			default:
				break fill
			}
		}
		if len(batch) == 0 {
			return
		}
		s.flush(batch)
	}
}

// probe asks a failing Redis whether it is back once the backoff is over.
func (s *store) probe() {
	if !s.b.due(time.Now()) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.o.statsTimeout*4)
	defer cancel()
	if err := s.c.Ping(ctx).Err(); err != nil {
		s.b.trip(time.Now(), true)
		return
	}
	s.b.reset()
	s.w.log.Info("shared windows in Redis available again")
}

// pending is one key's increment in a batch.
type pending struct {
	n   int64
	ttl time.Duration
}

// flush writes a batch's increments, reads the windows it touched and
// raises the alerts of those at or over their thresholds, elected across
// replicas with SET NX. When Redis fails the batch is judged on this
// replica's windows.
func (s *store) flush(batch []*item) {
	if s.b.isOpen() {
		s.w.detectLocal(batch)
		return
	}
	w := s.w
	ctx, cancel := context.WithTimeout(context.Background(), s.o.flushTimeout)
	defer cancel()
	incr := make(map[string]pending)
	latest := make(map[unit]*item)
	var buf []byte
	for _, it := range batch {
		for c := counter(0); c < nCounters; c++ {
			if it.d[c] == 0 {
				continue
			}
			u, _ := it.k.unit(c)
			buf = s.key(buf[:0], u, w.idx(c, it.at))
			p := incr[string(buf)]
			p.n += it.d[c]
			p.ttl = w.win[c] + time.Duration(w.bucket[c])
			incr[string(buf)] = p
			latest[u] = it
		}
	}
	pipe := s.c.Pipeline()
	for k, p := range incr {
		pipe.IncrBy(ctx, k, p.n)
		pipe.PExpire(ctx, k, p.ttl)
	}
	now := w.now().UnixNano()
	reads := make(map[unit]*redis.SliceCmd, len(latest))
	for u := range latest {
		reads[u] = pipe.MGet(ctx, s.windowKeys(make([]string, 0, buckets), u, now)...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		s.fail(opObserve, err)
		w.detectLocal(batch)
		return
	}
	sums := make(map[unit]int64, len(reads))
	w.mem.mu.Lock()
	for u, r := range reads {
		sums[u] = max(sum(r.Val()), w.mem.peek(u, w.idx(u.c, now)))
	}
	w.mem.mu.Unlock()

	var cand []hit
	for u, it := range latest {
		if sums[u] < w.limit[u.c] {
			continue
		}
		h := hit{u: u, it: it}
		for c := counter(0); c < nCounters; c++ {
			if v, ok := it.k.unit(c); ok {
				h.sums[c] = sums[v]
			}
		}
		cand = append(cand, h)
	}
	if len(cand) == 0 {
		return
	}
	pipe = s.c.Pipeline()
	claims := make([]*redis.BoolCmd, len(cand))
	for i, h := range cand {
		claims[i] = pipe.SetNX(ctx, s.alertKey(h.u), 1, w.win[h.u.c])
	}
	if _, err := pipe.Exec(ctx); err != nil {
		s.fail(opObserve, err)
		w.detectLocal(batch)
		return
	}
	won := cand[:0]
	units := make([]unit, 0, len(cand))
	for i, h := range cand {
		units = append(units, h.u)
		if claims[i].Val() {
			won = append(won, h)
		}
	}
	w.suppress(units, now)
	w.raise(won)
}

// flushed waits until what was queued before the call is written.
func (s *store) flushed() {
	if s.closed.Load() {
		return
	}
	reply := make(chan struct{})
	select {
	case s.sync <- reply:
		<-reply
	case <-s.done:
	}
}

// close stops the writer after a last flush.
func (s *store) close() {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		close(s.stop)
		<-s.done
	})
}

// breaker keeps the request path off a failing Redis: open from the
// first failure until a probe by the writer succeeds, the probes spaced
// by a backoff doubling from min to max.
type breaker struct {
	min, max  time.Duration
	mu        sync.Mutex
	backoff   time.Duration
	openUntil atomic.Int64 // unix nanoseconds of the next probe; 0 when closed
}

func (b *breaker) isOpen() bool { return b.openUntil.Load() != 0 }

func (b *breaker) due(now time.Time) bool {
	u := b.openUntil.Load()
	return u != 0 && now.UnixNano() >= u
}

// trip opens the breaker; a failed probe doubles the backoff. It reports
// whether the breaker was closed.
func (b *breaker) trip(now time.Time, probe bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	wasClosed := b.openUntil.Load() == 0
	switch {
	case wasClosed:
		b.backoff = b.min
	case probe:
		b.backoff = min(2*b.backoff, b.max)
	default:
		return false // already open: keep the probe where it is
	}
	b.openUntil.Store(now.Add(b.backoff).UnixNano())
	return wasClosed
}

func (b *breaker) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.openUntil.Store(0)
	b.backoff = 0
}
