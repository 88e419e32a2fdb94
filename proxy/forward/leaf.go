package forward

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/elazarl/goproxy"
)

// LoadCA reads Veil's CA for forward mode (forward.ca_cert, forward.ca_key)
// and refuses goproxy's built-in CA, whose private key is public.
//
// Interim: package proxy/forward/ca (ca.Load, ca.NewCache) owns this; this
// loader and leafCache keep forward mode working until proxy/server.go
// switches to it.
func LoadCA(certFile, keyFile string) (*tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("forward CA: %w", err)
	}
	if len(c.Certificate) > 0 && len(goproxy.GoproxyCa.Certificate) > 0 && bytes.Equal(c.Certificate[0], goproxy.GoproxyCa.Certificate[0]) {
		return nil, errors.New("forward CA: refusing goproxy's built-in CA (its private key is public); create one with `veil ca init`")
	}
	return &c, nil
}

// LeafCache is a bounded goproxy.CertStorage shared by every connection:
// when full, it starts over (the interim stand-in for ca.Cache's LRU).
type LeafCache struct {
	mu           sync.Mutex
	max          int
	m            map[string]*tls.Certificate
	hits, misses atomic.Uint64
}

// NewLeafCache returns a cache of at most max leaves.
func NewLeafCache(max int) *LeafCache {
	return &LeafCache{max: max, m: make(map[string]*tls.Certificate)}
}

// Fetch implements goproxy.CertStorage.
func (c *LeafCache) Fetch(host string, gen func() (*tls.Certificate, error)) (*tls.Certificate, error) {
	c.mu.Lock()
	if cert, ok := c.m[host]; ok {
		c.mu.Unlock()
		c.hits.Add(1)
		return cert, nil
	}
	c.mu.Unlock()
	c.misses.Add(1)
	cert, err := gen()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[host] = cert
	c.mu.Unlock()
	return cert, nil
}

// Stats returns the hits and misses so far.
func (c *LeafCache) Stats() (hits, misses uint64) { return c.hits.Load(), c.misses.Load() }

// Len is the number of leaves held.
func (c *LeafCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
