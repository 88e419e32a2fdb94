# The default Veil policy. Veil evaluates data.veil.decision once per
# message; README.md documents the input, the output and data.json.
#
# Security teams edit data.json (data.veil_config), not this code: the
# roles x purposes x categories matrix, the card fields, the consent rules
# and the alert thresholds. The Rego here only combines them, and holds the
# invariants no configuration may loosen (pci.rego).
package veil

import data.veil_config as cfg

# decision is the output document. The engine adds the decision id and the
# bundle revision.
decision := {
	"allow": count(deny) == 0,
	"deny": deny,
	"actions": actions,
	"default": defaults,
	"drop": drop,
	"alerts": alerts,
}

# drop lists JSON pointers to remove; the default policy removes nothing
# (per-category actions cover every field it protects).
drop := set()

deny contains {
	"rule": "unknown_direction",
	"message": "The message direction is neither request nor response.",
} if {
	not input.direction in {"request", "response"}
}

deny contains {
	"rule": "unknown_role",
	"message": "None of the principal's roles is in the policy matrix.",
} if {
	count(rows) == 0
}

# Severity of the alert each deny reason raises for the SOC.
deny_severity := {
	"pci_card_in_free_text": "high",
	"unknown_role": "medium",
}

alerts contains {"kind": reason.rule, "severity": deny_severity[reason.rule]} if {
	some reason in deny
}

alerts contains {
	"kind": "bulk_export",
	"severity": "high",
	"message": "The principal read more records with personal data in the last hour than the bulk export threshold.",
} if {
	object.get(input, ["stats", "principal_pii_records_1h"], 0) >= cfg.alerts.bulk_export_records_1h
}
