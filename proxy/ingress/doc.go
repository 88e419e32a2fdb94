// Package ingress is what reverse and forward mode share on the way in:
// the scope and access log, upgrade check, SOAP peek, admission (who,
// purpose), auth-failure audits, login refusals, bounded bodies, transport.
package ingress
