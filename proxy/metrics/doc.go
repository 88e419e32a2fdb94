// Package metrics owns every Prometheus collector of Veil. New registers
// them on an injected Registerer (never the global default), under the
// namespace "veil" with a subsystem per stage (proxy, pipeline, detect,
// transform, policy, upstream), with units in the names (_total, _seconds,
// _bytes) and only bounded labels: route, direction, outcome, stage,
// category, detector, action, code, result, kind — never a user, a path or
// a value. Histograms carry classic buckets for the text format and native
// buckets for scrapers that negotiate protobuf.
package metrics
