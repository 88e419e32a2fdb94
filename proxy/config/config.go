package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"
)

// Defaults. A zero value in a loaded file means "use the default"; Validate
// checks the result of applying them.
const (
	DefaultListen            = "127.0.0.1:8080"
	DefaultAdminListen       = "127.0.0.1:9090"
	DefaultForwardListen     = "127.0.0.1:3128" // the demo's; forward mode is off unless forward.listen is set
	DefaultLogLevel          = "info"
	DefaultIdentityHeader    = "Authorization"
	DefaultPurposeHeader     = "X-Veil-Purpose"
	DefaultMaxBodyBytes      = 10 << 20 // decoded bytes inspected per message
	DefaultStreamChunkBytes  = 1 << 20  // decoded bytes of one chunk of a response streamed past max_body_bytes
	DefaultMaxStreamBytes    = 4 << 30  // decoded bytes of a streamed response
	DefaultMaxJSONDepth      = 64
	DefaultInspectionBudget  = 2 * time.Second // wall time to inspect one message (or stream chunk)
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 60 * time.Second
	DefaultWriteTimeout      = 120 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultDialTimeout       = 10 * time.Second
	DefaultResponseTimeout   = 60 * time.Second
	DefaultTLSTimeout        = 10 * time.Second
	DefaultShutdownTimeout   = 15 * time.Second
	DefaultWatchInterval     = time.Second
	DefaultRecentDecisions   = 1024
	DefaultRedisDialTimeout  = 500 * time.Millisecond
	DefaultRedisTimeout      = 500 * time.Millisecond
	DefaultAuditStream       = "veil:audit"
	DefaultAlertStream       = "veil:alerts"
	DefaultStreamMaxLen      = 1_000_000 // entries per stream, approximately (XADD MAXLEN ~)
	DefaultAuditQueue        = 65536     // events held in memory per stream before the spool takes them
	DefaultAuditBatch        = 256       // events per pipelined write
	DefaultAuditFlush        = 20 * time.Millisecond
	DefaultSpoolMaxBytes     = 1 << 30
	DefaultAlertWindow       = time.Minute // policy alerts aggregated per principal and kind
	DefaultAlertBudget       = 50          // alerts of one kind written per alert window

	DefaultBruteForceWindow   = 5 * time.Minute
	DefaultBruteForceFailures = 20
	DefaultBulkExportWindow   = time.Hour
	DefaultBulkExportRecords  = 1000
	DefaultSpikeWindow        = 10 * time.Minute
	DefaultSpikeValues        = 200
	DefaultProbeWindow        = time.Hour
	DefaultProbeProbes        = 10
	DefaultInventoryMax       = 10000
)

// What the audit writer does when the spool is full (audit.on_full).
const (
	OnFullDrop  = "drop"  // keep serving; count veil_audit_events_dropped_total and raise an alert
	OnFullBlock = "block" // refuse traffic with a CRM-shaped 503 audit_unavailable until events can be recorded
)

// DefaultSpikeCategories are the categories whose spikes raise an alert.
var DefaultSpikeCategories = []string{"us_ssn", "us_itin", "credit_card", "card_verification", "iban", "bank_account", "uk_nino", "uk_nhs", "br_cpf", "ca_sin", "us_mbi", "passport", "secret"}

// Dialects Veil understands.
const (
	DialectSalesforce = "salesforce"
	DialectHubSpot    = "hubspot"
	DialectGeneric    = "generic"
)

// Failure modes of a route when a message cannot be inspected.
const (
	OnErrorBlock = "block" // fail closed (default)
	OnErrorAllow = "allow" // fail open: forwarded unscanned, counted and logged
)

