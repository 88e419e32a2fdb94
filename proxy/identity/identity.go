// Package identity answers "who is asking": a bearer token (compared by
// SHA-256 digest, never held in plain) or a CRM login through Veil maps to a
// principal (id, roles, mfa) configured in identity.principals.
package identity

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/veil-proxy/veil/proxy/config"
)

// Principal is an authenticated caller.
type Principal struct {
	ID    string
	Roles []string
	MFA   bool
}

// Errors carry the stable codes used in CRM-shaped errors and metrics.
var (
	ErrNoCredentials = errors.New("no Veil credentials presented")  // code "unauthenticated"
	ErrUnknownToken  = errors.New("credentials match no principal") // code "unknown_principal"
)

type entry struct {
	digest    [sha256.Size]byte
	principal Principal
}

// Resolver maps tokens to principals. It is immutable and safe for
// concurrent use.
type Resolver struct {
	header   string
	strip    bool
	entries  []entry
	byID     map[string]Principal
	crmUsers map[string]string   // CRM username, ASCII letters lower-cased → principal id
	userIDs  map[string][]string // principal id → its Salesforce user ids (15 characters), when declared
	sessions Sessions            // nil: no CRM-session bindings
	sessCfg  config.Sessions
	users    *UsernameHasher // the hash of a login's username (Attempt.UsernameHash)
}

// Option configures a Resolver at construction.
type Option func(*Resolver)

// WithSessions turns on CRM-session bindings (logins through Veil),
// kept in s.
func WithSessions(s Sessions) Option { return func(r *Resolver) { r.sessions = s } }

// New builds a Resolver from validated config. It reads the username
// hash key (c.UsernameHashKeyFile): a key that cannot be read is an
// error, never an unkeyed hash.
func New(c config.Identity, opts ...Option) (*Resolver, error) {
	key, err := c.UsernameHashKey()
	if err != nil {
		return nil, err
	}
	users, err := NewUsernameHasher(key)
	if err != nil {
		return nil, err
	}
	r := &Resolver{
		users:    users,
		header:   http.CanonicalHeaderKey(c.Header),
		strip:    !strings.EqualFold(c.Header, "Authorization"),
		byID:     map[string]Principal{},
		crmUsers: map[string]string{},
		userIDs:  map[string][]string{},
		sessCfg:  c.Sessions,
	}
	for _, p := range c.Principals {
		pr := Principal{ID: p.ID, Roles: append([]string(nil), p.Roles...), MFA: p.MFA}
		r.byID[p.ID] = pr
		for _, u := range p.CRMUsers {
			switch {
			case config.IsCRMUserID(u):
				r.userIDs[p.ID] = append(r.userIDs[p.ID], u[:15])
			case config.ValidCRMUsername(u):
				r.crmUsers[config.FoldCRMUsername(u)] = p.ID
			}
		}
		if p.Digest() == "" {
			continue // identified by its CRM logins only
		}
		d, err := hex.DecodeString(p.Digest())
		if err != nil || len(d) != sha256.Size {
			return nil, errors.New("identity: principal " + p.ID + " has no valid token digest")
		}
		var e entry
		copy(e.digest[:], d)
		e.principal = pr
		r.entries = append(r.entries, e)
	}
	for _, o := range opts {
		o(r)
	}
	return r, nil
}

// UsernameHasher is what hashes the usernames of logins
// (Attempt.UsernameHash): keyed when identity.username_hash_key_file is
// set.
func (r *Resolver) UsernameHasher() *UsernameHasher { return r.users }

// Header is the request header the credentials are read from.
func (r *Resolver) Header() string { return r.header }

// StripHeader reports whether the credentials header is Veil's own (and so
// must not be forwarded to the CRM).
func (r *Resolver) StripHeader() bool { return r.strip }

// ErrAmbiguousCredentials is a request with more than one CRM
// credential (two Authorization fields, Authorization and X-SFDC-Session,
// a SOAP SessionHeader other than the one beside it): the CRM might
// authenticate one while Veil identified the other. Code
// "ambiguous_credentials".
var ErrAmbiguousCredentials = errors.New("the request carries more than one CRM credential")

// SFDCSessionHeader carries the session of a Salesforce Bulk API 1.0 call.
const SFDCSessionHeader = "X-Sfdc-Session"

