// Package identity answers "who is asking": it maps the bearer token a client
// presents to a principal (id, roles, mfa) configured in identity.principals.
// Tokens are compared by SHA-256 digest, so the table never holds a plain
// token and a lookup's timing does not depend on how much of a token matched.
package identity

import (
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
	header  string
	strip   bool
	entries []entry
}

// New builds a Resolver from validated config.
func New(c config.Identity) (*Resolver, error) {
	r := &Resolver{
		header: http.CanonicalHeaderKey(c.Header),
		strip:  !strings.EqualFold(c.Header, "Authorization"),
	}
	for _, p := range c.Principals {
		d, err := hex.DecodeString(p.Digest())
		if err != nil || len(d) != sha256.Size {
			return nil, errors.New("identity: principal " + p.ID + " has no valid token digest")
		}
		var e entry
		copy(e.digest[:], d)
		e.principal = Principal{ID: p.ID, Roles: append([]string(nil), p.Roles...), MFA: p.MFA}
		r.entries = append(r.entries, e)
	}
	return r, nil
}

// Header is the request header the credentials are read from.
func (r *Resolver) Header() string { return r.header }

// StripHeader reports whether the credentials header is Veil's own (and so
// must not be forwarded to the CRM).
func (r *Resolver) StripHeader() bool { return r.strip }

// Resolve finds the principal for the request's credentials.
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
