package vault

import (
	"context"
	"fmt"
	"sync"
)

// memoryStore is a Store in a mutex-protected map, for `veil demo`, `make
// run` and tests: unbounded, and lost with the process (every token it
// issued then reads as unknown). Production uses Redis.
type memoryStore struct {
	mu sync.RWMutex
	m  map[string][]byte
}

// NewMemoryStore is a Store held in this process's memory. It is
// unbounded and forgets everything when the process ends: for the demo
// and tests, not for production.
func NewMemoryStore() Store { return &memoryStore{m: make(map[string][]byte)} }

// NewMemory is a Vault over a memory store (NewMemoryStore).
func NewMemory(keys *Keyring) Vault { return New(keys, NewMemoryStore()) }

func live(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

func (s *memoryStore) PutIfAbsent(ctx context.Context, keys []string, vals [][]byte) ([][]byte, error) {
	if err := live(ctx); err != nil {
		return nil, err
	}
	existing := make([][]byte, len(keys))
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, k := range keys {
		if v, ok := s.m[k]; ok {
			existing[i] = clone(v)
			continue
		}
		s.m[k] = clone(vals[i])
	}
	return existing, nil
}

func (s *memoryStore) Get(ctx context.Context, keys []string) ([][]byte, error) {
	if err := live(ctx); err != nil {
		return nil, err
	}
	out := make([][]byte, len(keys))
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i, k := range keys {
		if v, ok := s.m[k]; ok {
			out[i] = clone(v)
		}
	}
	return out, nil
}

func (s *memoryStore) Bury(ctx context.Context, keys []string) (int, error) {
	if err := live(ctx); err != nil {
		return 0, err
	}
	n := 0
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		if v, ok := s.m[k]; ok && !isTombstone(v) {
			s.m[k] = tombstone
			n++
		}
	}
	return n, nil
}

func (s *memoryStore) Delete(ctx context.Context, keys []string) (int, error) {
	if err := live(ctx); err != nil {
		return 0, err
	}
	n := 0
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		if _, ok := s.m[k]; ok {
			delete(s.m, k)
			n++
		}
	}
	return n, nil
}

func (s *memoryStore) Name() string { return "memory" }
func (s *memoryStore) Close() error { return nil }

// clone copies b, keeping nil for nil and non-nil for empty (an empty
// value is still a value).
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}
