// Package metrics owns every Prometheus collector of Veil. Collectors are
// registered on an injected Registerer (never the global default), under the
// namespace "veil" with a subsystem per stage, and carry only bounded labels:
// route, direction, outcome, stage, category, detector, action, code, result
// — never a user, a path or a value.
package metrics

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
)

const namespace = "veil"

// Metrics holds every collector.
type Metrics struct {
	Requests       *prometheus.CounterVec   // veil_proxy_requests_total{route,direction,outcome}
	StageDuration  *prometheus.HistogramVec // veil_pipeline_stage_duration_seconds{route,direction,stage}
	Findings       *prometheus.CounterVec   // veil_detect_findings_total{category,detector}
	Actions        *prometheus.CounterVec   // veil_transform_actions_total{action,category}
	PolicyEvals    *prometheus.CounterVec   // veil_policy_evaluations_total{result}
	PolicyDuration prometheus.Histogram     // veil_policy_evaluation_duration_seconds
	Blocks         *prometheus.CounterVec   // veil_proxy_blocked_total{route,direction,code}
	FailOpen       *prometheus.CounterVec   // veil_proxy_fail_open_total{route,direction,code}
	UpstreamErrors *prometheus.CounterVec   // veil_upstream_errors_total{route,kind}
	BodyBytes      *prometheus.HistogramVec // veil_proxy_inspected_body_bytes{route,direction}
	Inflight       prometheus.Gauge         // veil_proxy_inflight_requests
	BuildInfo      *prometheus.GaugeVec     // veil_build_info{version,goversion} = 1
}

// Pipeline stages are microseconds to milliseconds: 10µs … ~5s.
var stageBuckets = prometheus.ExponentialBuckets(10e-6, 2.5, 15)

// New registers every collector on reg. Like MustRegister it panics when a
// collector is already registered there: build one Metrics per registry.
func New(reg prometheus.Registerer, version string) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "proxy", Name: "requests_total",
			Help: "Messages handled, by route, direction and outcome (allowed, transformed, blocked, passthrough).",
		}, []string{"route", "direction", "outcome"}),
		StageDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "pipeline", Name: "stage_duration_seconds",
			Help:    "Time spent in each pipeline stage (detect, decide, transform) per message.",
			Buckets: stageBuckets, NativeHistogramBucketFactor: 1.1,
		}, []string{"route", "direction", "stage"}),
		Findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "detect", Name: "findings_total",
			Help: "Personal data found, by category and detector.",
		}, []string{"category", "detector"}),
		Actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "transform", Name: "actions_total",
			Help: "Actions applied to findings, by action and category.",
		}, []string{"action", "category"}),
		PolicyEvals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "policy", Name: "evaluations_total",
			Help: "Policy evaluations by result (allow, deny, error).",
		}, []string{"result"}),
		PolicyDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "policy", Name: "evaluation_duration_seconds",
			Help:    "Time of one policy evaluation.",
			Buckets: stageBuckets, NativeHistogramBucketFactor: 1.1,
		}),
		Blocks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "proxy", Name: "blocked_total",
			Help: "Messages refused, by route, direction and stable error code.",
		}, []string{"route", "direction", "code"}),
		FailOpen: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "proxy", Name: "fail_open_total",
			Help: "Messages forwarded uninspected because their route is configured on_error: allow, by stable error code.",
		}, []string{"route", "direction", "code"}),
		UpstreamErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "upstream", Name: "errors_total",
			Help: "Failed round trips to the CRM, by route and kind (transport, timeout, canceled).",
		}, []string{"route", "kind"}),
		BodyBytes: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "proxy", Name: "inspected_body_bytes",
			Help:    "Decoded size of inspected bodies.",
			Buckets: prometheus.ExponentialBuckets(256, 4, 10),
		}, []string{"route", "direction"}),
		Inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "proxy", Name: "inflight_requests",
			Help: "Requests being served.",
		}),
		BuildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "build_info",
			Help: "Always 1; labels say which build is running.",
		}, []string{"version", "goversion"}),
	}
	reg.MustRegister(m.Requests, m.StageDuration, m.Findings, m.Actions, m.PolicyEvals, m.PolicyDuration,
		m.Blocks, m.FailOpen, m.UpstreamErrors, m.BodyBytes, m.Inflight, m.BuildInfo)
	m.BuildInfo.WithLabelValues(version, runtime.Version()).Set(1)
	// Results are known up front: pre-initialise them so rate() sees zeros.
	for _, r := range []string{"allow", "deny", "error"} {
		m.PolicyEvals.WithLabelValues(r)
	}
	return m
}
