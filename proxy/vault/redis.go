package vault

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisPrefix starts the Redis keys of the vault when NewRedis or
// NewRedisStore is given no prefix.
const DefaultRedisPrefix = "veil:vault:"

// redisStore is a Store in Redis: each batch one pipeline (one round trip;
// a Cluster client splits it per node), one key per command, so it works
// the same on a standalone server, behind Sentinel and on a Cluster. No
// MULTI, no Lua: nothing spans keys. PutIfAbsent is SET key val NX GET,
// which needs Redis 7.0 or later.
type redisStore struct {
	c      redis.UniversalClient
	prefix string
}

// NewRedisStore is a Store in Redis through c, its keys under prefix
// (DefaultRedisPrefix when ""). The caller owns c: Close leaves it open.
func NewRedisStore(c redis.UniversalClient, prefix string) Store {
	if prefix == "" {
		prefix = DefaultRedisPrefix
	}
	return &redisStore{c: c, prefix: prefix}
}

// NewRedis is a Vault over a Redis store (NewRedisStore). The caller owns
// c and closes it after the vault.
func NewRedis(keys *Keyring, c redis.UniversalClient, prefix string) Vault {
	return New(keys, NewRedisStore(c, prefix))
}

// unavailable wraps a Redis error as ErrUnavailable.
func unavailable(err error) error { return fmt.Errorf("%w: redis: %w", ErrUnavailable, err) }

// pipeErr is a pipeline's error unless it is only some command's redis.Nil.
func pipeErr(err error) error {
	if err == nil || errors.Is(err, redis.Nil) {
		return nil
	}
	return unavailable(err)
}

func (s *redisStore) PutIfAbsent(ctx context.Context, keys []string, vals [][]byte) ([][]byte, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.StatusCmd, len(keys))
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.SetArgs(ctx, s.prefix+k, vals[i], redis.SetArgs{Mode: "NX", Get: true})
		}
		return nil
	})
	if err := pipeErr(err); err != nil {
		return nil, err
	}
	existing := make([][]byte, len(keys))
	for i, c := range cmds {
		v, err := c.Result()
		switch {
		case errors.Is(err, redis.Nil): // absent: stored now
		case err != nil:
			return nil, unavailable(err)
		default:
			existing[i] = []byte(v)
		}
	}
	return existing, nil
}

func (s *redisStore) Get(ctx context.Context, keys []string) ([][]byte, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.StringCmd, len(keys))
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Get(ctx, s.prefix+k)
		}
		return nil
	})
	if err := pipeErr(err); err != nil {
		return nil, err
	}
	out := make([][]byte, len(keys))
	for i, c := range cmds {
		b, err := c.Bytes()
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			return nil, unavailable(err)
		default:
			out[i] = b
		}
	}
	return out, nil
}

// Bury is SET key tombstone XX GET per key: only where an entry is, and
// the old entry tells whether it was live.
func (s *redisStore) Bury(ctx context.Context, keys []string) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	cmds := make([]*redis.StatusCmd, len(keys))
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.SetArgs(ctx, s.prefix+k, tombstone, redis.SetArgs{Mode: "XX", Get: true})
		}
		return nil
	})
	if err := pipeErr(err); err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cmds {
		old, err := c.Result()
		switch {
		case errors.Is(err, redis.Nil): // nothing there: nothing created
		case err != nil:
			return 0, unavailable(err)
		case !isTombstone([]byte(old)):
			n++
		}
	}
	return n, nil
}

func (s *redisStore) Delete(ctx context.Context, keys []string) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	cmds := make([]*redis.IntCmd, len(keys))
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Del(ctx, s.prefix+k)
		}
		return nil
	})
	if err != nil {
		return 0, unavailable(err)
	}
	n := 0
	for _, c := range cmds {
		n += int(c.Val())
	}
	return n, nil
}

func (s *redisStore) Name() string { return "redis" }

// Close leaves the client open: whoever built it closes it.
func (s *redisStore) Close() error { return nil }
