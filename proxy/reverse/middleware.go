package reverse

import (
	"net/http"

	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/ingress"
	"github.com/veil-proxy/veil/proxy/scope"
)

// Middleware is func(http.Handler) http.Handler; New composes the chain
// scope → access log → recover → serve.

// withScope creates the request's Scope and answers with its request id.
func (h *Handler) withScope(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sc := ingress.NewScope(r)
		w.Header().Set("X-Request-Id", sc.RequestID)
		h.opts.Metrics.Inflight.Inc()
		defer h.opts.Metrics.Inflight.Dec()
		next.ServeHTTP(w, r.WithContext(scope.With(r.Context(), sc)))
	})
}

// withAccessLog writes one line per exchange (ingress.LogRequest), after
// the audit event of what no stage audited (ingress.AuditRest).
func (h *Handler) withAccessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		sc := scope.From(r.Context())
		ingress.AuditRest(r.Context(), h.opts.Inspector, sc, r.Method, rec.status)
		ingress.LogRequest(h.opts.Log, "", r, sc, rec.status, rec.bytes)
	})
}

// withRecover turns a panic into a 500 in the route's format instead of a
// dropped connection, and logs it without the request.
func (h *Handler) withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil || v == http.ErrAbortHandler {
				if v != nil {
					panic(v)
				}
				return
			}
			sc := scope.From(r.Context())
			h.opts.Log.Error("panic serving request", zap.String("request_id", sc.RequestID), zap.Stack("stack"))
			dialect := "generic"
			if sc.Route != nil {
				dialect = sc.Route.Dialect
			}
			h.fail(w, dialect, sc, &crm.Error{Status: http.StatusInternalServerError, Code: crm.CodeInternal, Message: "internal error in Veil"})
		}()
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wroteHeader && code >= 200 {
		s.status, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wroteHeader = true
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Flush keeps streaming responses streaming.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