// Config is the whole of veil serve's configuration. Each package takes only
// its own part of it.
type Config struct {
	Listen    string    `yaml:"listen"`
	Admin     Admin     `yaml:"admin"`
	Log       Log       `yaml:"log"`
	Policy    Policy    `yaml:"policy"`
	Limits    Limits    `yaml:"limits"`
	Timeouts  Timeouts  `yaml:"timeouts"`
	Identity  Identity  `yaml:"identity"`
	Routes    []Route   `yaml:"routes"`
	Redis     Redis     `yaml:"redis"`
	Vault     Vault     `yaml:"vault"`
	Audit     Audit     `yaml:"audit"`
	Watch     Watch     `yaml:"watch"`
	Inventory Inventory `yaml:"inventory"`
	Forward   Forward   `yaml:"forward"`
	TLS       TLS       `yaml:"tls"` // the reverse listener's (tls.go)
	// PublicURL is how clients reach the reverse listener (e.g.
	// https://veil.example.com), written into the CRM's absolute URLs
	// (instance_url, HubSpot paging links) so clients stay behind Veil.
	// Empty: the scheme and Host of each request.
	PublicURL string `yaml:"public_url"`
}

// Redis is the shared Redis that holds state replicas must agree on (the
// vault; audit streams). One address is a standalone server; several are
// a Cluster's seeds; with MasterName they are Sentinels. Secrets never sit
// in the file: the password comes from PasswordEnv or PasswordFile.
type Redis struct {
	Addrs        []string      `yaml:"addrs"`
	MasterName   string        `yaml:"master_name"`
	Username     string        `yaml:"username"`
	PasswordEnv  string        `yaml:"password_env"`
	PasswordFile string        `yaml:"password_file"`
	DB           int           `yaml:"db"`
	TLS          bool          `yaml:"tls"`
	DialTimeout  time.Duration `yaml:"dial_timeout"`
	Timeout      time.Duration `yaml:"timeout"` // read and write
}

// Configured reports whether a Redis is configured.
func (r Redis) Configured() bool { return len(r.Addrs) > 0 }

// Vault backends.
const (
	VaultMemory = "memory" // one process, values lost on restart: demos and tests
	VaultRedis  = "redis"  // shared by every replica (redis:)
)

// Vault is the tokenization vault. Its keys never sit in the file: they
// come from KeysFile or from the environment variable KeysEnv, one
// "<id> <base64 of 32 bytes>" per line, the last one active (`veil vault
// keygen` writes one). A memory vault without keys gets a random key per
// process.
type Vault struct {
	Backend  string `yaml:"backend"`
	KeysFile string `yaml:"keys_file"`
	KeysEnv  string `yaml:"keys_env"`
	Prefix   string `yaml:"prefix"` // Redis key prefix; "" is the vault's default, veil:vault:
}

// Audit says where audit events and alerts go: Redis streams when redis:
// is configured (written off the request path, spooled to disk while
// Redis is away), and JSONL files when File and AlertFile are set (the
// demo's sinks).
type Audit struct {
	File          string        `yaml:"file"`         // JSONL of audit events; "" for none
	AlertFile     string        `yaml:"alert_file"`   // JSONL of alerts; "" for none
	Stream        string        `yaml:"stream"`       // audit events, default veil:audit
	AlertStream   string        `yaml:"alert_stream"` // alerts, default veil:alerts
	MaxLen        int64         `yaml:"max_len"`      // approximate MAXLEN of each stream
	Queue         int           `yaml:"queue"`        // events held in memory per stream
	Batch         int           `yaml:"batch"`        // events per pipelined write
	FlushInterval time.Duration `yaml:"flush_interval"`
	SpoolDir      string        `yaml:"spool_dir"` // "" is <tmp>/veil-spool; mount a volume in production
	SpoolMaxBytes int64         `yaml:"spool_max_bytes"`
	OnFull        string        `yaml:"on_full"`  // drop (default) or block
	Sync          bool          `yaml:"sync"`     // answer a message only once its events are durable
	Instance      string        `yaml:"instance"` // names this process's hash chain; "" is host name + a random suffix per start
	// AlertWindow aggregates the policy's alerts per principal and kind:
	// the first at once, then one summary per window with the count.
	AlertWindow time.Duration `yaml:"alert_window"`
	// AlertBudget is how many alerts of one kind are written per
	// AlertWindow; past it they are counted into one summary of the kind.
	AlertBudget int `yaml:"alert_budget"`

	// Tamper evidence (docs/soc.md). ChainKeyFile: "<id> <base64 of 32
	// bytes>" lines, the last one keys new records ("" reads the same
	// from $VEIL_AUDIT_KEY; neither: a plain SHA-256 chain).
	// SigningKeyFile: Ed25519 PKCS#8 PEM signing the checkpoints ("" no
	// checkpoints). HeadFile: the events' checkpoints ("" is file + ".head").
	ChainKeyFile   string          `yaml:"chain_key_file"`
	SigningKeyFile string          `yaml:"signing_key_file"`
	HeadFile       string          `yaml:"head_file"`
	Checkpoint     AuditCheckpoint `yaml:"checkpoint"`
}

