package proxy

import (
	"fmt"

	"github.com/elazarl/goproxy"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/forward"
	"github.com/veil-proxy/veil/proxy/forward/ca"
	"github.com/veil-proxy/veil/proxy/identity"
	"github.com/veil-proxy/veil/proxy/inspect"
	"github.com/veil-proxy/veil/proxy/metrics"
)

// newForward builds the forward-mode handler: Veil's CA (never goproxy's),
// a shared bounded leaf cache, its metrics, and the same identity,
// inspector and audit recorder as reverse mode.
func newForward(cfg *config.Config, log *zap.Logger, ident *identity.Resolver, insp *inspect.Inspector, m *metrics.Metrics,
	reg prometheus.Registerer, stores *Stores) (*forward.Handler, *ca.Cache, error) {
	authority, err := ca.Load(cfg.Forward.CACert, cfg.Forward.CAKey)
	if err != nil {
		return nil, nil, err
	}
	for i, m := range cfg.Forward.MITM {
		if !authority.Permits(m.Host) {
			return nil, nil, fmt.Errorf("forward.mitm[%d].host: %q is outside the name constraints of the CA %s: clients would reject its leaves (make a CA that permits it: veil ca init --permit DOMAIN)", i, m.Host, cfg.Forward.CACert)
		}
	}
	leaves := ca.NewCache(cfg.Forward.LeafCache)
	fm := metrics.RegisterForward(reg, func() (uint64, uint64) { s := leaves.Stats(); return s.Hits, s.Misses })
	o := forward.Options{
		Config: cfg, Identity: ident, Inspector: insp, Metrics: m, Connects: fm.Connects, Log: log.Named("forward"),
		TLSConfig: goproxy.TLSConfigFromCA(authority.Certificate()), CertStore: leaves,
	}
	if stores.Audit != nil {
		o.Audit = stores.Audit
	}
	h, err := forward.New(o)
	if err != nil {
		return nil, nil, err
	}
	return h, leaves, nil
}
