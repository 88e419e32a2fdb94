package config

import (
	"net/url"
	"strings"
	"time"
)

// Session defaults (identity.sessions).
const (
	DefaultSessionTTL        = 12 * time.Hour      // longer than Salesforce's longest session timeout (24 h is rare; 2 h default)
	DefaultSessionRefreshTTL = 30 * 24 * time.Hour // refresh tokens outlive sessions
	DefaultSessionMaxEntries = 100000
	DefaultSessionPrefix     = "veil:session:"
)

func (c *Config) applySessionDefaults() {
	s := &c.Identity.Sessions
	setDefault(&s.TTL, DefaultSessionTTL)
	setDefault(&s.RefreshTTL, DefaultSessionRefreshTTL)
	setDefault(&s.MaxEntries, DefaultSessionMaxEntries)
	setDefault(&s.Prefix, DefaultSessionPrefix)
}

func (c *Config) validateSessions(p *Problems) {
	s := c.Identity.Sessions
	if s.TTL < time.Minute {
		p.add("identity.sessions.ttl: %s is under a minute", s.TTL)
	}
	if s.RefreshTTL < s.TTL {
		p.add("identity.sessions.refresh_ttl: %s is shorter than ttl (%s)", s.RefreshTTL, s.TTL)
	}
	if s.MaxEntries < 1 {
		p.add("identity.sessions.max_entries: %d must be at least 1", s.MaxEntries)
	}
	users := map[string]string{}
	ids := map[string]string{}
	for i, pr := range c.Identity.Principals {
		names := 0
		for j, u := range pr.CRMUsers {
			seen, key := users, FoldCRMUsername(u)
			switch {
			case u == "":
				p.add("identity.principals[%d].crm_users[%d]: empty", i, j)
				continue
			case IsCRMUserID(u):
				seen, key = ids, u[:15] // the 18-character id is the 15-character one and a checksum
			case !ValidCRMUsername(u):
				p.add("identity.principals[%d].crm_users[%d]: a username must be printable ASCII without spaces (at most %d bytes)", i, j, MaxCRMUsername)
				continue
			default:
				names++
			}
			if other, ok := seen[key]; ok && other != pr.ID {
				p.add("identity.principals[%d].crm_users[%d]: %q is also a CRM user of %s", i, j, u, other)
			}
			seen[key] = pr.ID
		}
		if names == 0 && len(pr.CRMUsers) > 0 {
			p.add("identity.principals[%d].crm_users: user ids only check a login; a username is needed to log in", i)
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			p.add("public_url: %q is not an http(s) URL", c.PublicURL)
		case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			p.add("public_url: %q must be scheme://host[:port] only", c.PublicURL)
		}
	}
}

// MaxCRMUsername bounds a CRM username (Salesforce's are at most 80
// characters).
const MaxCRMUsername = 255

// ValidCRMUsername reports whether u can name a CRM user logging in
// through Veil: 1 to MaxCRMUsername bytes of printable ASCII, no space,
// no control character. Anything else (a non-ASCII look-alike, a
// zero-width or surrounding space) is never matched to a principal.
func ValidCRMUsername(u string) bool {
	if u == "" || len(u) > MaxCRMUsername {
		return false
	}
	for i := 0; i < len(u); i++ {
		if u[i] <= ' ' || u[i] > '~' {
			return false
		}
	}
	return true
}

// FoldCRMUsername is u with ASCII letters lower-cased, nothing else
// changed (no Unicode case mapping: İ is not i).
func FoldCRMUsername(u string) string {
	b := []byte(u)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// IsCRMUserID reports whether s is a Salesforce user id: the key prefix
// 005 and 12 more letters or digits (15, case-sensitive) or 15 more (18,
// with the case-insensitive checksum suffix).
func IsCRMUserID(s string) bool {
	if (len(s) != 15 && len(s) != 18) || !strings.HasPrefix(s, "005") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}
