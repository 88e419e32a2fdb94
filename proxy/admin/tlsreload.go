package admin

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/config"
)

// fileCheckInterval is how often, at most, files served from a
// fileCache are looked at for a change (one stat per file).
var fileCheckInterval = 2 * time.Second

// fileCache holds what load made of some files and loads it again when
// one of them changes on disk (modification time, size or inode: a
// Kubernetes secret volume swaps a symlink, cert-manager rewrites files).
// They are looked at on use, at most every fileCheckInterval. When a new
// version does not load (a certificate written before its key), the last
// good value stays in use and the load is retried at the next change or
// check.
type fileCache[T any] struct {
	what  string
	paths []string
	load  func() (T, error)
	log   *zap.Logger

	mu      sync.Mutex
	val     T
	stamps  []os.FileInfo // of the files val was loaded from
	checked time.Time
	failed  []os.FileInfo // of the files that last failed to load (logged once)
}

// newFileCache loads the files once; an error means there is nothing to
// serve.
func newFileCache[T any](what string, log *zap.Logger, load func() (T, error), paths ...string) (*fileCache[T], error) {
	c := &fileCache[T]{what: what, paths: paths, load: load, log: log}
	stamps := c.stat()
	v, err := load()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	c.val, c.stamps, c.checked = v, stamps, time.Now()
	return c, nil
}

func (c *fileCache[T]) stat() []os.FileInfo {
	out := make([]os.FileInfo, len(c.paths))
	for i, p := range c.paths {
		out[i], _ = os.Stat(p) // nil when missing: a change too
	}
	return out
}

func sameStamps(a, b []os.FileInfo) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] == nil || b[i] == nil {
			if a[i] != b[i] {
				return false
			}
			continue
		}
		if !os.SameFile(a[i], b[i]) || !a[i].ModTime().Equal(b[i].ModTime()) || a[i].Size() != b[i].Size() {
			return false
		}
	}
	return true
}

// get returns the current value, reloading it first if a file changed.
func (c *fileCache[T]) get() T {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if now.Sub(c.checked) < fileCheckInterval {
		return c.val
	}
	c.checked = now
	stamps := c.stat()
	if sameStamps(stamps, c.stamps) {
		return c.val
	}
	v, err := c.load()
	if err != nil {
		if !sameStamps(stamps, c.failed) {
			c.failed = stamps
			c.log.Warn("reload failed: the previous version stays in use", zap.String("what", c.what), zap.Error(err))
		}
		return c.val
	}
	c.val, c.stamps, c.failed = v, stamps, nil
	c.log.Info("reloaded from disk", zap.String("what", c.what))
	return c.val
}

// ServerTLS is the TLS configuration of a listener serving t: TLS 1.2 or
// later, the key pair (and client CAs) re-read when their files change.
// nextProtos are the ALPN protocols offered, e.g. h2 and http/1.1.
func ServerTLS(t config.TLS, what string, log *zap.Logger, nextProtos ...string) (*tls.Config, error) {
	pair, err := newFileCache(what+" certificate", log, func() (*tls.Certificate, error) {
		c, err := config.LoadKeyPair(t.CertFile, t.KeyFile)
		return &c, err
	}, t.CertFile, t.KeyFile)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: nextProtos,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return pair.get(), nil
		},
	}
	if t.ClientCAFile == "" {
		return cfg, nil
	}
	cas, err := newFileCache(what+" client CA", log, func() (*x509.CertPool, error) {
		return config.LoadCertPool(t.ClientCAFile)
	}, t.ClientCAFile)
	if err != nil {
		return nil, err
	}
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	cfg.ClientCAs = cas.get()
	cfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		c := cfg.Clone()
		c.GetConfigForClient = nil
		c.ClientCAs = cas.get()
		return c, nil
	}
	return cfg, nil
}
