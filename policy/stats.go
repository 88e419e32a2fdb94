package policy

import "sync/atomic"

// Stats are the engine's counters since it started, for metrics.
type Stats struct {
	CacheHits         uint64 // decisions answered from the cache
	CacheMisses       uint64 // decisions evaluated with the cache on
	Errors            uint64 // decisions that failed (fail closed)
	Reloads           uint64 // bundles swapped in by Reload
	ReloadFailures    uint64 // bundles Reload refused
	ShadowEvaluations uint64 // shadow decisions made
	ShadowDifferences uint64 // shadow decisions that differed from the enforced one
	ShadowErrors      uint64 // shadow decisions that failed
	ShadowSkipped     uint64 // comparisons skipped because the shadow queue was full
}

type counters struct {
	cacheHits, cacheMisses, errors, reloads, reloadFailures           atomic.Uint64
	shadowEvaluations, shadowDifferences, shadowErrors, shadowSkipped atomic.Uint64
}

// Stats returns the counters.
func (e *Engine) Stats() Stats {
	s := &e.stats
	return Stats{
		CacheHits: s.cacheHits.Load(), CacheMisses: s.cacheMisses.Load(), Errors: s.errors.Load(),
		Reloads: s.reloads.Load(), ReloadFailures: s.reloadFailures.Load(),
		ShadowEvaluations: s.shadowEvaluations.Load(), ShadowDifferences: s.shadowDifferences.Load(),
		ShadowErrors: s.shadowErrors.Load(), ShadowSkipped: s.shadowSkipped.Load(),
	}
}
