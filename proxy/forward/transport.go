package forward

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/ingress"
)

// dialer dials upstreams, honouring forward.resolve (tests and demo only):
// an exact host name first, then the longest matching "*.domain".
type dialer struct {
	d        *net.Dialer
	exact    map[string]string
	wildcard []resolveTo // longest pattern first
}

type resolveTo struct{ pattern, addr string }

func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return d.d.DialContext(ctx, network, d.resolve(addr))
}

func (d *dialer) Dial(network, addr string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, addr)
}

func (d *dialer) resolve(addr string) string {
	name := hostname(addr)
	if to, ok := d.exact[name]; ok {
		return to
	}
	for _, w := range d.wildcard {
		if config.MatchHost(w.pattern, name) {
			return w.addr
		}
	}
	return addr
}

func newDialer(cfg *config.Config) *dialer {
	d := &dialer{d: &net.Dialer{Timeout: cfg.Timeouts.UpstreamDial, KeepAlive: 30 * time.Second}, exact: map[string]string{}}
	for h, a := range cfg.Forward.Resolve {
		if strings.HasPrefix(h, "*.") {
			d.wildcard = append(d.wildcard, resolveTo{strings.ToLower(h), a})
		} else {
			d.exact[hostname(h)] = a
		}
	}
	sort.Slice(d.wildcard, func(i, j int) bool {
		a, b := d.wildcard[i].pattern, d.wildcard[j].pattern
		return len(a) > len(b) || len(a) == len(b) && a < b
	})
	return d
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
	t := ingress.NewTransport(cfg.Timeouts)
	t.Proxy = nil
	t.DialContext = newDialer(cfg).DialContext
	t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	t.ForceAttemptHTTP2 = true
	return t
}
