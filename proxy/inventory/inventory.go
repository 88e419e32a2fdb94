package inventory

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// Directions of a message (the pipeline's vocabulary).
const (
	DirectionRequest  = "request"
	DirectionResponse = "response"
)

// Unnamed replaces a field or object name that does not look like a
// name, so that a value used as a JSON key is never kept.
const Unnamed = "[unnamed]"

// MaxName bounds a kept name, in bytes; a longer one is Unnamed.
const MaxName = 128

const (
	dirRequest uint8 = 1 << iota
	dirResponse
)

type key struct{ route, object, field, category string }

type entry struct {
	dirs        uint8
	count       int64
	first, last int64 // Unix nanoseconds

	// What Flush has written to Redis.
	flushedCount int64
	flushedDirs  uint8
}

// Inventory is the data map learned from traffic. Its methods are safe
// for concurrent use. It never holds a value: the pipeline hands it names
// (the CRM's field names such as "Email", "SSN__c", "properties.email")
// and counts; a name that does not look like a field name is recorded as
// Unnamed. Observe and ObserveBatch sit on the request path: one mutex,
// one map lookup per combination, no allocation once the combination is
// known. At its maximum it refuses new combinations and counts the
// refusals (Report.Truncated), while known combinations keep counting.
// The coverage view (Cover) is bounded by closed sets of formats, reasons
// and directions and by MaxCoverageRoutes route names; anything else
// counts as "other". With WithRedis, Run flushes off the request path in
// one MULTI/EXEC, and Handler serves the map and coverage merged across
// replicas, falling back to this replica's own (saying so) when Redis
// fails; WriteTable and WriteCoverageTable print the same tables for the
// CLI.
type Inventory struct {
	max   int
	gauge prometheus.Gauge
	now   func() time.Time

	rdb    redis.UniversalClient // nil: local only
	prefix string

	mu             sync.Mutex
	m              map[key]*entry
	refused        int64
	refusedFlushed int64

	cover       map[coverKey]*coverRow // coverage.go
	coverRoutes map[string]struct{}    // the route names cover keeps

	// byField indexes the categories of m by route and lower-cased field
	// name, across objects and directions (Categories).
	byField map[fieldKey][]string
}

type fieldKey struct{ route, field string }

// New returns an empty inventory keeping at most max combinations (max
// <= 0: config.DefaultInventoryMax, 10000). gauge, if not nil, follows
// the number of combinations (veil_inventory_entries).
func New(max int, gauge prometheus.Gauge) *Inventory {
	if max <= 0 {
		max = 10000
	}
	if gauge != nil {
		gauge.Set(0)
	}
	return &Inventory{max: max, gauge: gauge, now: time.Now, m: make(map[key]*entry), byField: make(map[fieldKey][]string),
		cover: make(map[coverKey]*coverRow), coverRoutes: make(map[string]struct{})}
}

// Observation is one field's findings of one category in a message.
type Observation struct {
	Field    string
	Category string
	N        int    // findings; <= 0 is ignored
	Object   string // the record's object when it differs from the message's (composite, multi-object bodies)
}

// Observe records n findings of category in field of a message of route
// and object going in direction.
func (inv *Inventory) Observe(route, direction, object, field, category string, n int) {
	if inv == nil || n <= 0 {
		return
	}
	now := inv.now().UnixNano()
	inv.mu.Lock()
	inv.observe(key{route, object, field, category}, dirBit(direction), int64(n), now)
	inv.mu.Unlock()
}

// Categories returns the categories the inventory has seen field hold on
// route, in any object and either direction, the name matched in any
// case: what traffic has taught Veil the field holds beyond its name's
// hint (a TaxRef__c seen holding SSNs). nil when none; the slice is the
// caller's.
func (inv *Inventory) Categories(route, field string) []string {
	if inv == nil {
		return nil
	}
	fk := fieldKey{route, strings.ToLower(field)}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return slices.Clone(inv.byField[fk])
}

// ObserveBatch is Observe for every observation of one message, under
// one lock.
func (inv *Inventory) ObserveBatch(route, direction, object string, obs []Observation) {
	if inv == nil || len(obs) == 0 {
		return
	}
	d := dirBit(direction)
	now := inv.now().UnixNano()
	inv.mu.Lock()
	for _, o := range obs {
		if o.N > 0 {
			inv.observe(key{route, cmp.Or(o.Object, object), o.Field, o.Category}, d, int64(o.N), now)
		}
	}
	inv.mu.Unlock()
}

