package pipeline

import (
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/crm"
)

// recordInfo is what the walk learns of one record of a message.
type recordInfo struct {
	object, id string
	pointer    string // the record's own pointer in the body
	consent    map[string]bool
	seen       bool // the walk met the record
	listed     bool // in the policy input's records already
}

// recordTable holds a message's records by index (a page's records are
// numbered from 0, in order). It is built to cost a few allocations per
// message rather than several per record: ids go to one buffer and become
// strings at the end, objects repeat the previous record's string when
// they are the same, and consent flags are collected in one list and
// turned into maps shared by the records whose flags are the same (the
// policy only reads them).
type recordTable struct {
	recs   []recordInfo
	sparse map[int]*recordInfo // records far past the dense ones: a hostile body's index must not size recs
	ids    []byte              // every record's id, in turn
	idEnds []idSpan            // where each record's id is in ids
	flags  []flagSet           // consent flags, in the order the walk met them

	// Nested records (crm.RecordOf: a composite subresponse's, a
	// subquery's) are numbered from nestedBase as the walk meets them,
	// known by their path; the last one met is kept by its segments, so
	// that a record's values, which come one after the other, build and
	// look up its key once.
	nested map[string]int
	last   []pathSeg
	names  []byte
	lastN  int

	budget *inspectBudget // nil: no budget, no context (budget.go)
}

// records are recordTables kept between messages: a page's table grows
// to its records, its ids and its flags, and the next page reuses it.
var recordTables = sync.Pool{New: func() any { return new(recordTable) }}

func getRecords() *recordTable { return recordTables.Get().(*recordTable) }

// putRecords empties t (nothing of a message is left in it) and keeps
// it, unless one huge message grew it.
func putRecords(t *recordTable) {
	if cap(t.recs) > maxPooledLeaves || cap(t.ids) > maxPooledBytes || cap(t.idEnds) > maxPooledLeaves || cap(t.flags) > maxPooledLeaves {
		return
	}
	clear(t.recs[:cap(t.recs)])
	clear(t.flags[:cap(t.flags)])
	*t = recordTable{recs: t.recs[:0], ids: t.ids[:0], idEnds: t.idEnds[:0], flags: t.flags[:0], last: t.last[:0], names: t.names[:0]}
	recordTables.Put(t)
}

// nestedBase is the first index of a nested record: far above any index
// a list of records in a body can reach (a 4 GiB stream holds fewer
// elements), and exact in a policy's numbers (below 2^53).
const nestedBase = 1 << 40

type pathSeg struct{ from, to, index int } // a name in names, or an index (from < 0)

// Nested numbers the nested record the first depth segments of p lead
// to (crm.Numberer).
func (t *recordTable) Nested(p crm.Path, depth int) int {
	if t.nested != nil && t.sameLast(p, depth) {
		return t.lastN
	}
	t.last, t.names = t.last[:0], t.names[:0]
	var key []byte
	for i := range depth {
		k, idx := p.Seg(i)
		if k == nil {
			t.last = append(t.last, pathSeg{-1, -1, idx})
			key = strconv.AppendInt(append(key, "/#"...), int64(idx), 10)
			continue
		}
		from := len(t.names)
		t.names = append(t.names, k...)
		t.last = append(t.last, pathSeg{from, len(t.names), 0})
		key = append(append(key, "/k"...), body.EscapePointerToken(string(k))...)
	}
	if t.nested == nil {
		t.nested = map[string]int{}
	}
	n, ok := t.nested[string(key)]
	if !ok {
		n = nestedBase + len(t.nested)
		t.nested[string(key)] = n
	}
	t.lastN = n
	return n
}

// sameLast reports whether p's first depth segments are the last nested
// record's.
func (t *recordTable) sameLast(p crm.Path, depth int) bool {
	if len(t.last) != depth {
		return false
	}
	for i := depth - 1; i >= 0; i-- { // indexes differ soonest at the end
		s := t.last[i]
		k, idx := p.Seg(i)
		if k == nil {
			if s.from >= 0 || s.index != idx {
				return false
			}
		} else if s.from < 0 || string(k) != string(t.names[s.from:s.to]) {
			return false
		}
	}
	return true
}

