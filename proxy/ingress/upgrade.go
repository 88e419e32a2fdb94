package ingress

import (
	"net/http"
	"strings"
)

// CodeUpgradeRefused is the stable code of a refused Connection: Upgrade:
// forward mode's (forward.CodeEgressRefused) for the same refusal.
const CodeUpgradeRefused = "egress_refused"

// IsUpgrade reports whether a request asks to upgrade its connection: an
// Upgrade header, or "upgrade" among Connection's tokens.
func IsUpgrade(h http.Header) bool {
	if h.Get("Upgrade") != "" {
		return true
	}
	for _, v := range h.Values("Connection") {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), "upgrade") {
				return true
			}
		}
	}
	return false
}
