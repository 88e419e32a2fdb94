package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/redisclient"
	"github.com/veil-proxy/veil/proxy/redistest"
)

// tunedClient is a client of rs as the proxy builds one: a
// UniversalClient tuned by redisclient.Tune with the config's defaults.
func tunedClient(t testing.TB, rs *redistest.Server) redis.UniversalClient {
	o := &redis.UniversalOptions{Addrs: []string{rs.Addr()}}
	redisclient.Tune(o, config.Redis{})
	c := redis.NewUniversalClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

var prefixes atomic.Int64

// TestRedisConformance runs the suite against a real redis-server, each
// subtest under a prefix of its own, each replica with a client of its
// own.
func TestRedisConformance(t *testing.T) {
	rs := redistest.Start(t)
	runConformance(t, func(t *testing.T) func() Store {
		prefix := fmt.Sprintf("test%d:", prefixes.Add(1))
		return func() Store { return NewRedisStore(tunedClient(t, rs), prefix) }
	})
}

// What Redis holds: keys under the prefix, named by an HMAC; envelopes
// without the value or the token in the clear.
func TestRedisHoldsNoValue(t *testing.T) {
	ctx := context.Background()
	rs := redistest.Start(t)
	c := rs.Client(t)
	v := NewRedis(ring(t, "k1", testKey("k1", 1)), c, "")
	if v.Backend() != "redis" {
		t.Errorf("Backend() = %q", v.Backend())
	}
	items := []Item{{"us_ssn", "219-09-9999"}, {"email", "jane.doe@example.com"}, {"person_name", "Jane Doe"}}
	toks := tokenize(t, v, items...)
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != len(items) {
		t.Fatalf("keys %q", keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, DefaultRedisPrefix) || len(k) != len(DefaultRedisPrefix)+64 {
			t.Errorf("key %q", k)
		}
		env, err := c.Get(ctx, k).Bytes()
		if err != nil {
			t.Fatal(err)
		}
		for i, it := range items {
			if bytes.Contains(env, []byte(it.Value)) || bytes.Contains(env, []byte(toks[i])) || strings.Contains(k, toks[i]) {
				t.Errorf("entry %s shows %s", k, it.Category)
			}
		}
	}
	// The vault does not own the client.
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Errorf("Close closed the caller's client: %v", err)
	}
}

// Redis down: every call fails with ErrUnavailable (nothing is stored in
// the clear by a caller failing closed); Redis back: calls work again.
func TestRedisUnavailable(t *testing.T) {
	ctx := context.Background()
	rs := redistest.Start(t)
	v := NewRedis(ring(t, "k1", testKey("k1", 1)), tunedClient(t, rs), "")
	items := []Item{{"us_ssn", "219-09-9999"}, {"email", "jane@example.com"}}
	toks := tokenize(t, v, items...)

	rs.Stop()
	down := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s with Redis down: %v", op, err)
		} else if strings.Contains(err.Error(), "219-09") || strings.Contains(err.Error(), "jane@") {
			t.Errorf("%s: the error shows a value: %v", op, err)
		}
	}
	_, err := v.Tokenize(ctx, items)
	down("Tokenize", err)
	_, err = v.Detokenize(ctx, toks)
	down("Detokenize", err)
	_, err = v.Forget(ctx, toks[0])
	down("Forget", err)
	_, err = v.ForgetValue(ctx, "email", "jane@example.com")
	down("ForgetValue", err)
	// A deadline of the caller's bounds the call too.
	dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = v.Tokenize(dctx, items)
	cancel()
	down("Tokenize with a deadline", err)

	rs.Restart() // empty: nothing is persisted
	if got := tokenize(t, v, items...); got[0] != toks[0] || got[1] != toks[1] {
		t.Errorf("after restart: %q, before %q", got, toks)
	}
	reveals(t, v, toks[0], "us_ssn", "219-09-9999")
}