// isNested reports whether record index i is a nested record's.
func isNested(i int) bool { return i >= nestedBase }

// tick counts a value or record met by a walk and, every so often, says
// whether inspection must stop: the client went away, or the message's
// inspection budget is spent (budget.go).
func (t *recordTable) tick() error { return t.budget.tick() }

type idSpan struct{ rec, from, to int }

type flagSet struct {
	rec   int
	key   string
	value bool
}

// at returns record i, adding it (and any before it) when it is new. The
// pointer is valid until the next call with a larger index.
func (t *recordTable) at(i int) *recordInfo {
	var r *recordInfo
	switch {
	case i < len(t.recs):
		r = &t.recs[i]
	case i <= len(t.recs)+denseGap:
		t.recs = slices.Grow(t.recs, i+1-len(t.recs))[:i+1]
		r = &t.recs[i]
	default:
		if r = t.sparse[i]; r == nil {
			if t.sparse == nil {
				t.sparse = map[int]*recordInfo{}
			}
			r = &recordInfo{}
			t.sparse[i] = r
		}
	}
	r.seen = true
	return r
}

// denseGap is how far past the last dense record a new one may be and
// still be kept densely.
const denseGap = 64

// get returns record i, or nil when the walk never met it.
func (t *recordTable) get(i int) *recordInfo {
	switch {
	case i < 0:
		return nil
	case i < len(t.recs):
		if !t.recs[i].seen {
			return nil
		}
		return &t.recs[i]
	}
	return t.sparse[i]
}

func (t *recordTable) setID(i int, id []byte) {
	t.at(i)
	from := len(t.ids)
	t.ids = append(t.ids, id...)
	t.idEnds = append(t.idEnds, idSpan{i, from, len(t.ids)})
}

func (t *recordTable) setObject(i int, object []byte) {
	r := t.at(i)
	if string(object) == "AggregateResult" {
		// A GROUP BY row sums up records of the query's object without
		// saying which: its object stays unknown, so consent reads it as
		// carrying every flag.
		return
	}
	if prev := t.get(i - 1); prev != nil && prev.object == string(object) {
		r.object = prev.object
		return
	}
	r.object = string(object)
}

func (t *recordTable) setFlag(i int, key string, value bool) {
	t.at(i)
	t.flags = append(t.flags, flagSet{i, key, value})
}

// finish turns the ids into strings and the flags into maps.
func (t *recordTable) finish() {
	if len(t.idEnds) > 0 {
		all := string(t.ids)
		for _, s := range t.idEnds {
			t.get(s.rec).id = all[s.from:s.to]
		}
	}
	if len(t.flags) == 0 {
		return
	}
	// A record's flags: the later of two for one key wins, as map
	// assignment would. Flags are grouped by record (a record met twice
	// is merged); the sort is stable, so the walk's order holds within.
	slices.SortStableFunc(t.flags, func(a, b flagSet) int { return a.rec - b.rec })
	var (
		shared = map[string]map[string]bool{}
		one    []flagSet // one record's flags, one per key, sorted by key
		sig    []byte
	)
	for lo := 0; lo < len(t.flags); {
		hi := lo
		for hi < len(t.flags) && t.flags[hi].rec == t.flags[lo].rec {
			hi++
		}
		one = one[:0]
		for _, f := range t.flags[lo:hi] {
			k, found := slices.BinarySearchFunc(one, f.key, func(a flagSet, key string) int { return strings.Compare(a.key, key) })
			if found {
				one[k].value = f.value
			} else {
				one = slices.Insert(one, k, f)
			}
		}
		sig = sig[:0]
		for _, f := range one {
			sig = append(sig, f.key...)
			if f.value {
				sig = append(sig, "=1;"...)
			} else {
				sig = append(sig, "=0;"...)
			}
		}
		m, ok := shared[string(sig)]
		if !ok {
			m = make(map[string]bool, len(one))
			for _, f := range one {
				m[f.key] = f.value
			}
			shared[string(sig)] = m
		}
		t.get(t.flags[lo].rec).consent = m
		lo = hi
	}
}
