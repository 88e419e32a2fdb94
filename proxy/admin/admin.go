// Package admin is Veil's admin API: /metrics, /healthz, /readyz, /admin/...
// behind the admin token, and the files (token, TLS key pairs) reloaded when
// they change on disk.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/inventory"
	"github.com/veil-proxy/veil/proxy/metrics"
	"github.com/veil-proxy/veil/proxy/vault"
)

// Options are what the admin API serves from.
type Options struct {
	Config   config.Admin
	Registry *prometheus.Registry // served on /metrics; the refusal counter is registered on it
	Engine   *policy.Engine
	Ready    func() bool     // false before serving and once shutting down
	Audit    *audit.Recorder // nil: none; /readyz fails while it cannot keep events
	// Inventory serves inventory.Path; nil when the inventory is off.
	Inventory http.Handler
	// Forget erases from the vault and records it (POST /admin/vault/forget).
	Forget  func(ctx context.Context, req ForgetRequest, actor string) (ForgetResult, error)
	Metrics *metrics.Metrics
	Log     *zap.Logger
}

// Handler is the admin API, guarded by admin.token_file / token_env
// (auth.go).
func Handler(o Options) http.Handler {
	reg := o.Registry
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, EnableOpenMetrics: true}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !o.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready\n"))
			return
		}
		if rec := o.Audit; rec != nil && !rec.Healthy() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: audit events cannot be kept (audit.on_full: block)\n"))
			return
		}
		_, _ = fmt.Fprintf(w, "ready (policy revision %s)\n", o.Engine.Revision())
	})
	mux.HandleFunc("GET /admin/decisions/{id}", o.explainDecision)
	mux.HandleFunc("POST /admin/reload", o.reloadPolicy)
	mux.HandleFunc("POST /admin/vault/forget", o.forgetHandler)
	if o.Inventory != nil {
		mux.Handle(inventory.Path, o.Inventory)
	}
	if o.Config.Pprof {
		// Profiles hold stacks, sizes and addresses, never a body's
		// bytes; they are behind the admin token like the rest.
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return guard(reg, o.Config, o.Log, mux)
}

// explainDecision answers GET /admin/decisions/{id}: what is kept of a
// recent decision (policy.Explanation), or 404.
func (o Options) explainDecision(w http.ResponseWriter, r *http.Request) {
	x, ok := o.Engine.Explain(r.PathValue("id"))
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "decision not found: only the most recent decisions are kept (policy.recent_decisions)"})
		return
	}
	writeJSON(w, http.StatusOK, x)
}

// reloadPolicy answers POST /admin/reload: recompile the bundle(s) and
// swap in what compiles. 200 with the serving revision, or 422 with the
// compiler's error while the previous bundle keeps serving.
func (o Options) reloadPolicy(w http.ResponseWriter, r *http.Request) {
	if err := o.Engine.Reload(r.Context()); err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": err.Error(), "revision": o.Engine.Revision()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"revision": o.Engine.Revision(), "shadow_revision": o.Engine.ShadowRevision()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// ForgetRequest names what to erase: a token, or a value and its category.
type ForgetRequest struct {
	Token    string `json:"token,omitempty"`
	Category string `json:"category,omitempty"`
	Value    string `json:"value,omitempty"`
}

// ForgetResult is what an erasure did.
type ForgetResult struct {
	Erased  int    `json:"erased"`
	EventID string `json:"event_id"`
}

// Errors of an erasure (Options.Forget).
var (
	ErrForgetRequest = errors.New("name either a token, or a category and a value")
	ErrAuditRecord   = errors.New("the erasure is done but its audit record could not be written")
)

// forgetHandler answers POST /admin/vault/forget with a JSON ForgetRequest:
// 200 and the ForgetResult; 400 for a malformed request; 503 when the
// vault is unavailable (nothing erased); 500 when the erasure is done but
// not recorded.
func (o Options) forgetHandler(w http.ResponseWriter, r *http.Request) {
	var req ForgetRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the body must be a JSON object with token, or category and value"})
		return
	}
	res, err := o.Forget(r.Context(), req, "admin_api from "+r.RemoteAddr)
	o.Metrics.VaultCalls.WithLabelValues("forget", resultOf(err)).Inc()
	switch {
	case err == nil:
		o.Metrics.VaultValues.WithLabelValues("forget", "erased").Add(float64(res.Erased))
		writeJSON(w, http.StatusOK, res)
	case errors.Is(err, ErrForgetRequest), errors.Is(err, vault.ErrInvalid):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	case errors.Is(err, ErrAuditRecord):
		o.Metrics.VaultValues.WithLabelValues("forget", "erased").Add(float64(res.Erased))
		o.Log.Error("vault erasure not recorded", zap.String("event_id", res.EventID), zap.Error(err))
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error(), "erased": res.Erased, "event_id": res.EventID})
	default:
		o.Log.Error("vault erasure failed", zap.Error(err))
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the vault is unavailable; nothing was erased"})
	}
}

func resultOf(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}
