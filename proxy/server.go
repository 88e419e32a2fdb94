package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy/admin"
	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/forward"
	"github.com/veil-proxy/veil/proxy/forward/ca"
	"github.com/veil-proxy/veil/proxy/identity"
	"github.com/veil-proxy/veil/proxy/inspect"
	"github.com/veil-proxy/veil/proxy/metrics"
	"github.com/veil-proxy/veil/proxy/pipeline"
	"github.com/veil-proxy/veil/proxy/record"
	"github.com/veil-proxy/veil/proxy/reverse"
	"github.com/veil-proxy/veil/rules"
)

// Version is set at build time (-ldflags "-X .../proxy.Version=...").
var Version = "dev"

// Options are the dependencies New does not build from config.
type Options struct {
	Logger *zap.Logger // required
	// Rules overrides cfg.Policy.Rules (tests, demo); nil → the directory in
	// config, or the bundle compiled into the binary when that is empty.
	Rules fs.FS
}

// Server is a configured Veil: the reverse listener's handler and the admin
// handler, ready to Serve.
type Server struct {
	cfg     *config.Config
	log     *zap.Logger
	Handler http.Handler // reverse mode
	Forward http.Handler // forward mode (HTTPS_PROXY); nil when forward.listen is empty
	// LeafCache is forward mode's leaf certificate cache (nil when off).
	LeafCache *ca.Cache
	Admin     http.Handler // /metrics, /healthz, /readyz, /admin/...
	Engine    *policy.Engine
	ready     atomic.Bool
	watch     bool // reload the bundle when its files change
	stores    *Stores
	soc       *soc
	metrics   *metrics.Metrics
	closed    sync.Once
}

// New builds every stage from cfg. It fails if the policy bundle does not
// compile, so a broken bundle never starts serving.
func New(ctx context.Context, cfg *config.Config, o Options) (*Server, error) {
	rulesFS := o.Rules
	if rulesFS == nil {
		if cfg.Policy.Rules != "" {
			rulesFS = os.DirFS(cfg.Policy.Rules)
		} else {
			rulesFS = rules.FS
		}
	}
	var shadowFS fs.FS
	if cfg.Policy.Shadow != "" {
		shadowFS = os.DirFS(cfg.Policy.Shadow)
	}
	engine, err := policy.New(ctx, policy.Options{FS: rulesFS, ShadowFS: shadowFS, Logger: o.Logger, Recent: cfg.Policy.RecentDecisions})
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := metrics.New(reg, Version)
	metrics.RegisterPolicyEngine(reg, func() metrics.PolicyEngineStats {
		s := engine.Stats()
		return metrics.PolicyEngineStats{
			CacheHits: s.CacheHits, CacheMisses: s.CacheMisses, Reloads: s.Reloads, ReloadFailures: s.ReloadFailures,
			ShadowEvaluations: s.ShadowEvaluations, ShadowDifferences: s.ShadowDifferences,
			ShadowErrors: s.ShadowErrors, ShadowSkipped: s.ShadowSkipped,
			Revision: engine.Revision(), ShadowRevision: engine.ShadowRevision(),
		}
	})
	for _, r := range cfg.Routes {
		m.InitRoute(r.Name)
	}

	scanner := detectors.NewScanner(detectors.Default())
	stores, err := OpenStores(cfg, o.Logger, audit.Counters{
		Queued: m.AuditQueued, Spooled: m.AuditSpooled, Written: m.AuditWritten, Dropped: m.AuditDropped,
		WriteErrors: m.AuditWriteErrors, QueueLength: m.AuditQueueLength, SpoolBytes: m.AuditSpoolBytes, WriteTime: m.AuditWriteTime,
		Alerts: m.Alerts,
	})
	if err != nil {
		return nil, err
	}
	ident, err := identity.New(cfg.Identity, identity.WithSessions(openSessions(cfg, stores)))
	if err != nil {
		stores.Close()
		return nil, err
	}
	if !ident.UsernameHasher().Keyed() {
		// Once per process, so that veil serve and veil serve --check say it.
		o.Logger.Warn("identity.username_hash_key_file is not set: the username_hash of auth_failure events and brute_force alerts " +
			"is an unkeyed SHA-256 that whoever reads the audit trail can reverse by hashing likely usernames; " +
			"set it to a key of its own (veil audit keygen --chain-key)")
	}
	soc := openSOC(cfg, stores, m, o.Logger, stores.alert)
	var learned pipeline.Learned // what the data map has seen fields hold, for predicates
	if soc.inv != nil {
		learned = soc.inv
	}
	pipe := pipeline.New(pipeline.Options{Scanner: scanner, Decider: engine, Metrics: m, Log: o.Logger, Limits: cfg.Limits,
		ConsentFields: cfg.Policy.ConsentFields, Vault: stores.Vault, Stats: soc.watcher(), Inventory: soc.inv != nil, Learned: learned})
	insp := inspect.New(inspect.Options{Pipeline: pipe, Config: cfg, Log: o.Logger, Metrics: m,
		Recorder: record.New(record.Options{Audit: soc.recorder(stores), Watch: soc.watcher(), Inventory: soc.inventory(), Metrics: m, Log: o.Logger})})
	h, err := reverse.New(reverse.Options{Config: cfg, Identity: ident, Inspector: insp, Metrics: m, Log: o.Logger})
	if err != nil {
		soc.close()
		stores.Close()
		return nil, err
	}
	var fwd *forward.Handler
	var leaves *ca.Cache
	if cfg.Forward.Enabled() {
		fwd, leaves, err = newForward(cfg, o.Logger, ident, insp, m, reg, stores)
		if err != nil {
			soc.close()
			stores.Close()
			return nil, err
		}
	}
	s := &Server{cfg: cfg, log: o.Logger, Handler: h, LeafCache: leaves, Engine: engine, watch: o.Rules == nil && cfg.Policy.Watching(), stores: stores, soc: soc, metrics: m}
	if fwd != nil {
		s.Forward = fwd
	}
	ao := admin.Options{Config: cfg.Admin, Registry: reg, Engine: engine, Ready: s.ready.Load, Audit: stores.Audit,
		Forget: stores.Forget, Metrics: m, Log: o.Logger}
	if soc.inv != nil {
		ao.Inventory = soc.inv.Handler()
	}
	s.Admin = admin.Handler(ao)
	return s, nil
}

