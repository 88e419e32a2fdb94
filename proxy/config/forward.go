package config

import (
	"fmt"
	"net"
	"strings"
)

// Forward-mode defaults.
const (
	DefaultForwardLeafCache = 1024 // leaf certificates kept (LRU) across connections
	EgressRefuse            = "refuse"
	EgressTunnel            = "tunnel"
)

// DefaultMITMHosts are the CRM hosts intercepted when forward.mitm is empty,
// each mapped to the first route of the given dialect.
var DefaultMITMHosts = []struct{ Host, Dialect string }{
	{"*.salesforce.com", DialectSalesforce},
	{"*.force.com", DialectSalesforce},
	{"login.salesforce.com", DialectSalesforce},
	{"api.hubapi.com", DialectHubSpot},
	{"api.hubspot.com", DialectHubSpot},
}

// Forward is the HTTPS_PROXY listener (forward:). Off unless Listen is set.
//
//	forward:
//	  listen: 127.0.0.1:3128        # "" = off
//	  ca_cert: /etc/veil/ca.crt     # from `veil ca init --out DIR`; required when listen is set
//	  ca_key: /etc/veil/ca.key
//	  mitm:                         # CRM hosts intercepted and inspected; default: the hosts
//	    - {host: "*.salesforce.com", route: salesforce}   #   of DefaultMITMHosts → first route of their dialect
//	  egress:
//	    allow: ["*.googleapis.com"] # other hosts tunnelled untouched (no inspection)
//	    otherwise: refuse           # refuse (default) | tunnel: what happens to every other host
//	  websocket: false              # allow websocket upgrades to CRM hosts (frames are NOT inspected)
//	  upstream_ca: ""               # PEM file of extra roots trusted for upstream TLS (besides the system's)
//	  resolve: {}                   # tests/demo only: host or *.domain → "127.0.0.1:port" dial override
//	  leaf_cache: 1024              # minted leaf certificates kept in memory
//	  tls:                          # serve the proxy itself over TLS (HTTPS_PROXY=https://...): clients'
//	    cert_file: /etc/veil/proxy-tls/tls.crt  # proxy credentials and CONNECT targets are then
//	    key_file: /etc/veil/proxy-tls/tls.key   # encrypted on the way to Veil too
type Forward struct {
	Listen     string            `yaml:"listen"`
	CACert     string            `yaml:"ca_cert"`
	CAKey      string            `yaml:"ca_key"`
	MITM       []MITMHost        `yaml:"mitm"`
	Egress     Egress            `yaml:"egress"`
	Websocket  bool              `yaml:"websocket"`
	UpstreamCA string            `yaml:"upstream_ca"`
	Resolve    map[string]string `yaml:"resolve"`
	LeafCache  int               `yaml:"leaf_cache"`
	TLS        TLS               `yaml:"tls"`
}

// MITMHost intercepts Host (exact, or "*.example.com" for any subdomain)
// and runs its requests through Route's pipeline settings.
type MITMHost struct {
	Host  string `yaml:"host"`
	Route string `yaml:"route"`
}

// Egress decides what happens to CONNECTs to hosts that are not CRM hosts.
type Egress struct {
	Allow     []string `yaml:"allow"`     // host patterns tunnelled untouched
	Otherwise string   `yaml:"otherwise"` // refuse | tunnel
}

// Enabled reports whether the forward listener is configured.
func (f Forward) Enabled() bool { return f.Listen != "" }

func (c *Config) applyForwardDefaults() {
	f := &c.Forward
	setDefault(&f.LeafCache, DefaultForwardLeafCache)
	setDefault(&f.Egress.Otherwise, EgressRefuse)
	if len(f.MITM) > 0 || !f.Enabled() {
		return
	}
	for _, d := range DefaultMITMHosts {
		for _, r := range c.Routes {
			if r.Dialect == d.Dialect {
				f.MITM = append(f.MITM, MITMHost{Host: d.Host, Route: r.Name})
				break
			}
		}
	}
}

// MatchHost reports whether host (no port, any case) matches pattern: an
// exact name, or "*.domain" for any name below domain (not domain itself).
func MatchHost(pattern, host string) bool {
	pattern, host = strings.ToLower(pattern), strings.ToLower(strings.TrimSuffix(host, "."))
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		return strings.HasSuffix(host, "."+rest)
	}
	return pattern == host
}

func validHostPattern(p string) bool {
	h := strings.TrimPrefix(p, "*.")
	if h == "" || strings.ContainsAny(h, "*/: ") {
		return false
	}
	return true
}

func (c *Config) validateForward(p *Problems) {
	f := c.Forward
	if !f.Enabled() {
		return
	}
	checkAddr(p, "forward.listen", f.Listen)
	f.TLS.validate(p, "forward.tls", false)
	if f.Listen == c.Listen || f.Listen == c.Admin.Listen {
		p.add("forward.listen: must differ from listen and admin.listen (%s)", f.Listen)
	}
	if f.CACert == "" || f.CAKey == "" {
		p.add("forward.ca_cert, forward.ca_key: required when forward.listen is set (create them with `veil ca init --out DIR`)")
	}
	if len(f.MITM) == 0 {
		p.add("forward.mitm: no CRM host to intercept (no salesforce or hubspot route for the defaults)")
	}
	for i, m := range f.MITM {
		at := fmt.Sprintf("forward.mitm[%d]", i)
		if !validHostPattern(m.Host) {
			p.add("%s.host: %q is not a host name or *.domain pattern", at, m.Host)
		}
		found := false
		for _, r := range c.Routes {
			found = found || r.Name == m.Route
		}
		if !found {
			p.add("%s.route: %q is not a configured route", at, m.Route)
		}
	}
	for i, a := range f.Egress.Allow {
		if !validHostPattern(a) {
			p.add("forward.egress.allow[%d]: %q is not a host name or *.domain pattern", i, a)
		}
	}
	switch f.Egress.Otherwise {
	case EgressRefuse, EgressTunnel:
	default:
		p.add("forward.egress.otherwise: %q is not one of refuse, tunnel", f.Egress.Otherwise)
	}
	for h, addr := range f.Resolve {
		if !validHostPattern(h) {
			p.add("forward.resolve: %q is not a host name or *.domain pattern", h)
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			p.add("forward.resolve.%s: %q must be host:port", h, addr)
		}
	}
	if f.LeafCache < 1 {
		p.add("forward.leaf_cache: %d must be at least 1", f.LeafCache)
	}
}
