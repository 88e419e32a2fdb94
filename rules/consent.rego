package veil

import data.veil_config as cfg

# Consent rules (data.veil_config.consent) redact, per finding, the
# categories of a record whose consent flag is set, for principals whose
# roles are all bound by the rule: with one unbound role the principal
# reads the record for another reason, as with the matrix, where the most
# permissive role wins. An override only ever tightens the category
# default. The body runs cheapest first: findings are scanned only when the
# message holds a category the rule covers and some record opted out.
#
# Consent fails closed: a record of an object that carries the flag
# (rule.objects; every object when the rule names none) counts as opted
# out when the message does not say, as when a client reads a contact
# without selecting HasOptedOutOfEmail or hs_email_optout. A record whose
# object is unknown is treated as one that carries the flag.
actions contains {"finding": f.id, "action": rule.action, "rule": rule.rule} if {
	some rule in cfg.consent
	rule.direction == input.direction
	some category in rule.categories
	category in categories
	consent_binds(rule)
	opted_out := {r.index | some r in input.records; opted_out_of(r, rule)}
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

opted_out_of(r, rule) if r.consent[rule.consent] == true

opted_out_of(r, rule) if {
	not rule.consent in object.keys(r.consent)
	carries_flag(r.object, rule)
}

carries_flag(_, rule) if not "objects" in object.keys(rule)

carries_flag("", _)

carries_flag(obj, rule) if obj in rule.objects
