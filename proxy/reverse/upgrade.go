package reverse

import (
	"net/http"
	"strings"

	"github.com/veil-proxy/veil/proxy/crm"
)

// CodeUpgradeRefused is the stable code of a refused Connection: Upgrade:
// forward mode's (forward.CodeEgressRefused) for the same refusal.
const CodeUpgradeRefused = "egress_refused"

// upgradeRefused is the refusal of an upgrade on a route without
// allow_upgrade: what an upgraded connection carries (websocket frames, any
// other protocol) is never inspected, so it is no silent channel around
// the inspection.
func upgradeRefused() *crm.Error {
	return &crm.Error{Status: http.StatusForbidden, Code: CodeUpgradeRefused,
		Message: "connection upgrades (websocket) are refused: what they carry cannot be inspected (routes[].allow_upgrade)"}
}

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
