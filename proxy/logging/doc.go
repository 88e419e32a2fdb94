// Package logging owns Veil's logger: zap writing JSON lines through a
// redacting core, so that no body, query string, token or detected value
// is ever written (docs/metrics.md#logs).
package logging
