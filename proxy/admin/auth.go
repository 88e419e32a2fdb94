package admin

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/metrics"
)

// adminAuth guards the admin API with admin.token_file or admin.token_env:
// every request but GET /healthz and /readyz (and /metrics with
// admin.metrics_open) must carry "Authorization: Bearer <token>". The
// token is compared as a SHA-256 digest in constant time, so neither its
// bytes nor its length leak through timing. A token file is re-read when
// it changes (a rotated secret needs no restart). The token is never
// logged.
type adminAuth struct {
	digest      func() [sha256.Size]byte
	metricsOpen bool
	refused     *metrics.Admin
	log         *zap.Logger
	lastLog     atomic.Int64 // unix nanoseconds of the last refusal logged
}

// adminRealm is the challenge sent with every 401.
const adminRealm = `Bearer realm="veil-admin"`

// newAdminAuth returns nil when no token is configured: the admin API is
// open (Validate allows that on loopback or with mTLS only).
func newAdminAuth(a config.Admin, m *metrics.Admin, log *zap.Logger) (*adminAuth, error) {
	if !a.TokenConfigured() {
		return nil, nil
	}
	load := func() ([sha256.Size]byte, error) {
		tok, err := a.Token()
		if err != nil {
			return [sha256.Size]byte{}, err
		}
		return sha256.Sum256(tok), nil
	}
	aa := &adminAuth{metricsOpen: a.MetricsOpen, refused: m, log: log}
	if a.TokenFile == "" {
		d, err := load()
		if err != nil {
			return nil, err
		}
		aa.digest = func() [sha256.Size]byte { return d }
		return aa, nil
	}
	c, err := newFileCache("admin.token_file", log, load, a.TokenFile)
	if err != nil {
		return nil, err
	}
	aa.digest = c.get
	return aa, nil
}

// open reports whether path is served without the token.
func (a *adminAuth) open(path string) bool {
	switch path {
	case "/healthz", "/readyz":
		return true
	case "/metrics":
		return a.metricsOpen
	}
	return false
}

func (a *adminAuth) wrap(next http.Handler) http.Handler {
	if a == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.open(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		reason := "missing"
		if tok, ok := bearer(r.Header.Get("Authorization")); ok {
			got, want := sha256.Sum256([]byte(tok)), a.digest()
			if subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
				next.ServeHTTP(w, r)
				return
			}
			reason = "invalid"
		}
		a.refuse(w, r, reason)
	})
}

// bearer returns the credentials of an "Authorization: Bearer <token>"
// header (the scheme is case-insensitive, RFC 7235).
func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

func (a *adminAuth) refuse(w http.ResponseWriter, r *http.Request, reason string) {
	if a.refused != nil {
		a.refused.Unauthorized.WithLabelValues(reason).Inc()
	}
	// At most one line a second: a scanner must not flood the log (the
	// counter has every refusal).
	now := time.Now().UnixNano()
	if last := a.lastLog.Load(); now-last >= int64(time.Second) && a.lastLog.CompareAndSwap(last, now) {
		a.log.Warn("admin API request refused", zap.String("reason", reason),
			zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.String("remote", r.RemoteAddr))
	}
	w.Header().Set("WWW-Authenticate", adminRealm)
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
}

// guard wraps the admin mux in the token check (when a token is
// configured) and registers the refusal counter on reg. A token that
// cannot be read (Validate read it, so it went away since) fails closed:
// only /healthz, /readyz (and /metrics with metrics_open) answer.
func guard(reg prometheus.Registerer, cfg config.Admin, log *zap.Logger, h http.Handler) http.Handler {
	m := metrics.RegisterAdmin(reg)
	a, err := newAdminAuth(cfg, m, log)
	if err != nil {
		log.Error("admin token unavailable: the admin API refuses every authenticated request", zap.Error(err))
		var never [sha256.Size]byte
		_, _ = rand.Read(never[:])
		a = &adminAuth{digest: func() [sha256.Size]byte { return never }, metricsOpen: cfg.MetricsOpen, refused: m, log: log}
	}
	return a.wrap(h)
}
