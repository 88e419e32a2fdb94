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
type MemorySessions struct {
	mu  sync.Mutex
	max int
	m   map[[sha256.Size]byte]binding
	now func() time.Time
}

type binding struct {
	principal string
	expires   time.Time
}

// NewMemorySessions holds at most max bindings: when full, expired ones go
// first, then the ones closest to expiry.
func NewMemorySessions(max int) *MemorySessions {
	return &MemorySessions{max: max, m: make(map[[sha256.Size]byte]binding), now: time.Now}
}

// Bind implements Sessions.
func (s *MemorySessions) Bind(_ context.Context, token, principalID string, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	k := digest(token)
	if _, ok := s.m[k]; !ok && len(s.m) >= s.max {
		s.evict(now)
	}
	s.m[k] = binding{principal: principalID, expires: now.Add(ttl)}
	return nil
}

// evict frees room: every expired binding, else the one expiring first.
func (s *MemorySessions) evict(now time.Time) {
	var first [sha256.Size]byte
	var at time.Time
	for k, b := range s.m {
		if !b.expires.After(now) {
			delete(s.m, k)
			continue
		}
		if at.IsZero() || b.expires.Before(at) {
			first, at = k, b.expires
		}
	}
	if len(s.m) >= s.max && !at.IsZero() {
		delete(s.m, first)
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
		delete(s.m, k)
		return "", ErrUnknownToken
	}
	return b.principal, nil
}

// RedisSessions keeps bindings in Redis, shared by every replica: key
// prefix + hex(SHA-256(token)), value the principal id, expiring with the
// binding.
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