// Close releases the vault, the audit sinks and the Redis client. Call it
// once Serve has returned.
func (s *Server) Close() error {
	var err error
	s.closed.Do(func() { err = errors.Join(s.soc.close(), s.stores.Close()) })
	return err
}

// Listeners are where a Server serves. Forward is needed only when
// forward.listen is set.
type Listeners struct {
	Proxy, Admin, Forward net.Listener
}

// Serve serves the reverse listener on ln and the admin endpoints on
// adminLn until ctx is done, then shuts both down gracefully.
func (s *Server) Serve(ctx context.Context, ln, adminLn net.Listener) error {
	return s.ServeAll(ctx, Listeners{Proxy: ln, Admin: adminLn})
}

// ServeAll serves every listener in l (the forward one when it is set and
// forward mode is configured) until ctx is done, then shuts them down.
func (s *Server) ServeAll(ctx context.Context, l Listeners) error {
	// The forward listener's idle guard sits under TLS: it sees the
	// hijack (SetDeadline through *tls.Conn) and the encrypted traffic.
	if l.Forward != nil {
		l.Forward = forward.IdleListener(l.Forward, s.cfg.Timeouts.Idle, s.cfg.Timeouts.Write)
	}
	l, err := s.tlsListeners(l) // tls:, admin.tls:, forward.tls:
	if err != nil {
		return err
	}
	ln, adminLn := l.Proxy, l.Admin
	t := s.cfg.Timeouts
	errLog, _ := zap.NewStdLogAt(s.log.Named("http"), zap.WarnLevel)
	proxySrv := &http.Server{
		Handler: s.Handler, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read,
		WriteTimeout: t.Write, IdleTimeout: t.Idle, ErrorLog: errLog, MaxHeaderBytes: 64 << 10,
	}
	adminSrv := &http.Server{Handler: s.Admin, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, ErrorLog: errLog}

	g, gctx := errgroup.WithContext(ctx)
	serve := func(srv *http.Server, l net.Listener) func() error {
		return func() error {
			if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		}
	}
	g.Go(serve(proxySrv, ln))
	g.Go(serve(adminSrv, adminLn))
	// Forward mode hijacks its connections (CONNECT): no read/write
	// timeouts, which would cut long tunnels; only the header's.
	fwdSrv := &http.Server{Handler: s.Forward, ReadHeaderTimeout: t.ReadHeader, IdleTimeout: t.Idle, ErrorLog: errLog, MaxHeaderBytes: 64 << 10}
	fwdOn := s.Forward != nil && l.Forward != nil
	if fwdOn {
		g.Go(serve(fwdSrv, l.Forward))
	}
	if s.watch {
		g.Go(func() error {
			s.Engine.Watch(gctx, s.cfg.Policy.WatchInterval, s.cfg.Policy.WatchInterval)
			return nil
		})
	}
	g.Go(func() error {
		<-gctx.Done()
		s.ready.Store(false)
		sctx, cancel := context.WithTimeout(context.Background(), t.Shutdown)
		defer cancel()
		// The listeners first, then what they fed: the watch's queue, the
		// inventory's last counts, the audit queue (to Redis or the spool).
		var fwdErr error
		if fwdOn {
			fwdErr = fwdSrv.Shutdown(sctx)
		}
		return errors.Join(proxySrv.Shutdown(sctx), adminSrv.Shutdown(sctx), fwdErr, s.Close())
	})
	s.ready.Store(true)
	fields := []zap.Field{zap.String("listen", ln.Addr().String()), zap.String("admin", adminLn.Addr().String())}
	if fwdOn {
		fields = append(fields, zap.String("forward", l.Forward.Addr().String()))
	}
	s.log.Info("veil serving", append(fields, zap.String("policy_revision", s.Engine.Revision()), zap.String("version", Version))...)
	return g.Wait()
}

