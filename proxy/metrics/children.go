package metrics

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// CounterVec and HistogramVec are client_golang's vectors with their
// children remembered by label values. client_golang hashes the values
// byte by byte and compares them on every WithLabelValues; a message asks
// for the same dozen children every time, so they are looked up in a map
// read without locking instead. The children are the vector's own: every
// count and observation lands in the series it always did.
type CounterVec struct {
	*prometheus.CounterVec
	kids children[prometheus.Counter]
}

// HistogramVec: see CounterVec.
type HistogramVec struct {
	*prometheus.HistogramVec
	kids children[prometheus.Observer]
}

// WithLabelValues is prometheus.CounterVec.WithLabelValues, remembered.
func (v *CounterVec) WithLabelValues(lvs ...string) prometheus.Counter {
	if c, ok := v.kids.load(lvs); ok {
		return c
	}
	c := v.CounterVec.WithLabelValues(slices.Clone(lvs)...)
	v.kids.store(lvs, c)
	return c
}

// WithLabelValues is prometheus.HistogramVec.WithLabelValues, remembered.
func (v *HistogramVec) WithLabelValues(lvs ...string) prometheus.Observer {
	if o, ok := v.kids.load(lvs); ok {
		return o
	}
	o := v.HistogramVec.WithLabelValues(slices.Clone(lvs)...)
	v.kids.store(lvs, o)
	return o
}

// maxChildren bounds what one vector remembers. Veil's labels are bounded
// (routes, directions, stages, categories, detectors, actions, codes), so
// this is never reached in practice; past it, children are looked up the
// way client_golang does, every time.
const maxChildren = 1024

// labelKey is up to three label values and how many there are, so that a
// call with the wrong number of values is never answered from the map
// (client_golang panics on it).
type labelKey struct {
	n int
	v [3]string
}

// children is a copy-on-write map: readers load it without locking, a
// miss copies it with the new child (a vector has a few dozen children,
// all met in the first minutes).
type children[T any] struct {
	m  atomic.Pointer[map[labelKey]T]
	mu sync.Mutex
}

func keyOf(lvs []string) (labelKey, bool) {
	k := labelKey{n: len(lvs)}
	if len(lvs) > len(k.v) {
		return k, false
	}
	copy(k.v[:], lvs)
	return k, true
}

func (c *children[T]) load(lvs []string) (T, bool) {
	var zero T
	k, ok := keyOf(lvs)
	m := c.m.Load()
	if !ok || m == nil {
		return zero, false
	}
	t, ok := (*m)[k]
	return t, ok
}

func (c *children[T]) store(lvs []string, t T) {
	k, ok := keyOf(lvs)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var old map[labelKey]T
	if p := c.m.Load(); p != nil {
		old = *p
	}
	if _, ok := old[k]; ok || len(old) >= maxChildren {
		return
	}
	m := make(map[labelKey]T, len(old)+1)
	for key, v := range old {
		m[key] = v
	}
	m[k] = t
	c.m.Store(&m)
}
