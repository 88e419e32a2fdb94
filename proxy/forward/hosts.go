package forward

import (
	"net"
	"strings"

	"github.com/veil-proxy/veil/proxy/config"
)

// Decisions on a CONNECT (the label of veil_forward_connects_total).
const (
	DecisionMITM             = "mitm"
	DecisionTunnel           = "tunnel"
	DecisionRefused          = "refused"
	DecisionWebsocketRefused = "websocket_refused"
)

// Decisions lists every decision, for metrics initialisation.
var Decisions = []string{DecisionMITM, DecisionTunnel, DecisionRefused, DecisionWebsocketRefused}

type mitmHost struct {
	pattern string
	route   *config.Route
}

// hosts decides what a host is: a CRM host (intercepted), allowlisted
// (tunnelled), or neither (forward.egress.otherwise).
type hosts struct {
	mitm      []mitmHost // exact names first, then the longest wildcard
	allow     []string
	otherwise string
}

func newHosts(cfg *config.Config) *hosts {
	h := &hosts{allow: cfg.Forward.Egress.Allow, otherwise: cfg.Forward.Egress.Otherwise}
	for _, m := range cfg.Forward.MITM {
		for i := range cfg.Routes {
			if cfg.Routes[i].Name == m.Route {
				h.mitm = append(h.mitm, mitmHost{pattern: m.Host, route: &cfg.Routes[i]})
				break
			}
		}
	}
	// An exact name beats a wildcard; a longer wildcard beats a shorter one.
	for i := 1; i < len(h.mitm); i++ {
		for j := i; j > 0 && more(h.mitm[j].pattern, h.mitm[j-1].pattern); j-- {
			h.mitm[j], h.mitm[j-1] = h.mitm[j-1], h.mitm[j]
		}
	}
	return h
}

func more(a, b string) bool {
	aw, bw := strings.HasPrefix(a, "*."), strings.HasPrefix(b, "*.")
	if aw != bw {
		return !aw
	}
	return len(a) > len(b)
}

// route returns the route of a CRM host, or nil.
func (h *hosts) route(host string) *config.Route {
	for _, m := range h.mitm {
		if config.MatchHost(m.pattern, host) {
			return m.route
		}
	}
	return nil
}

// tunnel reports whether a non-CRM host may be tunnelled.
func (h *hosts) tunnel(host string) bool {
	for _, a := range h.allow {
		if config.MatchHost(a, host) {
			return true
		}
	}
	return h.otherwise == config.EgressTunnel
}

// hostname strips the port from host:port (or returns host).
func hostname(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return strings.ToLower(h)
	}
	return strings.ToLower(strings.Trim(hostport, "[]"))
}
