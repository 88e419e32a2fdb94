package ingress

import (
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/logging"
	"github.com/veil-proxy/veil/proxy/scope"
)

// NewScope is the Scope of a request as it comes in: a new request id, the
// start time and the client's address.
func NewScope(r *http.Request) *scope.Scope {
	return &scope.Scope{RequestID: scope.NewRequestID(), Start: time.Now(), ClientIP: ClientIP(r)}
}

// ClientIP is the address of r's client without its port, "" when
// RemoteAddr holds none (or r is nil).
func ClientIP(r *http.Request) string {
	if r == nil {
		return ""
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return ""
}

// LogRequest writes the access-log line of one exchange, for both
// listeners. It logs neither the path (a HubSpot path may hold an e-mail
// address), the query (SOQL holds values) nor a body: route, method,
// status and outcome say what happened. mode names the listener ("" for
// reverse mode: no field); bytesOut < 0 writes no bytes_out (forward mode
// does not count them).
func LogRequest(log *zap.Logger, mode string, r *http.Request, sc *scope.Scope, status int, bytesOut int64) {
	route := ""
	if sc.Route != nil {
		route = sc.Route.Name
	}
	fields := make([]zap.Field, 0, 13)
	if mode != "" {
		fields = append(fields, zap.String("mode", mode))
	}
	fields = append(fields,
		zap.String("request_id", sc.RequestID),
		zap.String("route", route),
		zap.String("method", r.Method),
		zap.Int("status", status),
	)
	if bytesOut >= 0 {
		fields = append(fields, zap.Int64("bytes_out", bytesOut))
	}
	fields = append(fields,
		zap.String("principal", sc.Principal.ID),
		zap.String("purpose", sc.Purpose),
		zap.String("outcome", sc.Outcome),
		zap.String("code", sc.Code),
		logging.Strings("decision_ids", sc.DecisionIDs),
		zap.Float64("duration_ms", float64(time.Since(sc.Start).Microseconds())/1000),
	)
	log.Info("request", fields...)
}
