package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrSessionsUnavailable means the session store could not be asked: the
// caller cannot be identified, so the request is refused (fail closed).
var ErrSessionsUnavailable = errors.New("the CRM-session store cannot be reached")

// Sessions remember which principal a CRM-issued token (an access or a
// refresh token from a login through Veil) belongs to. Tokens are kept as
// SHA-256 digests only. Lookup returns ErrUnknownToken for an unbound token
// and ErrSessionsUnavailable when the store cannot answer.
type Sessions interface {
	Bind(ctx context.Context, token, principalID string, ttl time.Duration) error
	Lookup(ctx context.Context, token string) (principalID string, err error)
}

func digest(token string) [sha256.Size]byte { return sha256.Sum256([]byte(token)) }

// MemorySessions is a bounded in-process Sessions (one replica, the demo).
// The bound is per principal: each principal keeps at most max bindings,
// so one principal's logins never evict another's.
type MemorySessions struct {
	mu  sync.Mutex
	max int
	m   map[[sha256.Size]byte]binding
	per map[string]map[[sha256.Size]byte]struct{} // principal → its bindings
	seq uint64
	now func() time.Time
}

type binding struct {
	principal string
	expires   time.Time
	seq       uint64 // order of binding: the smallest is the oldest
}

// NewMemorySessions holds at most max bindings per principal: when a
// principal's are full, its expired ones go first, then its oldest.
func NewMemorySessions(max int) *MemorySessions {
	return &MemorySessions{max: max, m: make(map[[sha256.Size]byte]binding),
		per: make(map[string]map[[sha256.Size]byte]struct{}), now: time.Now}
}

// Bind implements Sessions.
func (s *MemorySessions) Bind(_ context.Context, token, principalID string, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	k := digest(token)
	if old, ok := s.m[k]; ok {
		s.remove(k, old.principal)
	}
	own := s.per[principalID]
	if own == nil {
		own = make(map[[sha256.Size]byte]struct{})
		s.per[principalID] = own
	}
	if len(own) >= s.max {
		s.evict(principalID, now)
	}
	s.seq++
	s.m[k] = binding{principal: principalID, expires: now.Add(ttl), seq: s.seq}
	own[k] = struct{}{}
	return nil
}

// remove forgets binding k of principal.
func (s *MemorySessions) remove(k [sha256.Size]byte, principal string) {
	delete(s.m, k)
	if own := s.per[principal]; own != nil {
		delete(own, k)
		if len(own) == 0 {
			delete(s.per, principal)
		}
	}
}

// evict frees room among principal's bindings: every expired one, else
// the oldest.
func (s *MemorySessions) evict(principal string, now time.Time) {
	own := s.per[principal]
	var oldest [sha256.Size]byte
	var seq uint64
	for k := range own {
		b := s.m[k]
		if !b.expires.After(now) {
			delete(s.m, k)
			delete(own, k)
			continue
		}
		if seq == 0 || b.seq < seq {
			oldest, seq = k, b.seq
		}
	}
	if len(own) >= s.max && seq != 0 {
		delete(s.m, oldest)
		delete(own, oldest)
	}
}

// Lookup implements Sessions.
func (s *MemorySessions) Lookup(_ context.Context, token string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := digest(token)
	b, ok := s.m[k]
	if !ok {
		return "", ErrUnknownToken
	}
	if !b.expires.After(s.now()) {
		s.remove(k, b.principal)
		return "", ErrUnknownToken
	}
	return b.principal, nil
}

// Len is the number of bindings held (expired ones not yet swept
// included).
func (s *MemorySessions) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// RedisSessions keeps bindings in Redis, shared by every replica: key
// prefix + hex(SHA-256(token)), value the principal id, expiring with the
// binding. Redis holds no count bound (identity.sessions.max_entries is
// the memory backend's): a binding lives until its TTL (ttl, or
// refresh_ttl for a refresh token) and no principal's logins can push
// out another's. Bound Redis's memory with maxmemory and a volatile-*
// eviction policy if needed.
type RedisSessions struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRedisSessions uses rdb with keys under prefix.
func NewRedisSessions(rdb redis.UniversalClient, prefix string) *RedisSessions {
	return &RedisSessions{rdb: rdb, prefix: prefix}
}

func (s *RedisSessions) key(token string) string {
	d := digest(token)
	return s.prefix + hex.EncodeToString(d[:])
}

// Bind implements Sessions.
func (s *RedisSessions) Bind(ctx context.Context, token, principalID string, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, s.key(token), principalID, ttl).Err(); err != nil {
		return errors.Join(ErrSessionsUnavailable, err)
	}
	return nil
}

// Lookup implements Sessions.
func (s *RedisSessions) Lookup(ctx context.Context, token string) (string, error) {
	id, err := s.rdb.Get(ctx, s.key(token)).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return "", ErrUnknownToken
	case err != nil:
		return "", errors.Join(ErrSessionsUnavailable, err)
	}
	return id, nil
}
