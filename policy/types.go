package policy

import "slices"

// Input is the contract with Rego: one per message. The JSON tags are the
// Rego field names (input.direction, input.principal.roles, ...); input.go
// converts it to an ast.Value with exactly these names.
type Input struct {
	Direction string           `json:"direction"` // "request" | "response"
	Route     string           `json:"route"`
	Dialect   string           `json:"dialect"` // "salesforce" | "hubspot" | "generic"
	Method    string           `json:"method"`
	Path      string           `json:"path"`      // URL path only, never the query string
	Operation string           `json:"operation"` // query, retrieve, create, update, delete, composite, search, batch_read, batch_create, batch_update, list, token, other
	Object    string           `json:"object"`    // Contact, Lead, contacts, ...
	Principal Principal        `json:"principal"`
	Purpose   string           `json:"purpose"`
	Records   []Record         `json:"records"`
	Findings  []Finding        `json:"findings"`
	Stats     map[string]int64 `json:"stats"`
	Truncated bool             `json:"truncated"`
	Body      Body             `json:"body"`
	// Predicates are the fields a request filters, sorts, groups or
	// searches by that may hold personal data (SOQL WHERE/HAVING/ORDER
	// BY/GROUP BY, SOSL, HubSpot filterGroups/sorts, lookups by an
	// external id); never a compared value.
	Predicates []Predicate `json:"predicates"`
}

// Predicate is one field a request filters, sorts, groups or searches
// by, with the categories of personal data it may hold: the field name's
// hint, a search group's categories, and the categories the detectors
// found in the values compared with it.
type Predicate struct {
	Object     string   `json:"object"` // the field's object when known
	Field      string   `json:"field"`  // API name (Email), a SOSL search group (ALL FIELDS), HubSpot's free-text "query"
	Clause     string   `json:"clause"` // where, having, order_by, group_by, search, filter, sort, lookup
	Op         string   `json:"op"`     // eq, ne, range, like, exists, sort, group, search, other
	Categories []string `json:"categories"`
}

// Body says what Veil could read of the message's body. The zero value
// (no format, not inspected) is what a caller that never fills it sends:
// the default bundle refuses it, so a body nobody described never passes
// as read. A message without a body is {Format: "none", Inspected: true}.
type Body struct {
	// Format is json, xml, soap, csv, form, multipart, text, binary or
	// none (the message has no body).
	Format string `json:"format"`
	// Inspected: every byte of the body was read by the detectors.
	Inspected bool `json:"inspected"`
	// Reason is why not, when not inspected, as a stable code:
	// binary_content, unsupported_charset, encrypted, over_limit,
	// unsupported_format.
	Reason string `json:"reason,omitempty"`
	// Download: a response on a path the route declares a file download
	// (e.g. ContentVersion/<id>/VersionData).
	Download bool `json:"download,omitempty"`
}

// Body formats and the reasons a body is not inspected, as the policy
// sees them (input.body.format, input.body.reason).
const (
	BodyJSON      = "json"
	BodyXML       = "xml"
	BodySOAP      = "soap"
	BodyCSV       = "csv"
	BodyForm      = "form"
	BodyMultipart = "multipart"
	BodyText      = "text"
	BodyBinary    = "binary"
	BodyNone      = "none"

	ReasonBinaryContent      = "binary_content"
	ReasonUnsupportedCharset = "unsupported_charset"
	ReasonEncrypted          = "encrypted"
	ReasonOverLimit          = "over_limit"
	ReasonUnsupportedFormat  = "unsupported_format"
)

// Principal is who is asking.
type Principal struct {
	ID    string   `json:"id"`
	Roles []string `json:"roles"`
	MFA   bool     `json:"mfa"`
	IP    string   `json:"ip"`
}

// Record is one CRM record of the message that holds findings. Consent keys
// are email_opt_out, call_opt_out and fax_opt_out (Salesforce
// HasOptedOutOfEmail, DoNotCall, HasOptedOutOfFax; HubSpot hs_email_optout),
// plus those the configuration maps from other fields (policy.consent_fields,
// e.g. sale_opt_out).
type Record struct {
	Index   int             `json:"index"`
	Object  string          `json:"object"`
	ID      string          `json:"id"`
	Pointer string          `json:"pointer"` // RFC 6901 pointer of the record in the body; "" for a single-record body
	Consent map[string]bool `json:"consent"`
}

// Finding is one piece of personal data found in the message. It never
// carries the value itself.
type Finding struct {
	ID         int     `json:"id"`
	Record     int     `json:"record"` // -1 when outside any record
	In         string  `json:"in"`     // "body", "query" or "path": what Pointer points into
	Pointer    string  `json:"pointer"`
	Field      string  `json:"field"`
	Category   string  `json:"category"`
	Detector   string  `json:"detector"`
	Confidence float64 `json:"confidence"`
	// TokenCategory is, for a Veil token (category veil_token), the
	// category of the value it stands for, read from the token itself
	// (detectors.TokenCategory); "" for anything else.
	TokenCategory string `json:"token_category"`
}

