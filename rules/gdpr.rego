package veil

import data.veil_config as cfg

# GDPR purpose limitation: on a route with the gdpr profile, a message
# carries only the personal data its declared purpose needs
# (gdpr.purposes: purpose -> categories). An unknown or empty purpose
# needs nothing.
gdpr_needed := {category | some category in cfg.gdpr.purposes[purpose]}

# gdpr_excess holds the body findings the purpose does not need.
gdpr_excess contains f if {
	"gdpr" in profiles
	some f in input.findings
	f.in == "body"
	not f.category in gdpr_needed
}

# On the way out the excess is removed from the body.
gdpr_drop := {f.pointer |
	input.direction == "response"
	some f in gdpr_excess
	startswith(f.pointer, "/")
}

# A finding at the body's root (a bare string) cannot be dropped: it is
# redacted, unless its default is stricter already.
actions contains {"finding": f.id, "action": "redact", "rule": "gdpr_purpose_limitation"} if {
	input.direction == "response"
	some f in gdpr_excess
	not startswith(f.pointer, "/")
	rank.redact > rank[defaults[f.category]]
}

# On the way in Veil does not silently change what a client writes: the
# write is refused.
deny contains {
	"rule": "gdpr_purpose_limitation",
	"message": "The message writes personal data its declared purpose does not need.",
} if {
	input.direction == "request"
	count(gdpr_excess) > 0
}
