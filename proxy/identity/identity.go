// Package identity answers "who is asking": it maps the bearer token a client
// presents to a principal (id, roles, mfa) configured in identity.principals.
// Tokens are compared by SHA-256 digest, so the table never holds a plain
// token and a lookup's timing does not depend on how much of a token matched.
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
	crmUsers map[string]string // lower-case CRM user name → principal id
	sessions Sessions          // nil: no CRM-session bindings
	sessCfg  config.Sessions
}

// New builds a Resolver from validated config.
func New(c config.Identity) (*Resolver, error) {
	r := &Resolver{
		header:   http.CanonicalHeaderKey(c.Header),
		strip:    !strings.EqualFold(c.Header, "Authorization"),
		byID:     map[string]Principal{},
		crmUsers: map[string]string{},
		sessCfg:  c.Sessions,
	}
	for _, p := range c.Principals {
		pr := Principal{ID: p.ID, Roles: append([]string(nil), p.Roles...), MFA: p.MFA}
		r.byID[p.ID] = pr
		for _, u := range p.CRMUsers {
			r.crmUsers[strings.ToLower(strings.TrimSpace(u))] = p.ID
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
	return r, nil
}

// Header is the request header the credentials are read from.
func (r *Resolver) Header() string { return r.header }

// StripHeader reports whether the credentials header is Veil's own (and so
// must not be forwarded to the CRM).
func (r *Resolver) StripHeader() bool { return r.strip }

// SetSessions turns on CRM-session bindings (logins through Veil); call it
// before serving.
func (r *Resolver) SetSessions(s Sessions) { r.sessions = s }

// ResolveContext finds the principal for a request: its Veil token in the
// identity header, else the CRM token in Authorization bound by a login
// through Veil. ErrSessionsUnavailable means the bindings could not be read.
func (r *Resolver) ResolveContext(ctx context.Context, h http.Header) (Principal, error) {
	p, err := r.Resolve(h)
	if err == nil || r.sessions == nil {
		return p, err
	}
	tok, ok := bearer(h.Get("Authorization"))
	if !ok {
		return Principal{}, err
	}
	id, serr := r.sessions.Lookup(ctx, tok)
	if serr != nil {
		if errors.Is(serr, ErrUnknownToken) {
			return Principal{}, ErrUnknownToken
		}
		return Principal{}, serr
	}
	p, ok = r.byID[id]
	if !ok { // bound by a replica whose config still had this principal
		return Principal{}, ErrUnknownToken
	}
	return p, nil
}

// Resolve finds the principal for the request's Veil token.
func (r *Resolver) Resolve(h http.Header) (Principal, error) {
	tok, ok := bearer(h.Get(r.header))
	if !ok {
		return Principal{}, ErrNoCredentials
	}
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
