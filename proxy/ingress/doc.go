// Package ingress is what reverse and forward mode share on the way in:
// the upgrade check, SOAP peek, admission (who, purpose), auth-failure
// audits and login refusals, bounded bodies, the upstream transport.
package ingress
