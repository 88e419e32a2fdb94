package config

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
)

// MinAdminTokenBytes is the shortest admin token accepted.
const MinAdminTokenBytes = 16

// The admin API's authentication (admin:). With a token every admin
// endpoint but /healthz and /readyz (and /metrics when metrics_open)
// requires "Authorization: Bearer <token>". Without one the admin API is
// open, which Validate allows only on a loopback admin.listen (or with
// admin.tls.client_ca_file: every client then proves itself by its
// certificate).
//
//	admin:
//	  listen: 127.0.0.1:9090      # default; anything else needs a token (or mTLS)
//	  token_file: /etc/veil/admin-token   # the token, trailing newline trimmed; mode 0600 (or 0640/0440)
//	  token_env: VEIL_ADMIN_TOKEN # or: the environment variable holding it (not both)
//	  metrics_open: false         # true: /metrics needs no token (scrapers without credentials)
//	  tls: {cert_file: ..., key_file: ..., client_ca_file: ...}

// TokenConfigured reports whether admin.token_file or admin.token_env is set.
func (a Admin) TokenConfigured() bool { return a.TokenFile != "" || a.TokenEnv != "" }

// Token reads the admin token from admin.token_file (trailing CR/LF
// trimmed; the file must not be accessible to other users) or from the
// environment variable admin.token_env. It returns nil, nil when neither
// is set. Errors never quote the token.
func (a Admin) Token() ([]byte, error) {
	var tok string
	switch {
	case a.TokenFile != "":
		if err := CheckSecretFile(a.TokenFile); err != nil {
			return nil, fmt.Errorf("admin.token_file: %w", err)
		}
		b, err := os.ReadFile(a.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("admin.token_file: %w", err)
		}
		tok = strings.TrimRight(string(b), "\r\n")
	case a.TokenEnv != "":
		tok = os.Getenv(a.TokenEnv)
		if tok == "" {
			return nil, fmt.Errorf("admin.token_env: environment variable %s is not set or empty", a.TokenEnv)
		}
	default:
		return nil, nil
	}
	at := "admin.token_file " + a.TokenFile
	if a.TokenFile == "" {
		at = "admin.token_env " + a.TokenEnv
	}
	if len(tok) < MinAdminTokenBytes {
		return nil, fmt.Errorf("%s: the token is %d bytes, shorter than %d (make one with `openssl rand -hex 32`)", at, len(tok), MinAdminTokenBytes)
	}
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; c <= ' ' || c >= 0x7f {
			return nil, fmt.Errorf("%s: the token must be printable ASCII without spaces (byte %d is not)", at, i)
		}
	}
	return []byte(tok), nil
}

// Loopback reports whether admin.listen binds a loopback address only
// (127.0.0.0/8, ::1, localhost). An empty host (":9090") binds every
// interface; a host name other than localhost may resolve to anything.
func (a Admin) Loopback() bool { return loopbackAddr(a.Listen) }

func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// Open reports whether the admin API answers every request without
// credentials: no token and no client certificate required.
func (a Admin) Open() bool { return !a.TokenConfigured() && !a.TLS.Mutual() }

func (c *Config) validateAdmin(p *Problems) {
	a := c.Admin
	switch {
	case a.TokenFile != "" && a.TokenEnv != "":
		p.add("admin.token_file, admin.token_env: set one, not both")
	case a.TokenEnv != "" && !isEnvName(a.TokenEnv):
		p.add("admin.token_env: %q is not an environment variable name", a.TokenEnv)
	case a.TokenConfigured():
		if _, err := a.Token(); err != nil {
			p.add("%v", err)
		}
	}
	if _, _, err := net.SplitHostPort(a.Listen); err == nil && a.Open() && !a.Loopback() {
		p.add("admin.listen: %s is not a loopback address: the admin API would be open to the network: set admin.token_file or admin.token_env (or require client certificates: admin.tls.client_ca_file)", a.Listen)
	}
	c.TLS.validate(p, "tls", false)
	a.TLS.validate(p, "admin.tls", true)
}

// AdminWarnings are what `veil serve` logs at start about the admin API:
// open on loopback, or a token crossing the network in clear text.
func (c *Config) AdminWarnings() []string {
	a := c.Admin
	var w []string
	if a.Open() {
		w = append(w, "the admin API is open without a token on "+a.Listen+": any local process can read decisions and the inventory, reload the policy and erase vault values; set admin.token_file or admin.token_env")
	}
	if a.TokenConfigured() && !a.TLS.Enabled() && !a.Loopback() {
		w = append(w, "the admin token crosses the network in clear text on "+a.Listen+": set admin.tls")
	}
	return w
}

func isEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