// AuditCheckpoint says how often a signed checkpoint is written: every
// Every records, and at most Interval after a record (and at shutdown).
type AuditCheckpoint struct {
	Every    int           `yaml:"every"`
	Interval time.Duration `yaml:"interval"`
}

// Defaults of audit.checkpoint.
const (
	DefaultCheckpointEvery    = 1000
	DefaultCheckpointInterval = 10 * time.Second
)

// Watch is the behaviour watch (IDS/IPS): windows of counts per principal
// and IP, alerts above the thresholds, and the counts passed to the
// policy as input.stats. The windows are in Redis when redis: is
// configured (shared by every replica), in memory otherwise.
type Watch struct {
	Disabled   bool       `yaml:"disabled"`
	BruteForce BruteForce `yaml:"brute_force"`
	BulkExport BulkExport `yaml:"bulk_export"`
	Spike      Spike      `yaml:"spike"`
	Probe      Probe      `yaml:"inference_probe"`
	Prefix     string     `yaml:"prefix"` // Redis key prefix, default veil:watch:
}

// BruteForce alerts when the CRM has answered 401/403 Failures times (or
// more) for one IP or one principal within Window.
type BruteForce struct {
	Window   time.Duration `yaml:"window"`
	Failures int           `yaml:"failures"`
}

// BulkExport alerts when one principal has read Records records (or more)
// holding personal data within Window.
type BulkExport struct {
	Window  time.Duration `yaml:"window"`
	Records int           `yaml:"records"`
}

// Spike alerts when one principal has moved Values values (or more) of
// Categories, summed, in either direction within Window.
type Spike struct {
	Window     time.Duration `yaml:"window"`
	Values     int           `yaml:"values"`
	Categories []string      `yaml:"categories"`
}

// Probe alerts when one principal's requests have tested Probes values
// (or more) of fields it may not read in clear within Window: filters,
// searches, lookups and sorts on them (policy.Decision.Probes), refused
// or let through by the policy's predicates.allow.
type Probe struct {
	Window time.Duration `yaml:"window"`
	Probes int           `yaml:"probes"`
}

// Inventory is the data inventory learned from traffic (GDPR Art. 30).
type Inventory struct {
	Disabled   bool `yaml:"disabled"`
	MaxEntries int  `yaml:"max_entries"` // route/object/field/category combinations kept
}

// Admin is the admin listener: /metrics, /healthz, /readyz, /admin/...
// Authentication and TLS: admin.go, tls.go.
type Admin struct {
	Listen      string `yaml:"listen"`
	TokenFile   string `yaml:"token_file"`
	TokenEnv    string `yaml:"token_env"`
	MetricsOpen bool   `yaml:"metrics_open"`
	Pprof       bool   `yaml:"pprof"` // serve net/http/pprof under /debug/pprof/ (behind the token)
	TLS         TLS    `yaml:"tls"`
}

// Log configures the redacting JSON logger.
type Log struct {
	Level string `yaml:"level"`
}

