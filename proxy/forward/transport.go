package forward

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/reverse"
)

// dialer dials upstreams, honouring forward.resolve (tests and demo only).
type dialer struct {
	d       *net.Dialer
	resolve map[string]string
}

func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if to, ok := d.resolve[hostname(addr)]; ok {
		addr = to
	}
	return d.d.DialContext(ctx, network, addr)
}

func (d *dialer) Dial(network, addr string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, addr)
}

func newDialer(cfg *config.Config) *dialer {
	res := map[string]string{}
	for h, a := range cfg.Forward.Resolve {
		res[hostname(h)] = a
	}
	return &dialer{d: &net.Dialer{Timeout: cfg.Timeouts.UpstreamDial, KeepAlive: 30 * time.Second}, resolve: res}
}

// rootCAs is the system pool plus forward.upstream_ca.
func rootCAs(file string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if file == "" {
		return pool, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("forward.upstream_ca: %w", err)
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("forward.upstream_ca: %s holds no PEM certificate", file)
	}
	return pool, nil
}

// NewTransport is the upstream transport of forward mode: the reverse
// mode's (timeouts, no proxy from the environment, no transparent
// decompression) with verified TLS against roots and HTTP/2 forced back on
// (a custom TLSClientConfig turns automatic HTTP/2 off).
func NewTransport(cfg *config.Config, roots *x509.CertPool) *http.Transport {
	t := reverse.NewTransport(cfg.Timeouts)
	t.Proxy = nil
	t.DialContext = newDialer(cfg).DialContext
	t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	t.ForceAttemptHTTP2 = true
	return t
}
