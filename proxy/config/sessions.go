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
	for i, pr := range c.Identity.Principals {
		for j, u := range pr.CRMUsers {
			u = strings.ToLower(strings.TrimSpace(u))
			if u == "" {
				p.add("identity.principals[%d].crm_users[%d]: empty", i, j)
				continue
			}
			if other, ok := users[u]; ok && other != pr.ID {
				p.add("identity.principals[%d].crm_users[%d]: %q is also a CRM user of %s", i, j, u, other)
			}
			users[u] = pr.ID
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