// Policy says where the Rego bundle lives and how it is run. An empty Rules
// uses the bundle compiled into the binary (rules/).
type Policy struct {
	Rules string `yaml:"rules"`
	// Shadow is a second bundle directory evaluated alongside, never
	// enforced (dry run): differences are counted and logged.
	Shadow string `yaml:"shadow"`
	// Watch reloads the bundles when their files change (default on when
	// Rules or Shadow is a directory); WatchInterval is how often the
	// files are looked at, and a change is applied once quiet that long.
	Watch         *bool         `yaml:"watch"`
	WatchInterval time.Duration `yaml:"watch_interval"`
	// RecentDecisions is how many decisions GET /admin/decisions/{id}
	// can explain.
	RecentDecisions int `yaml:"recent_decisions"`
	// ConsentFields maps more CRM fields to consent keys of the policy
	// input's records[].consent, e.g. Do_Not_Sell__c: sale_opt_out. A field
	// is read where the built-in flags are: a Salesforce record's own
	// member, a HubSpot record's properties.
	ConsentFields map[string]string `yaml:"consent_fields"`
}

// Watching reports whether the bundles are watched for changes.
func (p Policy) Watching() bool {
	if p.Watch != nil {
		return *p.Watch
	}
	return p.Rules != "" || p.Shadow != ""
}

// Limits bound what Veil buffers to inspect.
type Limits struct {
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	MaxJSONDepth int   `yaml:"max_json_depth"`
	// A response over MaxBodyBytes (a Bulk API result, a long page) is
	// inspected a chunk of whole records at a time, each chunk at most
	// StreamChunkBytes (and MaxBodyBytes), the whole at most
	// MaxStreamBytes; at or below MaxBodyBytes nothing streams.
	StreamChunkBytes int64 `yaml:"stream_chunk_bytes"`
	MaxStreamBytes   int64 `yaml:"max_stream_bytes"`
	// InspectionBudget bounds the time Veil spends reading one message's
	// body (each chunk of a streamed one): past it the message is refused
	// with inspection_budget_exceeded. It is wall time, not CPU time. Unset
	// is DefaultInspectionBudget (ApplyDefaults); 0 disables the budget (a
	// client that goes away still stops the inspection). pipeline.New
	// reads nil as 0.
	InspectionBudget *time.Duration `yaml:"inspection_budget"`
}

// Budget is the inspection budget: 0 for none.
func (l Limits) Budget() time.Duration {
	if l.InspectionBudget == nil {
		return 0
	}
	return *l.InspectionBudget
}

// Timeouts of the listener and of the upstream transport.
type Timeouts struct {
	ReadHeader       time.Duration `yaml:"read_header"`
	Read             time.Duration `yaml:"read"`
	Write            time.Duration `yaml:"write"`
	Idle             time.Duration `yaml:"idle"`
	UpstreamDial     time.Duration `yaml:"upstream_dial"`
	UpstreamTLS      time.Duration `yaml:"upstream_tls"`
	UpstreamResponse time.Duration `yaml:"upstream_response"`
	Shutdown         time.Duration `yaml:"shutdown"`
}

// Identity maps credentials to principals.
type Identity struct {
	// Header carries "Bearer <token>" (or "OAuth <token>"). When it is
	// Authorization the header is the CRM's too and is forwarded unchanged;
	// any other header is Veil's own and is removed before forwarding.
	Header     string      `yaml:"header"`
	Principals []Principal `yaml:"principals"`
	// Sessions bind the tokens a CRM issues at a login through Veil to
	// the principal whose crm_users logged in.
	Sessions Sessions `yaml:"sessions"`
	// UsernameHashKeyFile keys the hash that stands for a login's
	// username in auth_failure events and brute_force alerts
	// (UsernameHashKey): without a key whoever reads the audit trail can
	// reverse it by hashing a dictionary of likely usernames. "" keeps
	// the unkeyed hash, which Veil warns about at start.
	UsernameHashKeyFile string `yaml:"username_hash_key_file"`
}

