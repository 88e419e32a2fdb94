package metrics

import "github.com/prometheus/client_golang/prometheus"

// Forward holds forward mode's collectors (RegisterForward).
type Forward struct {
	Connects *prometheus.CounterVec // veil_forward_connects_total{decision}
}

// RegisterForward registers forward mode's collectors on reg: CONNECT
// decisions (mitm, tunnel, refused, websocket_refused) and the leaf
// certificate cache's hits and misses, read from leafStats at scrape time.
func RegisterForward(reg prometheus.Registerer, leafStats func() (hits, misses uint64)) *Forward {
	f := &Forward{Connects: counterVec("forward", "connects_total",
		"Forward-mode decisions by decision: mitm (CRM host, inspected), tunnel (allowlisted, untouched), refused, websocket_refused.",
		"decision")}
	leaf := func(hit bool) prometheus.CounterFunc {
		result := "miss"
		if hit {
			result = "hit"
		}
		return prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "forward", Name: "leaf_cache_total",
			Help:        "Leaf certificate lookups in the forward-mode cache, by result (hit, miss: minted).",
			ConstLabels: prometheus.Labels{"result": result},
		}, func() float64 {
			if leafStats == nil {
				return 0
			}
			h, m := leafStats()
			if hit {
				return float64(h)
			}
			return float64(m)
		})
	}
	reg.MustRegister(f.Connects, leaf(true), leaf(false))
	return f
}
