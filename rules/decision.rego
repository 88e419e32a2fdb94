# The default Veil policy. Veil evaluates data.veil.decision once per
# message; README.md documents the input, the output and data.json.
#
# Security teams edit data.json (data.veil_config), not this code: the
# roles x purposes x categories matrix, the card fields, the consent rules,
# the regulation profiles of each route and the alert thresholds. The Rego
# here only combines them, and holds the invariants no configuration may
# loosen (pci.rego, gdpr.rego, ccpa.rego, hipaa.rego, switched per route by
# routes.rego).
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
	"rules": rules,
	"probes": probes,
}

# drop lists JSON pointers to remove: the members a gdpr route's purpose
# does not need (gdpr.rego) and the records a ccpa sale route may not pass
# (ccpa.rego). Elsewhere nothing is removed: per-category actions cover
# every field the policy protects.
drop contains pointer if {
	some pointer in gdpr_drop
}

drop contains pointer if {
	some pointer in ccpa_drop
}

# rules lists the ids of the rules that fired, to explain the decision:
# every deny reason's, every override's, each floor or profile that
# changed a default or removed something, and a body let through unread
# (uninspected_download, uninspected_upload: body.rego).
rules contains reason.rule if {
	some reason in deny
}

rules contains override.rule if {
	some override in actions
}

rules contains "pci_pan_last4" if count(pci_floor) > 0

rules contains "hipaa_safe_harbor" if count(hipaa_floor) > 0

rules contains "gdpr_purpose_limitation" if count(gdpr_drop) > 0

rules contains "ccpa_sale_opt_out" if count(ccpa_drop) > 0

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
	"pci_cvv_with_card": "high",
	"pci_cvv_stored": "high",
	"ccpa_sale_opt_out": "high",
	"consent_opt_out_cleared": "high",
	"protected_field_predicate": "medium",
	"gdpr_purpose_limitation": "medium",
	"purpose_required": "medium",
	"unknown_role": "medium",
	"bulk_export_limit": "high",
	"brute_force_limit": "high",
	"uninspected_body": uninspected_severity, # high on requests, medium on responses (body.rego)
}

alerts contains {"kind": reason.rule, "severity": deny_severity[reason.rule]} if {
	some reason in deny
}

# IPS: behaviour counters from Veil's watch (input.stats, counted over the
# watch windows, shared by every replica). The watch itself alerts at its
# configured thresholds; these hard limits refuse traffic.

# A principal who has read limits.bulk_export_records records with
# personal data in the bulk-export window reads no more until the window
# slides.
deny contains {
	"rule": "bulk_export_limit",
	"message": "The principal has read more records with personal data than the bulk export limit allows in the current window.",
} if {
	input.direction == "response"
	count(input.findings) > 0
	object.get(input, ["stats", "principal_pii_records"], 0) >= cfg.limits.bulk_export_records
}

# An address the CRM has refused limits.ip_auth_failures times in the
# brute-force window gets no further requests through.
deny contains {
	"rule": "brute_force_limit",
	"message": "Too many authentication failures from this address in the current window.",
} if {
	input.direction == "request"
	object.get(input, ["stats", "ip_auth_failures"], 0) >= cfg.limits.ip_auth_failures
}
