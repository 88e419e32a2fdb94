package metrics

import (
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/veil-proxy/veil/proxy/audit"
)

const namespace = "veil"

// Label values known up front, pre-initialised so that rate() and
// absent-series alerts see zeros before the first event.
var (
	directions         = []string{"request", "response"}
	outcomes           = []string{audit.OutcomeAllowed, audit.OutcomeTransformed, audit.OutcomeBlocked, audit.OutcomePassthrough}
	policyResults      = []string{"allow", "deny", "error"}
	upstreamErrorKinds = []string{"transport", "timeout", "canceled"}
	vaultCallResults   = map[string][]string{"tokenize": {"ok", "error"}, "detokenize": {"ok", "error"}, "forget": {"ok", "error"}}
	vaultValueResults  = map[string][]string{"tokenize": {"tokenized"}, "detokenize": {"revealed", "erased", "unknown", "unavailable", "mismatch"}, "forget": {"erased"}}
)

// Metrics holds every collector. Label names are given per field.
type Metrics struct {
	Requests       *CounterVec              // veil_proxy_requests_total{route,direction,outcome}
	StageDuration  *HistogramVec            // veil_pipeline_stage_duration_seconds{route,direction,stage}
	Findings       *CounterVec              // veil_detect_findings_total{category,detector}
	Actions        *CounterVec              // veil_transform_actions_total{action,category}
	PolicyEvals    *CounterVec              // veil_policy_evaluations_total{result}
	PolicyDuration prometheus.Histogram     // veil_policy_evaluation_duration_seconds
	Blocks         *prometheus.CounterVec   // veil_proxy_blocked_total{route,direction,code}
	FailOpen       *prometheus.CounterVec   // veil_proxy_fail_open_total{route,direction,code}
	Uninspected    *prometheus.CounterVec   // veil_proxy_uninspected_total{route,direction,format}
	UpstreamErrors *prometheus.CounterVec   // veil_upstream_errors_total{route,kind}
	BodyBytes      *HistogramVec            // veil_proxy_inspected_body_bytes{route,direction}
	Streamed       *prometheus.CounterVec   // veil_proxy_streamed_total{route,outcome}
	StreamChunks   *prometheus.CounterVec   // veil_proxy_stream_chunks_total{route}
	Inflight       prometheus.Gauge         // veil_proxy_inflight_requests
	BuildInfo      prometheus.Gauge         // veil_build_info{version,goversion}, always 1
	VaultCalls     *prometheus.CounterVec   // veil_vault_calls_total{op,result}
	VaultValues    *prometheus.CounterVec   // veil_vault_values_total{op,result}
	VaultDuration  *prometheus.HistogramVec // veil_vault_call_duration_seconds{op}

	// Audit events and alerts on their way to the streams; stream is
	// "audit" or "alerts" (the logical stream, not its configured name).
	AuditQueued      *prometheus.CounterVec   // veil_audit_events_queued_total{stream}
	AuditSpooled     *prometheus.CounterVec   // veil_audit_events_spooled_total{stream}
	AuditWritten     *prometheus.CounterVec   // veil_audit_events_written_total{stream,sink}
	AuditDropped     *prometheus.CounterVec   // veil_audit_events_dropped_total{stream,reason}
	AuditWriteErrors *prometheus.CounterVec   // veil_audit_write_errors_total{stream,sink}
	AuditQueueLength *prometheus.GaugeVec     // veil_audit_queue_events{stream}
	AuditSpoolBytes  *prometheus.GaugeVec     // veil_audit_spool_bytes{stream}
	AuditWriteTime   *prometheus.HistogramVec // veil_audit_write_duration_seconds{stream,sink}

	Alerts           *prometheus.CounterVec // veil_alerts_total{kind,severity}
	WatchStoreErrors *prometheus.CounterVec // veil_watch_store_errors_total{op}
	InventoryEntries prometheus.Gauge       // veil_inventory_entries
}

// Audit label values, pre-initialised: dropped must read 0, not absent.
var (
	auditStreams     = []string{"audit", "alerts"}
	auditSinks       = []string{"redis", "file"}
	auditDropReasons = []string{"spool_full", "queue_full", "encode"}
)

// durationBuckets span pipeline stages and policy evaluations, from a few
// microseconds (an empty body) to a second (a pathological one), 1-2.5-5
// per decade so that the boundaries read as round numbers.
var durationBuckets = []float64{
	10e-6, 25e-6, 50e-6,
	100e-6, 250e-6, 500e-6,
	1e-3, 2.5e-3, 5e-3,
	10e-3, 25e-3, 50e-3,
	100e-3, 250e-3, 500e-3,
	1,
}

