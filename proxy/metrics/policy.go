package metrics

import "github.com/prometheus/client_golang/prometheus"

// PolicyEngineStats is what the policy engine counts, copied from
// policy.Stats so that this leaf package imports nothing of Veil's.
type PolicyEngineStats struct {
	CacheHits, CacheMisses                                            uint64
	Reloads, ReloadFailures                                           uint64
	ShadowEvaluations, ShadowDifferences, ShadowErrors, ShadowSkipped uint64
	Revision, ShadowRevision                                          string
}

// policyCollector reads the engine's counters once per scrape.
type policyCollector struct {
	read                            func() PolicyEngineStats
	cache, reloads, shadow, bundles *prometheus.Desc
}

// RegisterPolicyEngine exports the engine's counters:
//
//	veil_policy_cache_lookups_total{result="hit|miss"}
//	veil_policy_reloads_total{result="ok|error"}
//	veil_policy_shadow_decisions_total{result="same|different|error|skipped"}
//	veil_policy_bundle_info{revision, shadow_revision} 1
func RegisterPolicyEngine(reg prometheus.Registerer, read func() PolicyEngineStats) {
	name := func(n string) string { return prometheus.BuildFQName(namespace, "policy", n) }
	reg.MustRegister(&policyCollector{
		read: read,
		cache: prometheus.NewDesc(name("cache_lookups_total"),
			"Decision cache lookups: hit (answered without evaluating) or miss.", []string{"result"}, nil),
		reloads: prometheus.NewDesc(name("reloads_total"),
			"Policy bundle reloads: ok (swapped in) or error (refused; the previous bundle keeps serving).", []string{"result"}, nil),
		shadow: prometheus.NewDesc(name("shadow_decisions_total"),
			"Dry-run decisions of the shadow bundle compared with the enforced ones: same, different, error, or skipped (queue full).", []string{"result"}, nil),
		bundles: prometheus.NewDesc(name("bundle_info"),
			"Always 1; the labels are the revisions of the enforced and the shadow bundle (empty without one).", []string{"revision", "shadow_revision"}, nil),
	})
}

func (c *policyCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.cache
	ch <- c.reloads
	ch <- c.shadow
	ch <- c.bundles
}

func (c *policyCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.read()
	counter := func(d *prometheus.Desc, v uint64, label string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), label)
	}
	counter(c.cache, s.CacheHits, "hit")
	counter(c.cache, s.CacheMisses, "miss")
	counter(c.reloads, s.Reloads, "ok")
	counter(c.reloads, s.ReloadFailures, "error")
	same := s.ShadowEvaluations - min(s.ShadowEvaluations, s.ShadowDifferences+s.ShadowErrors)
	counter(c.shadow, same, "same")
	counter(c.shadow, s.ShadowDifferences, "different")
	counter(c.shadow, s.ShadowErrors, "error")
	counter(c.shadow, s.ShadowSkipped, "skipped")
	ch <- prometheus.MustNewConstMetric(c.bundles, prometheus.GaugeValue, 1, s.Revision, s.ShadowRevision)
}
