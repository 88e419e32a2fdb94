package reverse

import (
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/scope"
)

// Middleware is func(http.Handler) http.Handler; New composes the chain
// scope → access log → recover → serve.

// withScope creates the request's Scope and answers with its request id.
func (h *Handler) withScope(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sc := &scope.Scope{RequestID: scope.NewRequestID(), Start: time.Now()}
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			sc.ClientIP = host
		}
		w.Header().Set("X-Request-Id", sc.RequestID)
		h.opts.Metrics.Inflight.Inc()
		defer h.opts.Metrics.Inflight.Dec()
		next.ServeHTTP(w, r.WithContext(scope.With(r.Context(), sc)))
	})
}

// withAccessLog writes one line per exchange. It logs neither the path (a
// HubSpot path may hold an e-mail address) nor the query (SOQL holds
// values): route, method, status and outcome say what happened.
func (h *Handler) withAccessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		sc := scope.From(r.Context())
		route := ""
		if sc.Route != nil {
			route = sc.Route.Name
		}
		h.opts.Log.Info("request",
			zap.String("request_id", sc.RequestID),
			zap.String("route", route),
			zap.String("method", r.Method),
			zap.Int("status", rec.status),
			zap.Int64("bytes_out", rec.bytes),
			zap.String("principal", sc.Principal.ID),
			zap.String("purpose", sc.Purpose),
			zap.String("outcome", sc.Outcome),
			zap.String("code", sc.Code),
			zap.Strings("decision_ids", sc.DecisionIDs),
			zap.Float64("duration_ms", float64(time.Since(sc.Start).Microseconds())/1000),
		)
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
