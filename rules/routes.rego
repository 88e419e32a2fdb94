package veil

import data.veil_config as cfg

# Regulation profiles are switched per route in data.json
# (veil_config.routes): route name -> {"profiles": [...],
# "require_purpose": bool, "sale": bool}. A route not listed uses the "*"
# entry; a key an entry leaves out takes the "*" entry's value, then the
# built-in default below. The built-in default is PCI only, so a bundle
# whose data.json has no routes behaves as before profiles existed.
route_defaults := {"profiles": ["pci"], "require_purpose": false, "sale": false}

route_config := object.union_n([route_defaults, star_route, named_route])

# data.veil_config is read by reference, never as a whole object: a test's
# `with data.veil_config.routes as …` then replaces what the rules see.
default star_route := {}

star_route := cfg.routes["*"]

default named_route := {}

named_route := cfg.routes[input.route]

# profiles are the regulation profiles on for this message's route: "pci",
# "gdpr", "ccpa", "hipaa".
profiles := {p | some p in route_config.profiles}

deny contains {
	"rule": "purpose_required",
	"message": "The route requires a declared purpose and the message declares none.",
} if {
	route_config.require_purpose == true
	input.purpose == ""
}
