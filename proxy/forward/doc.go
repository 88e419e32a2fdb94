// Package forward is Veil's forward-mode listener: clients keep their CRM
// base URL and set HTTPS_PROXY to Veil. It is built on goproxy.
//
// A CONNECT to a configured CRM host (forward.mitm) is intercepted with a
// leaf certificate minted by Veil's own CA (never goproxy's built-in one),
// and every request inside it takes the reverse mode's path: scope →
// identity → purpose (ingress.Admit) → Inspector.InspectRequest → upstream
// (verified TLS, HTTP/2, no proxy from the environment) →
// InspectResponse. Any other host is tunnelled untouched when the egress
// allowlist (forward.egress) lets it through, otherwise refused, counted and
// audited. Websocket upgrades to CRM hosts are refused unless
// forward.websocket is set: their frames cannot be inspected.
package forward
