// Package forward is Veil's forward-mode listener, built on goproxy:
// clients keep their CRM base URL and set HTTPS_PROXY to Veil, which
// intercepts CRM hosts and tunnels or refuses the rest (docs/architecture.md).
package forward