// observe runs under inv.mu.
func (inv *Inventory) observe(k key, d uint8, n, now int64) {
	if e := inv.m[k]; e != nil {
		e.add(d, n, now)
		return
	}
	// Not known: check the names (a value used as a name becomes
	// Unnamed, which may be known).
	k = key{name(k.route), name(k.object), name(k.field), name(k.category)}
	if e := inv.m[k]; e != nil {
		e.add(d, n, now)
		return
	}
	if len(inv.m) >= inv.max {
		inv.refused++
		return
	}
	// Copy the names so that the map never pins the buffer (a body) they
	// may have been cut from.
	k = key{strings.Clone(k.route), strings.Clone(k.object), strings.Clone(k.field), strings.Clone(k.category)}
	inv.m[k] = &entry{dirs: d, count: n, first: now, last: now}
	fk := fieldKey{k.route, strings.ToLower(k.field)}
	if cats := inv.byField[fk]; !slices.Contains(cats, k.category) {
		inv.byField[fk] = append(cats, k.category)
	}
	if inv.gauge != nil {
		inv.gauge.Set(float64(len(inv.m)))
	}
}

func (e *entry) add(d uint8, n, now int64) {
	e.dirs |= d
	e.count += n
	if now > e.last {
		e.last = now
	}
	if now < e.first {
		e.first = now
	}
}

func dirBit(direction string) uint8 {
	switch direction {
	case DirectionRequest:
		return dirRequest
	case DirectionResponse:
		return dirResponse
	}
	return 0
}

// name returns s if it looks like a field, object, route or category
// name, Unnamed if not. A name has at most MaxName bytes of letters,
// digits and "_.-:/$[]#", and at least one letter: an e-mail address
// ('@'), a person's full name (' '), a phone number ('+', no letter) or
// an SSN (no letter) used as a JSON key is not a name. "" stays "".
func name(s string) string {
	if s == "" {
		return ""
	}
	if len(s) > MaxName {
		return Unnamed
	}
	letter := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9', strings.IndexByte("_.-:/$[]#", c) >= 0:
		default:
			return Unnamed
		}
	}
	if !letter {
		return Unnamed
	}
	return s
}

// Entry is one route/object/field/category combination.
type Entry struct {
	Route      string    `json:"route"`
	Object     string    `json:"object"`
	Field      string    `json:"field"`
	Category   string    `json:"category"`
	Directions []string  `json:"directions"` // "request", "response": where the findings were seen
	Count      int64     `json:"count"`      // findings
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
}

// Report is a snapshot of the inventory.
type Report struct {
	GeneratedAt time.Time `json:"generated_at"`
	// Source is "local" (this process) or "redis" (merged across the
	// replicas sharing the Redis).
	Source     string `json:"source"`
	Note       string `json:"note,omitempty"` // why a shared report fell back to local
	MaxEntries int    `json:"max_entries"`
	// Truncated counts the observations of new combinations refused
	// because the inventory was full (0: the map is complete).
	Truncated int64   `json:"truncated"`
	Entries   []Entry `json:"entries"`
	// Coverage is what Veil read of the bodies it let through, per
	// route, direction and format (coverage.go), sorted by those.
	Coverage []Coverage `json:"coverage"`
}

// Snapshot returns the inventory's entries sorted by route, object,
// field and category, and its coverage sorted by route, direction and
// format.
func (inv *Inventory) Snapshot() Report {
	now := inv.now().UTC()
	inv.mu.Lock()
	r := Report{GeneratedAt: now, Source: SourceLocal, MaxEntries: inv.max, Truncated: inv.refused, Entries: make([]Entry, 0, len(inv.m))}
	for k, e := range inv.m {
		r.Entries = append(r.Entries, Entry{
			Route: k.route, Object: k.object, Field: k.field, Category: k.category,
			Directions: directions(e.dirs), Count: e.count,
			FirstSeen: time.Unix(0, e.first).UTC(), LastSeen: time.Unix(0, e.last).UTC(),
		})
	}
	r.Coverage = inv.coverageRows()
	inv.mu.Unlock()
	SortEntries(r.Entries)
	SortCoverage(r.Coverage)
	return r
}

// SortEntries sorts entries by route, object, field and category.
func SortEntries(es []Entry) {
	slices.SortFunc(es, func(a, b Entry) int {
		return cmp.Or(
			strings.Compare(a.Route, b.Route),
			strings.Compare(a.Object, b.Object),
			strings.Compare(a.Field, b.Field),
			strings.Compare(a.Category, b.Category),
		)
	})
}

// Len is the number of combinations kept.
func (inv *Inventory) Len() int {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	return len(inv.m)
}

func directions(d uint8) []string {
	out := make([]string, 0, 2)
	if d&dirRequest != 0 {
		out = append(out, DirectionRequest)
	}
	if d&dirResponse != 0 {
		out = append(out, DirectionResponse)
	}
	return out
}