// Credentials are the CRM session credentials a request may carry besides
// its Authorization field.
type Credentials struct {
	// SOAP is a SOAP call's envelope (ReadSOAPEnvelope): its
	// SessionHeader's sessionId is a session.
	SOAP *SOAPEnvelope
	// SFDCSession makes X-SFDC-Session a session (Salesforce routes).
	SFDCSession bool
}

// ResolveContext finds the principal for a request: its Veil token in the
// identity header, else the CRM token in Authorization bound by a login
// through Veil. ErrSessionsUnavailable means the bindings could not be read.
func (r *Resolver) ResolveContext(ctx context.Context, h http.Header) (Principal, error) {
	return r.ResolveRequest(ctx, h, Credentials{})
}

// ResolveRequest is ResolveContext for a request that may carry its CRM
// session elsewhere than in Authorization: X-SFDC-Session or a SOAP
// SessionHeader (c). Such a session is looked up exactly as a Bearer
// token is: when the identity header is Authorization, as a Veil token
// first; then among the sessions bound by logins through Veil. At most
// one CRM credential may be presented (a SessionHeader may repeat the
// Bearer token), else ErrAmbiguousCredentials.
func (r *Resolver) ResolveRequest(ctx context.Context, h http.Header, c Credentials) (Principal, error) {
	tok, present, err := crmCredential(h, c)
	if err != nil {
		return Principal{}, err
	}
	var p Principal
	switch {
	case r.strip || h.Get("Authorization") != "":
		p, err = r.Resolve(h)
	case present: // the identity header is Authorization, and the session is elsewhere
		p, err = r.resolveToken(tok)
	default:
		err = ErrNoCredentials
	}
	if err == nil || r.sessions == nil || !present {
		return p, err
	}
	id, serr := r.sessions.Lookup(ctx, tok)
	if serr != nil {
		if errors.Is(serr, ErrUnknownToken) {
			return Principal{}, ErrUnknownToken
		}
		return Principal{}, serr
	}
	p, ok := r.byID[id]
	if !ok { // bound by a replica whose config still had this principal
		return Principal{}, ErrUnknownToken
	}
	return p, nil
}

// crmCredential is the one CRM session credential h and c present: the
// Bearer token in Authorization, X-SFDC-Session (when c.SFDCSession) or
// the SOAP SessionHeader's sessionId, and whether there is one.
func crmCredential(h http.Header, c Credentials) (string, bool, error) {
	auth := h.Values("Authorization")
	var sfdc []string
	if c.SFDCSession {
		sfdc = h.Values(SFDCSessionHeader)
	}
	soap := c.SOAP != nil && c.SOAP.SessionHeader
	hasAuth := len(auth) > 0 && strings.TrimSpace(auth[0]) != ""
	switch {
	case len(auth) > 1, len(sfdc) > 1, hasAuth && len(sfdc) > 0:
		return "", false, ErrAmbiguousCredentials
	case hasAuth:
		tok, ok := bearer(auth[0])
		if soap && (!ok || tok != c.SOAP.SessionID) {
			return "", false, ErrAmbiguousCredentials
		}
		return tok, ok, nil
	case len(sfdc) == 1:
		tok := strings.TrimSpace(sfdc[0])
		if soap && tok != c.SOAP.SessionID {
			return "", false, ErrAmbiguousCredentials
		}
		return tok, tok != "", nil
	case soap:
		return c.SOAP.SessionID, c.SOAP.SessionID != "", nil
	}
	return "", false, nil
}

// Resolve finds the principal for the request's Veil token.
func (r *Resolver) Resolve(h http.Header) (Principal, error) {
	tok, ok := bearer(h.Get(r.header))
	if !ok {
		return Principal{}, ErrNoCredentials
	}
	return r.resolveToken(tok)
}

// resolveToken finds the principal whose Veil token is tok.
func (r *Resolver) resolveToken(tok string) (Principal, error) {
	sum := sha256.Sum256([]byte(tok))
	found := -1
	for i := range r.entries {
		// Compare against every entry so timing reveals nothing about which matched.
		if subtle.ConstantTimeCompare(sum[:], r.entries[i].digest[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Principal{}, ErrUnknownToken
	}
	return r.entries[found].principal, nil
}

// bearer extracts the token of "Bearer <t>" or "OAuth <t>" (Salesforce's
// older scheme), scheme case-insensitive.
func bearer(v string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || !(strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "OAuth")) {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
