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
# object is unknown is treated as one that carries the flag, and object
# names match in any case: the CRMs read them so (a custom object's
# patient__C is Patient__c), and Veil canonicalises only the objects it
# knows.
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

carries_flag(obj, rule) if lower(obj) in {lower(o) | some o in rule.objects}

# Consent changes. On a request, a record's consent holds exactly the flags
# the body writes, with the value written (any value but true reads as
# false); the record reaches the input for its flag alone. Clearing an
# opt-out (writing false) is refused, except for a principal holding one of
# consent_clear.roles while declaring one of consent_clear.purposes: the
# purpose is the client's word (X-Veil-Purpose), so it never authorizes
# alone. Every clearing raises an alert, high when refused (deny_severity),
# medium when let through. Setting an opt-out (true) is always allowed. A
# create (create, batch_create) writes a new record, which has no opt-out
# to clear.
consent_cleared contains {"record": r.index, "consent": key} if {
	input.direction == "request"
	not input.operation in {"create", "batch_create"}
	some r in input.records
	some key, value in r.consent
	value == false
}

consent_clear_allowed if {
	input.purpose in cfg.consent_clear.purposes
	some role in input.principal.roles
	role in cfg.consent_clear.roles
}

deny contains {
	"rule": "consent_opt_out_cleared",
	"message": "The write clears a consent opt-out (sets it to false); only the roles and purposes in consent_clear may do that.",
} if {
	count(consent_cleared) > 0
	not consent_clear_allowed
}

alerts contains {"kind": "consent_opt_out_cleared", "severity": "medium"} if {
	count(consent_cleared) > 0
	consent_clear_allowed
}

rules contains "consent_opt_out_cleared" if {
	count(consent_cleared) > 0
	consent_clear_allowed
}
