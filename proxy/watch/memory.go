package watch

import "sync"

// buckets is the number of sub-buckets per window. A window's count is
// the sum of its last buckets buckets (the current one included), so it
// spans between (buckets-1)/buckets of the window and the whole window.
const buckets = 20

// counter names one sliding window kept per subject.
type counter uint8

const (
	cPrincipalAuth counter = iota // 401/403 per principal, brute-force window
	cIPAuth                       // 401/403 per client IP, brute-force window
	cPII                          // records with personal data read per principal, bulk-export window
	cSensitive                    // values of the spike categories per principal, spike window
	cProbe                        // predicates testing a field the principal cannot read in clear, probe window
	nCounters
)

// names are the counters' short names in Redis keys.
var names = [nCounters]string{"pa", "ia", "pr", "ps", "pp"}

// subject is a truncated SHA-256 of a principal or an IP (with a
// one-byte domain separator): a bounded, identifier-free id.
type subject [16]byte

// unit is one window: a counter of one subject.
type unit struct {
	c counter
	s subject
}

// ring holds the counts of the last buckets buckets, head being the
// newest bucket index; slot head%buckets holds it.
type ring struct {
	head int64
	n    [buckets]int64
}

func (r *ring) add(idx, n int64) {
	switch d := idx - r.head; {
	case d >= buckets:
		r.n = [buckets]int64{}
		r.head = idx
	case d > 0:
		for i := r.head + 1; i <= idx; i++ {
			r.n[mod(i)] = 0
		}
		r.head = idx
	case d <= -buckets:
		return // older than the window: nothing to count
	}
	r.n[mod(idx)] += n
}

// sum is the count over the buckets (idx-buckets, idx].
func (r *ring) sum(idx int64) int64 {
	var s int64
	for k := int64(0); k < buckets; k++ {
		b := r.head - k
		if b <= idx-buckets {
			break
		}
		if b <= idx {
			s += r.n[mod(b)]
		}
	}
	return s
}

func mod(i int64) int64 {
	m := i % buckets
	if m < 0 {
		m += buckets
	}
	return m
}

// entry is one tracked unit, linked in least-recently-used order.
type entry struct {
	u          unit
	r          ring
	alertUntil int64 // unix nanoseconds: no alert for this unit before
	prev, next *entry
}

// memory is the replica's own windows: a map bounded to max units, the
// least recently used evicted first, so that a flood of random
// principals or IPs cannot grow it.
type memory struct {
	mu   sync.Mutex
	m    map[unit]*entry
	root entry // sentinel: root.next is the most recently used
	max  int
}

func newMemory(max int) *memory {
	m := &memory{m: make(map[unit]*entry), max: max}
	m.root.next, m.root.prev = &m.root, &m.root
	return m
}

// get returns the unit's entry, creating it (and reusing the least
// recently used one beyond max); it marks it used. Callers hold mu.
func (m *memory) get(u unit) *entry {
	if e := m.m[u]; e != nil {
		m.unlink(e)
		m.pushFront(e)
		return e
	}
	var e *entry
	if len(m.m) >= m.max {
		old := m.root.prev
		m.unlink(old)
		delete(m.m, old.u)
		e = old
		*e = entry{}
	} else {
		e = new(entry)
	}
	e.u = u
	m.m[u] = e
	m.pushFront(e)
	return e
}

func (m *memory) unlink(e *entry) {
	e.prev.next = e.next
	e.next.prev = e.prev
	e.prev, e.next = nil, nil
}

func (m *memory) pushFront(e *entry) {
	e.prev = &m.root
	e.next = m.root.next
	m.root.next.prev = e
	m.root.next = e
}

// peek is the unit's count at bucket idx without creating or touching it.
// Callers hold mu.
func (m *memory) peek(u unit, idx int64) int64 {
	if e := m.m[u]; e != nil {
		return e.r.sum(idx)
	}
	return 0
}

// len is the number of tracked units.
func (m *memory) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.m)
}
