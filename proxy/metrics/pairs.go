package metrics

// PairCounts adds up a message's counts per pair of labels, so that a
// counter vector is looked up once per pair rather than once per event
// (a finding, an action); a message has a handful of pairs. The zero
// value is ready to use.
type PairCounts struct {
	pairs []labelPair
}

type labelPair struct {
	a, b string
	n    int
}

// Inc counts one event of the pair (a, b).
func (c *PairCounts) Inc(a, b string) {
	for i := range c.pairs {
		if c.pairs[i].a == a && c.pairs[i].b == b {
			c.pairs[i].n++
			return
		}
	}
	if c.pairs == nil {
		c.pairs = make([]labelPair, 0, 8) // a message's pairs, at once rather than by doublings
	}
	c.pairs = append(c.pairs, labelPair{a, b, 1})
}

// Add adds the counts to v, whose two labels take the pairs in the order
// given to Inc.
func (c *PairCounts) Add(v *CounterVec) {
	for _, p := range c.pairs {
		v.WithLabelValues(p.a, p.b).Add(float64(p.n))
	}
}
