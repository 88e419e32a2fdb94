package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// Problems is every problem Validate found, in file order.
type Problems []string

func (p Problems) Error() string {
	if len(p) == 1 {
		return "invalid config: " + p[0]
	}
	return fmt.Sprintf("invalid config (%d problems):\n  - %s", len(p), strings.Join(p, "\n  - "))
}

func (p *Problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// Validate reports every problem at once and changes nothing. It expects
// ApplyDefaults to have run. The error, when not nil, is a Problems.
func (c *Config) Validate() error {
	var p Problems
	checkAddr(&p, "listen", c.Listen)
	checkAddr(&p, "admin.listen", c.Admin.Listen)
	if c.Listen == c.Admin.Listen {
		p.add("admin.listen: must differ from listen (%s)", c.Listen)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		p.add("log.level: %q is not one of debug, info, warn, error", c.Log.Level)
	}
	if c.Limits.MaxBodyBytes < 1024 {
		p.add("limits.max_body_bytes: %d is below the minimum of 1024", c.Limits.MaxBodyBytes)
	}
	if c.Limits.MaxJSONDepth < 2 || c.Limits.MaxJSONDepth > 1000 {
		p.add("limits.max_json_depth: %d is outside 2..1000", c.Limits.MaxJSONDepth)
	}
	if c.Limits.StreamChunkBytes < 1024 {
		p.add("limits.stream_chunk_bytes: %d is below the minimum of 1024", c.Limits.StreamChunkBytes)
	}
	if c.Limits.MaxStreamBytes < 0 {
		p.add("limits.max_stream_bytes: must not be negative")
	}
	if c.Limits.Budget() < 0 {
		p.add("limits.inspection_budget: must not be negative (0 disables it)")
	}
	t := c.Timeouts
	for _, d := range []struct {
		name string
		v    int64
	}{
		{"read_header", int64(t.ReadHeader)}, {"read", int64(t.Read)}, {"write", int64(t.Write)},
		{"idle", int64(t.Idle)}, {"upstream_dial", int64(t.UpstreamDial)}, {"upstream_tls", int64(t.UpstreamTLS)},
		{"upstream_response", int64(t.UpstreamResponse)}, {"shutdown", int64(t.Shutdown)},
	} {
		if d.v < 0 {
			p.add("timeouts.%s: must not be negative", d.name)
		}
	}
	if c.Policy.WatchInterval < 10*time.Millisecond {
		p.add("policy.watch_interval: %s is below the minimum of 10ms", c.Policy.WatchInterval)
	}
	if c.Policy.RecentDecisions < 0 {
		p.add("policy.recent_decisions: must not be negative")
	}
	for field, key := range c.Policy.ConsentFields {
		if field == "" {
			p.add("policy.consent_fields: a field name is empty")
		}
		if !isConsentKey(key) {
			p.add("policy.consent_fields.%s: %q must be lower-case letters, digits and '_', starting with a letter", field, key)
		}
	}
	c.validateRedisVault(&p)
	c.Identity.validate(&p)
	if len(c.Routes) == 0 {
		p.add("routes: at least one route is required")
	}
	names := map[string]bool{}
	prefixes := map[string]bool{}
	for i, r := range c.Routes {
		at := fmt.Sprintf("routes[%d]", i)
		if r.Name == "" {
			p.add("%s.name: required", at)
		} else if !isIdent(r.Name) {
			p.add("%s.name: %q must be lower-case letters, digits, '_' or '-'", at, r.Name)
		} else if names[r.Name] {
			p.add("%s.name: %q is used by another route", at, r.Name)
		}
		names[r.Name] = true
		switch r.Dialect {
		case DialectSalesforce, DialectHubSpot, DialectGeneric:
		default:
			p.add("%s.dialect: %q is not one of salesforce, hubspot, generic", at, r.Dialect)
		}
		if !strings.HasPrefix(r.Prefix, "/") {
			p.add("%s.prefix: %q must start with '/'", at, r.Prefix)
		} else if prefixes[r.Prefix] {
			p.add("%s.prefix: %q is used by another route", at, r.Prefix)
		}
		prefixes[r.Prefix] = true
		checkUpstream(&p, at+".upstream", r.Upstream)
		if r.Purpose != "" && !isIdent(r.Purpose) {
			p.add("%s.purpose: %q must be lower-case letters, digits, '_' or '-'", at, r.Purpose)
		}
		switch r.OnError {
		case OnErrorBlock, OnErrorAllow:
		default:
			p.add("%s.on_error: %q is not one of block, allow", at, r.OnError)
		}
		for j, d := range r.Downloads {
			if _, err := path.Match(d, "/"); err != nil || !strings.HasPrefix(d, "/") {
				p.add("%s.downloads[%d]: %q is not a path pattern starting with '/'", at, j, d)
			}
		}
	}
	c.validateForward(&p)
	c.validateAdmin(&p)
	c.validateSessions(&p)
	if len(p) == 0 {
		return nil
	}
	return p
}

func (id *Identity) validate(p *Problems) {
	if id.Header != "" && !validHeaderName(id.Header) {
		p.add("identity.header: %q is not a valid header name", id.Header)
	}
	if len(id.Principals) == 0 {
		p.add("identity.principals: at least one principal is required")
	}
	if id.UsernameHashKeyFile != "" {
		if _, err := id.UsernameHashKey(); err != nil {
			p.add("%v", err)
		}
	}
	ids := map[string]bool{}
	tokens := map[string]bool{}
	for i, pr := range id.Principals {
		at := fmt.Sprintf("identity.principals[%d]", i)
		if pr.ID == "" {
			p.add("%s.id: required", at)
		} else if ids[pr.ID] {
			p.add("%s.id: %q is used by another principal", at, pr.ID)
		}
		ids[pr.ID] = true
		switch {
		case pr.Token == "" && pr.TokenSHA256 == "" && len(pr.CRMUsers) == 0:
			p.add("%s: one of token, token_sha256 or crm_users is required", at)
		case pr.Token != "" && pr.TokenSHA256 != "":
			p.add("%s: set token or token_sha256, not both", at)
		case pr.TokenSHA256 != "":
			if b, err := hex.DecodeString(pr.TokenSHA256); err != nil || len(b) != 32 {
				p.add("%s.token_sha256: must be 64 hex digits", at)
			}
		}
		digest := pr.Digest()
		if digest != "" && tokens[digest] {
			p.add("%s: token is shared with another principal", at)
		}
		tokens[digest] = true
		if len(pr.Roles) == 0 {
			p.add("%s.roles: at least one role is required", at)
		}
		for j, r := range pr.Roles {
			if !isIdent(r) {
				p.add("%s.roles[%d]: %q must be lower-case letters, digits, '_' or '-'", at, j, r)
			}
		}
	}
}

func checkAddr(p *Problems, name, addr string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		p.add("%s: %q is not host:port", name, addr)
		return
	}
	if port == "" {
		p.add("%s: %q has no port", name, addr)
	}
	_ = host // an empty host listens on every interface; allowed but not the default
}

