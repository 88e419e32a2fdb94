// Package redisclient builds the one go-redis client (standalone, Sentinel or
// Cluster) that the vault, sessions, watch and audit share, tuned so that a
// Redis down or hung costs a caller a bounded time, not go-redis's retries.
package redisclient

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"strings"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/config"
)

// Options turns the config into go-redis options, reading the password
// from its environment variable or file. It never puts a secret in an
// error.
func Options(c config.Redis) (*redis.UniversalOptions, error) {
	o := &redis.UniversalOptions{
		Addrs:      c.Addrs,
		MasterName: c.MasterName,
		Username:   c.Username,
		DB:         c.DB,
		ClientName: "veil",
	}
	switch {
	case c.PasswordEnv != "":
		pw, ok := os.LookupEnv(c.PasswordEnv)
		if !ok || pw == "" {
			return nil, fmt.Errorf("redis.password_env: %s is not set", c.PasswordEnv)
		}
		o.Password = pw
	case c.PasswordFile != "":
		b, err := os.ReadFile(c.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("redis.password_file: %w", err)
		}
		o.Password = strings.TrimRight(string(b), "\r\n")
	}
	if o.MasterName != "" {
		o.SentinelUsername, o.SentinelPassword = o.Username, o.Password
	}
	if c.TLS {
		o.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	Tune(o, c)
	return o, nil
}

// Tune sets the timeouts and retries of o for a caller on the request
// path: one retry, no dial retries, the configured dial and read/write
// timeouts (default 500 ms each), a pool timeout no longer than those, and
// context deadlines honoured.
func Tune(o *redis.UniversalOptions, c config.Redis) {
	dial, rw := c.DialTimeout, c.Timeout
	if dial <= 0 {
		dial = config.DefaultRedisDialTimeout
	}
	if rw <= 0 {
		rw = config.DefaultRedisTimeout
	}
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout = dial, rw, rw
	o.PoolTimeout = dial + rw
	o.MaxRetries = 1
	o.DialerRetries = 1
	o.ContextTimeoutEnabled = true
}

// New builds the client and routes go-redis's own log lines to log.
func New(c config.Redis, log *zap.Logger) (redis.UniversalClient, error) {
	o, err := Options(c)
	if err != nil {
		return nil, err
	}
	if log != nil {
		redis.SetLogger(zapLogger{log.Named("redis").Sugar()})
	}
	return redis.NewUniversalClient(o), nil
}

type zapLogger struct{ s *zap.SugaredLogger }

func (l zapLogger) Printf(_ context.Context, format string, v ...any) { l.s.Warnf(format, v...) }
