package proxy

import (
	"github.com/elazarl/goproxy"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/forward"
	"github.com/veil-proxy/veil/proxy/identity"
	"github.com/veil-proxy/veil/proxy/metrics"
)

// newForward builds the forward-mode handler: Veil's CA (never goproxy's),
// a shared bounded leaf cache, its metrics, and the same identity,
// inspector and audit recorder as reverse mode.
func newForward(cfg *config.Config, log *zap.Logger, ident *identity.Resolver, insp *Inspector, m *metrics.Metrics,
	reg prometheus.Registerer, stores *Stores) (*forward.Handler, *forward.LeafCache, error) {
	ca, err := forward.LoadCA(cfg.Forward.CACert, cfg.Forward.CAKey)
	if err != nil {
		return nil, nil, err
	}
	leaves := forward.NewLeafCache(cfg.Forward.LeafCache)
	fm := metrics.RegisterForward(reg, leaves.Stats)
	o := forward.Options{
		Config: cfg, Identity: ident, Inspector: insp, Metrics: m, Connects: fm.Connects, Log: log.Named("forward"),
		TLSConfig: goproxy.TLSConfigFromCA(ca), CertStore: leaves,
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
