package veil

import data.veil_config as cfg

# Inference by query. Which records a query returns says something about
# the fields it filters, sorts, groups or searches by, even when their
# values come back masked, redacted or tokenized: some sixty
# WHERE SSN__c LIKE '1%' queries spell out a redacted SSN, and
# WHERE SSN__c = '<guess>' confirms a guess. So a request predicate
# (input.predicates) on a category the principal may not read in clear
# is refused, unless veil_config.predicates.allow lets one of the
# principal's roles use it so: {"role": ["entry", …]}, an entry being a
# category (every use), "category:op" (that use only, e.g.
# "person_name:sort") or "*" (every category, every use). Testing a field for presence (= null,
# HAS_PROPERTY) only learns what the answer shows anyway, so it passes
# unless the answer would drop or block the category.
deny contains {
	"rule": "protected_field_predicate",
	"message": "The request filters, sorts, groups or searches by a field the principal may not read in clear.",
} if {
	count(protected_predicates) > 0
}

# protected_predicates are the request's predicates the principal may
# not make, by field and category.
protected_predicates contains {"field": p.field, "category": category} if {
	input.direction == "request"
	some p in input.predicates
	some category in p.categories
	not readable_in_clear(category)
	not search_allowed(p, category)
	not presence_only(p, category)
}

# probes counts the predicates that test a value (equality, pattern,
# range, full-text search) on a category the principal may not read in
# clear, refused or let through by predicates.allow: Veil's watch adds
# them up per principal and alerts on repeated probing (inference_probe).
probes := count([1 |
	input.direction == "request"
	some p in input.predicates
	p.op in {"eq", "ne", "like", "range", "search", "other"}
	some category in p.categories
	not readable_in_clear(category)
])

# The actions that show a value as it is stored.
clear_actions := {"allow", "detokenize"}

# readable_in_clear holds when the principal reads the category in clear
# in an answer: the most permissive action of their response rows (with
# the purpose's overlay) shows it, and no floor of the route's profiles
# raises it (pci masks card numbers; hipaa masks identifiers for
# principals without a PHI role).
readable_in_clear(category) if {
	response_action(category) in clear_actions
	not floored(category)
}

response_rows := [row |
	some role in input.principal.roles
	by_purpose := cfg.matrix.response[role]
	row := object.union(object.get(by_purpose, "*", {}), object.get(by_purpose, purpose, {}))
]

# response_action is the action an answer would apply to the category for
# this principal: redact when no row answers (fail closed).
default response_action(_) := "redact"

response_action(category) := access_order(category)[min(ranks)] if {
	by := access_rank(category)
	ranks := {r |
		some row in response_rows
		r := by[object.get(row, category, object.get(row, "*", "redact"))]
	}
	count(ranks) > 0
}

floored("credit_card") if "pci" in profiles

floored(category) if {
	"hipaa" in profiles
	not phi_principal
	category in hipaa_search_identifiers
}

# Without hipaa configuration every category a predicate names counts as
# an identifier (fail closed, as hipaa.rego does with findings).
hipaa_search_identifiers := {c | some c in identifiers} if {
	identifiers := cfg.hipaa.identifiers
} else := {c |
	some p in input.predicates
	some c in p.categories
}

default predicate_allow := {}

predicate_allow := cfg.predicates.allow

search_allowed(p, category) if {
	some role in input.principal.roles
	some entry in object.get(predicate_allow, role, [])
	entry in {category, "*", concat(":", [category, p.op])}
}

presence_only(p, category) if {
	p.op == "exists"
	not response_action(category) in {"drop", "block"}
}
