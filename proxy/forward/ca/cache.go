package ca

import (
	"container/list"
	"crypto/tls"
	"sync"
	"time"
)

// renewBefore is how long before its expiry a cached leaf is minted again.
const renewBefore = 24 * time.Hour

// Cache is a bounded LRU of leaf certificates by host name, shared by every
// connection; it implements goproxy.CertStorage. A client that opens a new
// CONNECT per request (jsforce does) is served from it after the first.
// Concurrent misses for one host mint once.
type Cache struct {
	mu      sync.Mutex
	max     int
	order   *list.List // front: most recently used; values are *entry
	byHost  map[string]*list.Element
	minting map[string]*flight
	hits    uint64
	misses  uint64
	evicted uint64
	now     func() time.Time
}

type entry struct {
	host string
	cert *tls.Certificate
}

type flight struct {
	done chan struct{}
	cert *tls.Certificate
	err  error
}

// CacheStats are a Cache's counters.
type CacheStats struct {
	Hits, Misses, Evictions uint64
	Len                     int
}

// NewCache returns a cache of at most max leaves (at least 1).
func NewCache(max int) *Cache {
	if max < 1 {
		max = 1
	}
	return &Cache{max: max, order: list.New(), byHost: make(map[string]*list.Element), minting: make(map[string]*flight), now: time.Now}
}

// Fetch returns host's leaf, minting it with gen on a miss or when the
// cached one is about to expire.
func (c *Cache) Fetch(host string, gen func() (*tls.Certificate, error)) (*tls.Certificate, error) {
	c.mu.Lock()
	if el, ok := c.byHost[host]; ok {
		e := el.Value.(*entry)
		if e.cert.Leaf == nil || c.now().Add(renewBefore).Before(e.cert.Leaf.NotAfter) {
			c.order.MoveToFront(el)
			c.hits++
			c.mu.Unlock()
			return e.cert, nil
		}
		c.order.Remove(el)
		delete(c.byHost, host)
	}
	if f, ok := c.minting[host]; ok {
		c.hits++ // served without minting
		c.mu.Unlock()
		<-f.done
		return f.cert, f.err
	}
	f := &flight{done: make(chan struct{})}
	c.minting[host] = f
	c.misses++
	c.mu.Unlock()

	f.cert, f.err = gen()

	c.mu.Lock()
	delete(c.minting, host)
	if f.err == nil {
		c.byHost[host] = c.order.PushFront(&entry{host: host, cert: f.cert})
		for c.order.Len() > c.max {
			last := c.order.Back()
			c.order.Remove(last)
			delete(c.byHost, last.Value.(*entry).host)
			c.evicted++
		}
	}
	c.mu.Unlock()
	close(f.done)
	return f.cert, f.err
}

// Stats returns the counters so far.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Hits: c.hits, Misses: c.misses, Evictions: c.evicted, Len: c.order.Len()}
}