// Decision is the policy's answer for one message (data.veil.decision),
// plus the decision id and bundle revision the engine adds.
type Decision struct {
	ID       string            `json:"decision_id"` // random 128-bit hex, fresh per decision
	Revision string            `json:"revision"`    // bundle revision (hash of the files)
	Allow    bool              `json:"allow"`
	Deny     []Reason          `json:"deny"`
	Actions  []FindingAction   `json:"actions"` // per-finding overrides
	Default  map[string]string `json:"default"` // category -> action
	Drop     []string          `json:"drop"`    // RFC 6901 pointers to remove
	Alerts   []Alert           `json:"alerts"`
	Rules    []string          `json:"rules"` // ids of the rules that fired, to explain the decision
	// Probes counts the request's predicates that test a value of a
	// category the principal may not read in clear (the watch's
	// inference_probe); 0 when the bundle does not say.
	Probes int `json:"probes"`

	// byFinding indexes Actions by finding id; built by the decoder so that
	// ActionFor is O(1) on the hot path. Nil for a hand-built Decision.
	byFinding map[int]string
}

// Reason says which rule denied a message. Message never holds a value.
type Reason struct {
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// FindingAction overrides the category default for one finding.
type FindingAction struct {
	Finding int    `json:"finding"`
	Action  string `json:"action"`
	Rule    string `json:"rule,omitempty"`
}

// Alert is something the SOC should look at.
type Alert struct {
	Kind     string `json:"kind"`
	Severity string `json:"severity"`
	Message  string `json:"message,omitempty"`
}

// Actions, from the most permissive to the most restrictive. The default
// bundle combines several roles' answers with the same order (see
// rules/README.md); the engine uses it only to settle two overrides for the
// same finding, where the more restrictive wins.
const (
	ActionAllow      = "allow"
	ActionDetokenize = "detokenize"
	ActionMask       = "mask"
	ActionTokenize   = "tokenize"
	ActionHash       = "hash"
	ActionRedact     = "redact"
	ActionDrop       = "drop"
	ActionBlock      = "block"
)

// actionRank is the position of each known action in the order above.
var actionRank = map[string]int{
	ActionAllow: 0, ActionDetokenize: 1, ActionMask: 2, ActionTokenize: 3,
	ActionHash: 4, ActionRedact: 5, ActionDrop: 6, ActionBlock: 7,
}

// KnownAction reports whether a is in the action vocabulary.
func KnownAction(a string) bool {
	_, ok := actionRank[a]
	return ok
}

// ActionFor is the action for f: its per-finding override, else the default
// for its category, else "redact" (fail closed).
func (d *Decision) ActionFor(f Finding) string {
	if a, ok := d.override(f.ID); ok {
		return a
	}
	return d.defaultFor(f.Category)
}

// AppendActions appends the action for each of finds, in order: ActionFor
// of each, with each category's default looked up once rather than once
// per finding (a page holds thousands of findings of a handful of
// categories).
func (d *Decision) AppendActions(dst []string, finds []Finding) []string {
	dst = slices.Grow(dst, len(finds))
	var l actionLookup
	for i := range finds {
		dst = append(dst, l.of(d, &finds[i]))
	}
	return dst
}

// override is finding id's own action, if the decision gives it one.
func (d *Decision) override(id int) (string, bool) {
	if d.byFinding != nil {
		a, ok := d.byFinding[id]
		return a, ok
	}
	return overrideFor(d.Actions, id)
}

// defaultFor is the default action for category, "redact" without one.
func (d *Decision) defaultFor(category string) string {
	if a, ok := d.Default[category]; ok {
		return a
	}
	return ActionRedact
}

// actionLookup answers ActionFor for the findings of one input, keeping
// the defaults of the first categories it met.
type actionLookup struct {
	n    int
	cats [8]string
	acts [8]string
}

func (l *actionLookup) of(d *Decision, f *Finding) string {
	if a, ok := d.override(f.ID); ok {
		return a
	}
	for i := range l.n {
		if l.cats[i] == f.Category {
			return l.acts[i]
		}
	}
	a := d.defaultFor(f.Category)
	if l.n < len(l.cats) {
		l.cats[l.n], l.acts[l.n] = f.Category, a
		l.n++
	}
	return a
}

// overrideFor scans actions for finding id; with several overrides the most
// restrictive wins, the same rule the decoder applies when indexing.
func overrideFor(actions []FindingAction, id int) (string, bool) {
	best, found := "", false
	for _, a := range actions {
		if a.Finding == id && (!found || stricter(a.Action, best)) {
			best, found = a.Action, true
		}
	}
	return best, found
}

// stricter reports whether action a restricts more than b. An unknown action
// counts as the most restrictive: a hand-built Decision cannot loosen
// anything by misspelling.
func stricter(a, b string) bool {
	ra, ok := actionRank[a]
	if !ok {
		ra = len(actionRank)
	}
	rb, ok := actionRank[b]
	if !ok {
		rb = len(actionRank)
	}
	return ra > rb
}
