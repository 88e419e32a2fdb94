package veil

import data.veil_config as cfg

# Consent rules (data.veil_config.consent) redact, per finding, the
# categories of a record whose consent flag is set, for principals whose
# roles are all bound by the rule: with one unbound role the principal
# reads the record for another reason, as with the matrix, where the most
# permissive role wins. An override only ever tightens the category
# default. The body runs cheapest first: findings are scanned only when the
# message holds a category the rule covers and some record opted out.
actions contains {"finding": f.id, "action": rule.action, "rule": rule.rule} if {
	some rule in cfg.consent
	rule.direction == input.direction
	some category in rule.categories
	category in categories
	consent_binds(rule)
	opted_out := {r.index | some r in input.records; r.consent[rule.consent] == true}
	count(opted_out) > 0
	some f in input.findings
	f.record in opted_out
	f.category == category
	rank[rule.action] > rank[defaults[category]]
}

consent_binds(rule) if {
	count(known_roles) > 0
	every role in known_roles {
		role in rule.roles
	}
}