// tlsListeners wraps the listeners of l in TLS where configured (tls:,
// admin.tls:, forward.tls:), and closes every listener of l when it cannot.
// net/http serves HTTP/2 on a *tls.Conn that negotiated h2 (Server.Serve
// sets it up as ServeTLS does), so offering h2 in ALPN is all it takes. The
// forward listener offers HTTP/1.1 only: CONNECT is hijacked.
func (s *Server) tlsListeners(l Listeners) (out Listeners, err error) {
	out = l
	for _, x := range []struct {
		t     config.TLS
		what  string
		ln    *net.Listener
		alpns []string
	}{
		{s.cfg.TLS, "tls", &out.Proxy, []string{"h2", "http/1.1"}},
		{s.cfg.Admin.TLS, "admin.tls", &out.Admin, []string{"h2", "http/1.1"}},
		{s.cfg.Forward.TLS, "forward.tls", &out.Forward, []string{"http/1.1"}},
	} {
		if !x.t.Enabled() || *x.ln == nil {
			continue
		}
		var c *tls.Config
		if c, err = admin.ServerTLS(x.t, x.what, s.log, x.alpns...); err != nil {
			for _, y := range []net.Listener{l.Proxy, l.Admin, l.Forward} {
				if y != nil {
					y.Close()
				}
			}
			return Listeners{}, err
		}
		*x.ln = tls.NewListener(*x.ln, c)
	}
	return out, nil
}

// ListenForward opens forward.listen, or returns nil when forward mode is off.
func ListenForward(cfg *config.Config) (net.Listener, error) {
	if !cfg.Forward.Enabled() {
		return nil, nil
	}
	ln, err := net.Listen("tcp", cfg.Forward.Listen)
	if err != nil {
		return nil, fmt.Errorf("forward.listen: %w", err)
	}
	return ln, nil
}

// Listen opens the configured listeners.
func Listen(cfg *config.Config) (ln, adminLn net.Listener, err error) {
	ln, err = net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("listen: %w", err)
	}
	adminLn, err = net.Listen("tcp", cfg.Admin.Listen)
	if err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("admin.listen: %w", err)
	}
	return ln, adminLn, nil
}