// Sessions configures the CRM-session bindings (identity.sessions).
type Sessions struct {
	TTL        time.Duration `yaml:"ttl"`         // an access token's binding; a shorter expires_in from the CRM wins
	RefreshTTL time.Duration `yaml:"refresh_ttl"` // a refresh token's binding
	MaxEntries int           `yaml:"max_entries"` // memory backend bound (without redis:)
	Prefix     string        `yaml:"prefix"`      // Redis key prefix (with redis:)
}

// Principal is one API key. Exactly one of Token (plain text, for demos)
// and TokenSHA256 (hex digest, for real deployments) is set.
type Principal struct {
	ID          string   `yaml:"id"`
	Token       string   `yaml:"token"`
	TokenSHA256 string   `yaml:"token_sha256"`
	Roles       []string `yaml:"roles"`
	MFA         bool     `yaml:"mfa"`
	// CRMUsers are the CRM users this principal logs in as through Veil:
	// the CRM tokens those logins get identify the principal
	// (identity.sessions). An entry is either a username (printable
	// ASCII, no spaces; matched exactly but for ASCII case) or a
	// Salesforce user id (IsCRMUserID: 005 + 12 or 15 letters and
	// digits): with ids declared, a login is bound only when the user id
	// the CRM answers with is one of them (fail closed).
	CRMUsers []string `yaml:"crm_users"`
}

// Route sends requests whose path starts with Prefix to Upstream.
type Route struct {
	Name           string `yaml:"name"`
	Dialect        string `yaml:"dialect"`
	Prefix         string `yaml:"prefix"`
	Upstream       string `yaml:"upstream"`
	Purpose        string `yaml:"purpose"`         // default purpose when the client sends none
	RequirePurpose bool   `yaml:"require_purpose"` // no purpose header and no default → 403
	OnError        string `yaml:"on_error"`        // block | allow
	// AllowUpgrade lets a Connection: Upgrade (websocket) through: what
	// the upgraded connection carries is not inspected (audited as
	// passthrough, format "upgrade"). Off, an upgrade is refused (403
	// egress_refused), as in forward mode.
	AllowUpgrade bool `yaml:"allow_upgrade"`
	// Downloads are the paths (path.Match patterns, * one segment) whose
	// responses are files: a body Veil cannot read there is the policy's
	// to let through (input body.download). Default: the dialect's.
	Downloads []string `yaml:"downloads"`
}

// Default download paths of each dialect: Salesforce's file contents
// (ContentVersion's VersionData, Attachment and Document bodies, Files
// Connect content) and HubSpot's file downloads.
var (
	DefaultSalesforceDownloads = []string{
		"/services/data/*/sobjects/ContentVersion/*/VersionData",
		"/services/data/*/sobjects/Attachment/*/Body",
		"/services/data/*/sobjects/Document/*/Body",
		"/services/data/*/connect/files/*/content",
	}
	DefaultHubSpotDownloads = []string{"/files/v3/files/*/download"}
)

// IsDownload reports whether a response to path is a file download of
// the route (Downloads).
func (r *Route) IsDownload(p string) bool {
	for _, pat := range r.Downloads {
		if ok, _ := path.Match(pat, p); ok {
			return true
		}
	}
	return false
}

// Load reads, decodes (strictly: unknown keys are errors), applies defaults
// and validates the file at path.
// Every relative file path in it is relative to the file's directory.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := parse(b, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse decodes YAML config bytes, applies defaults and validates.
// Relative file paths in it stay relative to the working directory.
func Parse(b []byte) (*Config, error) { return parse(b, "") }

func parse(b []byte, dir string) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if dir != "" {
		c.resolvePaths(dir)
	}
	c.ApplyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// ApplyDefaults fills zero values with the Default* constants.