// bodyBuckets go from 256 B to 16 MiB, ×4 per bucket: the default inspected
// body limit is 10 MiB.
var bodyBuckets = prometheus.ExponentialBuckets(256, 4, 9)

// Native histogram settings: ~10 % resolution, bounded size.
const (
	nativeFactor      = 1.1
	nativeMaxBuckets  = 100
	nativeMinResetDur = time.Hour
)

func histogramOpts(subsystem, name, help string, buckets []float64) prometheus.HistogramOpts {
	return prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: subsystem, Name: name, Help: help,
		Buckets:                         buckets,
		NativeHistogramBucketFactor:     nativeFactor,
		NativeHistogramMaxBucketNumber:  nativeMaxBuckets,
		NativeHistogramMinResetDuration: nativeMinResetDur,
	}
}

func counterVec(subsystem, name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Subsystem: subsystem, Name: name, Help: help}, labels)
}

// New builds every collector and registers it on reg (never the global
// default), with a subsystem per stage (proxy, pipeline, detect, transform,
// policy, upstream), units in the names (_total, _seconds, _bytes) and only
// bounded labels: route, direction, outcome, stage, category, detector,
// action, code, result, kind. Histograms carry classic buckets for the
// text format and native buckets for scrapers that negotiate protobuf. Like MustRegister it
// panics when reg already holds one of them (a second New on the same
// registry is a programming error): build one Metrics per registry, and a
// fresh registry per test. version is the build's version for
// veil_build_info.
func New(reg prometheus.Registerer, version string) *Metrics {
	m := &Metrics{
		// The vectors every message counts in remember their children
		// (children.go).
		Requests: &CounterVec{CounterVec: counterVec("proxy", "requests_total",
			"Messages handled, by route, direction and outcome (allowed, transformed, blocked, passthrough).",
			"route", "direction", "outcome")},
		StageDuration: &HistogramVec{HistogramVec: prometheus.NewHistogramVec(histogramOpts("pipeline", "stage_duration_seconds",
			"Time spent in one pipeline stage (decode, detect, decide, transform, encode) for one message.",
			durationBuckets), []string{"route", "direction", "stage"})},
		Findings: &CounterVec{CounterVec: counterVec("detect", "findings_total",
			"Personal data found, by category and detector.",
			"category", "detector")},
		Actions: &CounterVec{CounterVec: counterVec("transform", "actions_total",
			"Actions applied to findings, by action and category.",
			"action", "category")},
		PolicyEvals: &CounterVec{CounterVec: counterVec("policy", "evaluations_total",
			"Policy evaluations by result (allow, deny, error).",
			"result")},
		PolicyDuration: prometheus.NewHistogram(histogramOpts("policy", "evaluation_duration_seconds",
			"Time of one policy evaluation.", durationBuckets)),
		Blocks: counterVec("proxy", "blocked_total",
			"Messages refused, by route, direction and stable error code.",
			"route", "direction", "code"),
		FailOpen: counterVec("proxy", "fail_open_total",
			"Messages forwarded uninspected because their route is configured on_error: allow, by stable error code.",
			"route", "direction", "code"),
		Uninspected: counterVec("proxy", "uninspected_total",
			"Messages the policy let through with a body Veil could not wholly read (binary files, a charset it does not decode), by route, direction and body format.",
			"route", "direction", "format"),
		UpstreamErrors: counterVec("upstream", "errors_total",
			"Failed round trips to the CRM, by route and kind (transport, timeout, canceled).",
			"route", "kind"),
		BodyBytes: &HistogramVec{HistogramVec: prometheus.NewHistogramVec(histogramOpts("proxy", "inspected_body_bytes",
			"Decoded size of inspected bodies.", bodyBuckets), []string{"route", "direction"})},
		Streamed: counterVec("proxy", "streamed_total",
			"Responses over limits.max_body_bytes inspected a chunk at a time, by route and outcome (allowed, transformed, blocked: refused before or during the stream).",
			"route", "outcome"),
		StreamChunks: counterVec("proxy", "stream_chunks_total",
			"Chunks of streamed responses decided by the policy, by route.",
			"route"),
		Inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "proxy", Name: "inflight_requests",
			Help: "Requests being served.",
		}),
		BuildInfo: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "build_info",
			Help:        "Always 1; the labels say which build is running.",
			ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
		}),
		VaultCalls: counterVec("vault", "calls_total",
			"Batched calls to the tokenization vault (one per message and kind), by op (tokenize, detokenize, forget) and result (ok, error).",
			"op", "result"),
		VaultValues: counterVec("vault", "values_total",
			"Values through the vault, by op and result: tokenize/tokenized; detokenize/revealed, erased (forgotten token), unknown (not this vault's token), unavailable (left masked), mismatch; forget/erased.",
			"op", "result"),
		VaultDuration: prometheus.NewHistogramVec(histogramOpts("vault", "call_duration_seconds",
			"Time of one batched vault call.", durationBuckets), []string{"op"}),

		AuditQueued: counterVec("audit", "events_queued_total",
			"Audit events and alerts accepted for writing, by stream (audit, alerts).", "stream"),
		AuditSpooled: counterVec("audit", "events_spooled_total",
			"Events written to the local disk spool because Redis was unreachable or behind, by stream.", "stream"),
		AuditWritten: counterVec("audit", "events_written_total",
			"Events durably written, by stream and sink (redis, file).", "stream", "sink"),
		AuditDropped: counterVec("audit", "events_dropped_total",
			"Events lost, by stream and reason (spool_full, queue_full, encode). Must stay 0.", "stream", "reason"),
		AuditWriteErrors: counterVec("audit", "write_errors_total",
			"Failed batch writes (the events stay queued or spooled), by stream and sink.", "stream", "sink"),
		AuditQueueLength: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "audit", Name: "queue_events",
			Help: "Events waiting in memory for the writer, by stream.",
		}, []string{"stream"}),
		AuditSpoolBytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "audit", Name: "spool_bytes",
			Help: "Bytes in the disk spool waiting to be replayed to Redis, by stream.",
		}, []string{"stream"}),
		AuditWriteTime: prometheus.NewHistogramVec(histogramOpts("audit", "write_duration_seconds",
			"Time of one batched write, by stream and sink.", durationBuckets), []string{"stream", "sink"}),
		Alerts: counterVec("", "alerts_total",
			"DLP/IDS alerts raised, by kind and severity.", "kind", "severity"),
		WatchStoreErrors: counterVec("watch", "store_errors_total",
			"Failed calls to the shared behaviour windows in Redis (the replica falls back to its own counts), by op (stats, observe; queue_full: increments kept locally only).", "op"),
		InventoryEntries: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "inventory", Name: "entries",
			Help: "Route/object/field/category combinations in the data inventory.",
		}),
	}
	reg.MustRegister(m.Requests, m.StageDuration, m.Findings, m.Actions, m.PolicyEvals, m.PolicyDuration,
		m.Blocks, m.FailOpen, m.Uninspected, m.UpstreamErrors, m.BodyBytes, m.Streamed, m.StreamChunks, m.Inflight, m.BuildInfo,
		m.VaultCalls, m.VaultValues, m.VaultDuration,
		m.AuditQueued, m.AuditSpooled, m.AuditWritten, m.AuditDropped, m.AuditWriteErrors,
		m.AuditQueueLength, m.AuditSpoolBytes, m.AuditWriteTime,
		m.Alerts, m.WatchStoreErrors, m.InventoryEntries)
	for _, st := range auditStreams {
		m.AuditQueued.WithLabelValues(st)
		m.AuditSpooled.WithLabelValues(st)
		m.AuditQueueLength.WithLabelValues(st)
		m.AuditSpoolBytes.WithLabelValues(st)
		for _, sink := range auditSinks {
			m.AuditWritten.WithLabelValues(st, sink)
			m.AuditWriteErrors.WithLabelValues(st, sink)
		}
		for _, r := range auditDropReasons {
			m.AuditDropped.WithLabelValues(st, r)
		}
	}
	m.BuildInfo.Set(1)
	// Results need no route: pre-initialise them here.
	for _, r := range policyResults {
		m.PolicyEvals.WithLabelValues(r)
	}
	for op, results := range vaultCallResults {
		for _, r := range results {
			m.VaultCalls.WithLabelValues(op, r)
		}
	}
	for op, results := range vaultValueResults {
		for _, r := range results {
			m.VaultValues.WithLabelValues(op, r)
		}
	}
	return m
}

// InitRoute pre-initialises the counters of a configured route to zero:
// veil_proxy_requests_total for both directions and every outcome
// (allowed, transformed, blocked, passthrough) and
// veil_upstream_errors_total for every kind (transport, timeout, canceled). Call it once per route at
// start-up; histograms, codes, categories and actions are left to appear
// on first use (pre-creating them would multiply series for no alert).
func (m *Metrics) InitRoute(route string) {
	for _, d := range directions {
		for _, o := range outcomes {
			m.Requests.WithLabelValues(route, d, o)
		}
	}
	for _, k := range upstreamErrorKinds {
		m.UpstreamErrors.WithLabelValues(route, k)
	}
}