func checkUpstream(p *Problems, name, raw string) {
	if raw == "" {
		p.add("%s: required", name)
		return
	}
	u, err := url.Parse(raw)
	if err != nil {
		p.add("%s: not a URL: %v", name, errors.Unwrap(err))
		return
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		p.add("%s: scheme must be http or https", name)
	}
	if u.Host == "" {
		p.add("%s: has no host", name)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		p.add("%s: must not carry a query or fragment", name)
	}
	if u.User != nil {
		p.add("%s: must not carry credentials", name)
	}
}

func isIdent(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ValidIdent reports whether s is usable as a role, purpose or route name.
func ValidIdent(s string) bool { return isIdent(s) }

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return http.CanonicalHeaderKey(s) != ""
}

func isConsentKey(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func (c *Config) validateRedisVault(p *Problems) {
	r := c.Redis
	for i, a := range r.Addrs {
		checkAddr(p, fmt.Sprintf("redis.addrs[%d]", i), a)
	}
	if !r.Configured() && (r.MasterName != "" || r.PasswordEnv != "" || r.PasswordFile != "" || r.Username != "") {
		p.add("redis: addrs is required when any other redis setting is given")
	}
	if r.PasswordEnv != "" && r.PasswordFile != "" {
		p.add("redis: set password_env or password_file, not both")
	}
	if r.DB < 0 {
		p.add("redis.db: must not be negative")
	}
	if r.DB != 0 && len(r.Addrs) > 1 && r.MasterName == "" {
		p.add("redis.db: a Cluster has only database 0")
	}
	if r.DialTimeout < 0 || r.Timeout < 0 {
		p.add("redis: timeouts must not be negative")
	}
	v := c.Vault
	switch v.Backend {
	case VaultMemory:
	case VaultRedis:
		if !r.Configured() {
			p.add("vault.backend: redis needs redis.addrs")
		}
		if v.KeysFile == "" && v.KeysEnv == "" {
			p.add("vault: a redis vault needs keys_file or keys_env (the same keys on every replica)")
		}
	default:
		p.add("vault.backend: %q is not one of memory, redis", v.Backend)
	}
	if v.KeysFile != "" && v.KeysEnv != "" {
		p.add("vault: set keys_file or keys_env, not both")
	}
	c.validateAudit(p)
}

func (c *Config) validateAudit(p *Problems) {
	a := c.Audit
	if a.Stream == "" || a.AlertStream == "" {
		p.add("audit: stream and alert_stream must not be empty")
	}
	if a.Stream == a.AlertStream {
		p.add("audit: stream and alert_stream must differ")
	}
	if a.MaxLen < 1000 {
		p.add("audit.max_len: at least 1000 (a stream trimmed shorter loses events before consumers read them)")
	}
	if a.Queue < 1 || a.Batch < 1 || a.Batch > a.Queue {
		p.add("audit: queue and batch must be positive, batch at most queue")
	}
	if a.FlushInterval <= 0 {
		p.add("audit.flush_interval: must be positive")
	}
	if a.SpoolMaxBytes < 1<<20 {
		p.add("audit.spool_max_bytes: at least 1 MiB")
	}
	if a.OnFull != OnFullDrop && a.OnFull != OnFullBlock {
		p.add("audit.on_full: %q is not one of drop, block", a.OnFull)
	}
	if a.Checkpoint.Every < 1 || a.Checkpoint.Interval <= 0 {
		p.add("audit.checkpoint: every and interval must be positive")
	}
	if a.HeadFile != "" && a.HeadFile == a.File {
		p.add("audit.head_file: must not be audit.file")
	}
	if a.AlertWindow < time.Second || a.AlertBudget < 1 {
		p.add("audit: alert_window must be at least 1s and alert_budget positive")
	}
	w := c.Watch
	if w.BruteForce.Window <= 0 || w.BulkExport.Window <= 0 || w.Spike.Window <= 0 {
		p.add("watch: windows must be positive")
	}
	if w.BruteForce.Failures < 1 || w.BulkExport.Records < 1 || w.Spike.Values < 1 {
		p.add("watch: thresholds must be positive")
	}
	if c.Inventory.MaxEntries < 1 {
		p.add("inventory.max_entries: must be positive")
	}
}