func (c *Config) ApplyDefaults() {
	setDefault(&c.Listen, DefaultListen)
	setDefault(&c.Admin.Listen, DefaultAdminListen)
	setDefault(&c.Log.Level, DefaultLogLevel)
	setDefault(&c.Identity.Header, DefaultIdentityHeader)
	setDefault(&c.Limits.MaxBodyBytes, DefaultMaxBodyBytes)
	setDefault(&c.Limits.MaxJSONDepth, DefaultMaxJSONDepth)
	setDefault(&c.Limits.StreamChunkBytes, DefaultStreamChunkBytes)
	setDefault(&c.Limits.MaxStreamBytes, DefaultMaxStreamBytes)
	if c.Limits.InspectionBudget == nil {
		d := DefaultInspectionBudget
		c.Limits.InspectionBudget = &d
	}
	t := &c.Timeouts
	setDefault(&t.ReadHeader, DefaultReadHeaderTimeout)
	setDefault(&t.Read, DefaultReadTimeout)
	setDefault(&t.Write, DefaultWriteTimeout)
	setDefault(&t.Idle, DefaultIdleTimeout)
	setDefault(&t.UpstreamDial, DefaultDialTimeout)
	setDefault(&t.UpstreamTLS, DefaultTLSTimeout)
	setDefault(&t.UpstreamResponse, DefaultResponseTimeout)
	setDefault(&t.Shutdown, DefaultShutdownTimeout)
	setDefault(&c.Policy.WatchInterval, DefaultWatchInterval)
	setDefault(&c.Policy.RecentDecisions, DefaultRecentDecisions)
	setDefault(&c.Redis.DialTimeout, DefaultRedisDialTimeout)
	setDefault(&c.Redis.Timeout, DefaultRedisTimeout)
	setDefault(&c.Vault.Backend, VaultMemory)
	a := &c.Audit
	setDefault(&a.Stream, DefaultAuditStream)
	setDefault(&a.AlertStream, DefaultAlertStream)
	setDefault(&a.MaxLen, DefaultStreamMaxLen)
	setDefault(&a.Queue, DefaultAuditQueue)
	setDefault(&a.Batch, DefaultAuditBatch)
	setDefault(&a.FlushInterval, DefaultAuditFlush)
	setDefault(&a.SpoolMaxBytes, DefaultSpoolMaxBytes)
	setDefault(&a.OnFull, OnFullDrop)
	setDefault(&a.Checkpoint.Every, DefaultCheckpointEvery)
	setDefault(&a.Checkpoint.Interval, DefaultCheckpointInterval)
	setDefault(&a.AlertWindow, DefaultAlertWindow)
	setDefault(&a.AlertBudget, DefaultAlertBudget)
	w := &c.Watch
	setDefault(&w.BruteForce.Window, DefaultBruteForceWindow)
	setDefault(&w.BruteForce.Failures, DefaultBruteForceFailures)
	setDefault(&w.BulkExport.Window, DefaultBulkExportWindow)
	setDefault(&w.BulkExport.Records, DefaultBulkExportRecords)
	setDefault(&w.Spike.Window, DefaultSpikeWindow)
	setDefault(&w.Spike.Values, DefaultSpikeValues)
	setDefault(&w.Probe.Window, DefaultProbeWindow)
	setDefault(&w.Probe.Probes, DefaultProbeProbes)
	if w.Spike.Categories == nil {
		w.Spike.Categories = DefaultSpikeCategories
	}
	setDefault(&c.Inventory.MaxEntries, DefaultInventoryMax)
	for i := range c.Routes {
		r := &c.Routes[i]
		setDefault(&r.Dialect, DialectGeneric)
		setDefault(&r.OnError, OnErrorBlock)
		if r.Downloads == nil {
			switch r.Dialect {
			case DialectSalesforce:
				r.Downloads = DefaultSalesforceDownloads
			case DialectHubSpot:
				r.Downloads = DefaultHubSpotDownloads
			}
		}
	}
	c.applyForwardDefaults()
	c.applySessionDefaults()
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}
