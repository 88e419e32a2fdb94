package audit

import "time"

// Kinds of audit event.
const (
	KindDecision      = "decision"       // one per inspected message: what the policy decided and Veil did
	KindVaultErasure  = "vault_erasure"  // a token or value forgotten
	KindEgressRefused = "egress_refused" // forward mode: a CONNECT to a host outside the allowlist
	KindAuthFailure   = "auth_failure"   // credentials that name no principal, a login refused by Veil or failed at the CRM
)

// Outcomes of a decision event (scope.Scope.Outcome).
const (
	// Outcomes of a message: the one vocabulary of audit events, the
	// scope (and so the access log) and the metrics' outcome label.
	OutcomeAllowed     = "allowed"     // forwarded unchanged
	OutcomeTransformed = "transformed" // forwarded with values masked, redacted, tokenized …
	OutcomeBlocked     = "blocked"     // refused with a CRM-shaped error
	OutcomePassthrough = "passthrough" // forwarded with its body not (wholly) inspected: the policy allowed it knowing so (a file download), or a route's on_error: allow
)

// Event is one audit record (stream audit.stream, default veil:audit). It
// never holds a value from a message: counts by category and action, the
// record ids (CRM ids name a record, they are not its data) and a path
// whose detected segments are replaced by their category ("[email]"). A
// Veil token may appear (it is what the CRM stores and what an erasure
// names), the value behind it never.
//
// Seq, PrevHash and Hash chain the events of one instance: Seq counts
// from 1 per Instance, PrevHash is the previous event's Hash ("" for Seq
// 1) and Hash is hex SHA-256 over PrevHash and the event's canonical JSON
// without Hash and Mac. The Recorder fills ID, Time, Instance, Seq,
// PrevHash, Hash, KeyID and Mac; callers fill the rest.
type Event struct {
	ID       string    `json:"id"`
	Time     time.Time `json:"time"`
	Kind     string    `json:"kind"`
	Instance string    `json:"instance,omitempty"`
	Seq      uint64    `json:"seq,omitempty"`

	// Decision events.
	DecisionID     string         `json:"decision_id,omitempty"`
	PolicyRevision string         `json:"policy_revision,omitempty"`
	RequestID      string         `json:"request_id,omitempty"`
	Principal      string         `json:"principal,omitempty"`
	Roles          []string       `json:"roles,omitempty"`
	MFA            bool           `json:"mfa,omitempty"`
	Purpose        string         `json:"purpose,omitempty"`
	IP             string         `json:"ip,omitempty"` // the client's address (the caller, not a data subject)
	Route          string         `json:"route,omitempty"`
	Direction      string         `json:"direction,omitempty"`
	Method         string         `json:"method,omitempty"`
	Path           string         `json:"path,omitempty"` // detected segments replaced by "[category]"; never the query
	Operation      string         `json:"operation,omitempty"`
	Object         string         `json:"object,omitempty"`
	RecordIDs      []string       `json:"record_ids,omitempty"`
	Categories     map[string]int `json:"categories,omitempty"` // findings by category
	Actions        map[string]int `json:"actions,omitempty"`    // findings by action applied
	Outcome        string         `json:"outcome,omitempty"`
	Code           string         `json:"code,omitempty"`   // stable error code when blocked
	Status         int            `json:"status,omitempty"` // the CRM's status on a response
	Rules          []string       `json:"rules,omitempty"`  // deny reasons of a refused message
	// BodyFormat is how Veil read the body (json, xml, soap, csv, form,
	// multipart, text, binary); Uninspected marks a body it could not
	// wholly read, with why (UninspectedReason).
	BodyFormat        string `json:"body_format,omitempty"`
	Uninspected       bool   `json:"uninspected,omitempty"`
	UninspectedReason string `json:"uninspected_reason,omitempty"`

	// A response over limits.max_body_bytes is decided a chunk at a time
	// and audited once: Chunks counts its chunks (a policy decision each;
	// DecisionID is the first's, or the refusing one's), and the record
	// ids past the bound of one event are counted, not listed.
	Chunks           int `json:"chunks,omitempty"`
	RecordIDsOmitted int `json:"record_ids_omitted,omitempty"`
	// RecordsWithoutIDs counts the records holding findings whose id the
	// message did not carry: they are affected, but cannot be named.
	RecordsWithoutIDs int `json:"records_without_ids,omitempty"`
	// Bytes is the message body's size: decoded as Veil read it (a
	// streamed body's in full), or a body passed unread's Content-Length;
	// absent for a message without a body.
	Bytes int64 `json:"bytes,omitempty"`

	// Vault erasures.
	Actor    string `json:"actor,omitempty"` // who asked: "admin_api from 127.0.0.1", "cli"
	Token    string `json:"token,omitempty"`
	Category string `json:"category,omitempty"`
	Erased   int    `json:"erased,omitempty"`
	Backend  string `json:"backend,omitempty"`

	// Forward mode.
	Host string `json:"host,omitempty"`

	// Authentication failures (KindAuthFailure): a login's username
	// hashed (identity.UsernameHasher: an HMAC under the configured key),
	// never the username, a password or a token.
	UsernameHash string `json:"username_hash,omitempty"`

	// The chain (keep these last, in this order: the writer splices them
	// in). KeyID names the chain key (audit.chain_key_file) and is part
	// of the hashed content; Mac is hex HMAC-SHA256 of Hash under that
	// key ("" and "" without a key). See chain.go.
	KeyID    string `json:"key_id,omitempty"`
	PrevHash string `json:"prev_hash,omitempty"`
	Hash     string `json:"hash,omitempty"`
	Mac      string `json:"mac,omitempty"`
}

// Alert severities.
const (
	SeverityLow      = "low"
	SeverityMedium   = "medium"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
)

// Alert kinds raised by Veil itself (the policy may raise others through
// its decision's alerts).
const (
	AlertBruteForce     = "brute_force"     // many 401/403 from the CRM for one IP or principal
	AlertBulkExport     = "bulk_export"     // a principal reading many records with personal data
	AlertCategorySpike  = "category_spike"  // a sensitive category far above its usual rate
	AlertInferenceProbe = "inference_probe" // a principal testing, query after query, fields it cannot read in clear
	AlertFailOpen       = "fail_open"       // a message forwarded uninspected (on_error: allow)
	AlertEventsDropped  = "events_dropped"  // the spool was full: audit events lost
	AlertEgressRefused  = "egress_refused"  // forward mode: a refused host
)

// Alert is one DLP/IDS alert (stream audit.alert_stream, default
// veil:alerts). Evidence holds counts and thresholds, never a value. It
// is chained like Event, per instance, on its own stream.
type Alert struct {
	ID         string           `json:"id"`
	Time       time.Time        `json:"time"`
	Kind       string           `json:"kind"`
	Severity   string           `json:"severity"`
	Instance   string           `json:"instance,omitempty"`
	Seq        uint64           `json:"seq,omitempty"`
	Principal  string           `json:"principal,omitempty"`
	IP         string           `json:"ip,omitempty"`
	Route      string           `json:"route,omitempty"`
	DecisionID string           `json:"decision_id,omitempty"`
	Message    string           `json:"message"`
	Evidence   map[string]int64 `json:"evidence,omitempty"`
	// UsernameHash: a brute-force alert on a username no principal holds
	// (identity.UsernameHasher).
	UsernameHash string `json:"username_hash,omitempty"`
	KeyID        string `json:"key_id,omitempty"` // as Event's
	PrevHash     string `json:"prev_hash,omitempty"`
	Hash         string `json:"hash,omitempty"`
	Mac          string `json:"mac,omitempty"` // as Event's
}
