package veil

import data.veil_config as cfg

# HIPAA Safe Harbor: on a route with the hipaa profile, a principal none of
# whose roles is in hipaa.phi_roles reads every identifier category
# (hipaa.identifiers) masked at the very least. The floor only tightens: a
# stricter matrix answer stays. Masks keep what Safe Harbor allows to
# show, e.g. a date's year, a postal code's first three characters.
hipaa_floor := {category: "mask" |
	"hipaa" in profiles
	input.direction == "response"
	not phi_principal
	some category in hipaa_identifiers
	rank[matrix_or_redact[category]] < rank.mask
}

# A bundle without hipaa configuration fails closed: every category found
# counts as an identifier, and no role reads PHI.
hipaa_identifiers := identifiers if {
	identifiers := cfg.hipaa.identifiers
} else := categories

# phi_principal holds when one of the principal's roles may read PHI.
phi_principal if {
	some role in input.principal.roles
	role in cfg.hipaa.phi_roles
}
