package proxy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/admin"
	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/identity"
	"github.com/veil-proxy/veil/proxy/redisclient"
	"github.com/veil-proxy/veil/proxy/vault"
)

// Stores is what the vault and the audit records live in, built from the
// config's vault:, redis: and audit: sections and shared by `veil serve`
// and `veil vault forget`.
type Stores struct {
	Vault vault.Vault
	Audit *audit.Recorder       // events and alerts: Redis streams (spooled while Redis is away) and/or JSONL files
	Redis redis.UniversalClient // nil without redis:
}

// OpenStores builds the vault (memory or Redis), its keys (file or
// environment; a memory vault without keys gets a random per-process key)
// and the audit recorder (counters, when given, count its writes).
func OpenStores(cfg *config.Config, log *zap.Logger, counters ...audit.Counters) (*Stores, error) {
	keys, err := loadKeys(cfg.Vault, log)
	if err != nil {
		return nil, err
	}
	s := &Stores{}
	if cfg.Redis.Configured() {
		if s.Redis, err = redisclient.New(cfg.Redis, log); err != nil {
			return nil, err
		}
		// Redis may come up after Veil: say so, and serve; what needs it
		// fails closed until it answers.
		pctx, cancel := context.WithTimeout(context.Background(), cfg.Redis.DialTimeout+cfg.Redis.Timeout)
		if err := s.Redis.Ping(pctx).Err(); err != nil && log != nil {
			log.Warn("redis does not answer yet: tokenization is refused until it does", zap.Strings("addrs", cfg.Redis.Addrs), zap.Error(err))
		}
		cancel()
	}
	switch cfg.Vault.Backend {
	case config.VaultRedis:
		s.Vault = vault.NewRedis(keys, s.Redis, cfg.Vault.Prefix)
	default:
		s.Vault = vault.NewMemory(keys)
	}
	o := audit.OptionsFrom(cfg.Audit)
	o.Redis, o.Log = s.Redis, log
	if log != nil {
		o.Log = log.Named("audit")
	}
	if len(counters) > 0 {
		o.Counters = counters[0]
	}
	if s.Audit, err = audit.Open(o); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func loadKeys(c config.Vault, log *zap.Logger) (*vault.Keyring, error) {
	switch {
	case c.KeysFile != "":
		k, err := vault.LoadKeysFile(c.KeysFile)
		if err != nil {
			return nil, fmt.Errorf("vault.keys_file: %w", err)
		}
		return k, nil
	case c.KeysEnv != "":
		k, err := vault.KeysFromEnv(c.KeysEnv)
		if err != nil {
			return nil, fmt.Errorf("vault.keys_env: %w", err)
		}
		return k, nil
	}
	key, err := vault.GenerateKey("ephemeral")
	if err != nil {
		return nil, err
	}
	if log != nil {
		log.Warn("vault: no keys configured (vault.keys_file, vault.keys_env): using a random key for this process; tokens it writes cannot be read after a restart")
	}
	return vault.NewKeyring([]vault.Key{key}, key.ID)
}

// auditCloseTimeout bounds how long Close waits for the audit queues to
// drain to Redis before spooling the rest.
const auditCloseTimeout = 5 * time.Second

// Close releases the vault, drains and closes the audit recorder, then
// closes the Redis client.
func (s *Stores) Close() error {
	var errs []error
	if s.Vault != nil {
		errs = append(errs, s.Vault.Close())
	}
	if s.Audit != nil {
		ctx, cancel := context.WithTimeout(context.Background(), auditCloseTimeout)
		errs = append(errs, s.Audit.Close(ctx))
		cancel()
	}
	if s.Redis != nil {
		errs = append(errs, s.Redis.Close())
	}
	return errors.Join(errs...)
}

// Forget erases from the vault (crypto-shredding: every copy of the token
// in the CRM stops meaning anything) and records the erasure, waiting
// until the record is durable (in Redis, or fsynced in the spool or the
// audit file). actor says who asked. The record holds the token or the
// category, never the value.
func (s *Stores) Forget(ctx context.Context, req admin.ForgetRequest, actor string) (admin.ForgetResult, error) {
	var (
		n   int
		err error
	)
	switch {
	case req.Token != "" && req.Value == "" && req.Category == "":
		n, err = s.Vault.Forget(ctx, req.Token)
	case req.Token == "" && req.Value != "" && req.Category != "":
		n, err = s.Vault.ForgetValue(ctx, req.Category, req.Value)
	default:
		return admin.ForgetResult{}, admin.ErrForgetRequest
	}
	if err != nil {
		return admin.ForgetResult{}, err
	}
	e, err := s.Audit.RecordSync(ctx, audit.Event{Kind: audit.KindVaultErasure,
		Actor: actor, Token: req.Token, Category: req.Category, Erased: n, Backend: s.Vault.Backend()})
	if err != nil {
		return admin.ForgetResult{Erased: n, EventID: e.ID}, fmt.Errorf("%w: %v", admin.ErrAuditRecord, err)
	}
	return admin.ForgetResult{Erased: n, EventID: e.ID}, nil
}

// openSessions is where logins through Veil bind CRM tokens to principals:
// Redis when configured (every replica sees every login), else memory. Nil
// (no lookups, no Redis round trip for an unknown token) when no principal
// logs in through Veil.
func openSessions(cfg *config.Config, s *Stores) identity.Sessions {
	any := false
	for _, p := range cfg.Identity.Principals {
		any = any || len(p.CRMUsers) > 0
	}
	switch {
	case !any:
		return nil
	case s.Redis != nil:
		return identity.NewRedisSessions(s.Redis, cfg.Identity.Sessions.Prefix)
	default:
		return identity.NewMemorySessions(cfg.Identity.Sessions.MaxEntries)
	}
}
