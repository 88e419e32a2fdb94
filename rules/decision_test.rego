package veil_test

import data.veil
import data.veil_config as cfg

test_decision_shape if {
	d := decide(response(["analyst"], "analytics", ["email"]))
	object.keys(d) == {"allow", "deny", "actions", "default", "drop", "alerts", "rules", "probes"}
	d.allow
	d.probes == 0
	d.deny == set()
	d.actions == set()
	d.drop == set()
	d.alerts == set()
	d.rules == set()
}

# rules lists every deny reason's rule, every override's rule, and the
# floors and profiles that changed a default or removed something.
test_rules_lists_what_fired if {
	denied := decide(write(["sales_rep"], [["Description", "credit_card"]]))
	denied.rules == {"pci_card_in_free_text"}

	# The PCI floor fires where the matrix would show a full card number.
	floored := decide(response(["admin"], "", ["credit_card", "email"])) with data.veil_config.matrix.response.admin as {"*": {"*": "allow"}}
	floored.rules == {"pci_pan_last4"}
	floored.default == {"credit_card": "mask", "email": "allow"}

	msg := message("response", ["marketing"], "marketing", [record(1, {"email_opt_out": true})], [finding(0, 1, "Email", "email"), finding(1, 1, "IBAN__c", "iban")])
	both := decide_on("gdpr", msg)
	both.rules == {"consent_email_opt_out", "gdpr_purpose_limitation"}
	both.drop == {"/records/1/IBAN__c"}
}

test_rules_quiet_when_nothing_changed if {
	# The matrix masks cards already: the PCI floor changed nothing.
	d := decide(response(["admin"], "", ["credit_card", "email"]))
	d.rules == set()
	d.default == {"credit_card": "mask", "email": "allow"}
}

# Every deny reason the bundle can give raises an alert of a known severity.
test_every_deny_rule_has_a_severity if {
	want := {
		"pci_card_in_free_text": "high",
		"pci_cvv_with_card": "high",
		"ccpa_sale_opt_out": "high",
		"gdpr_purpose_limitation": "medium",
		"purpose_required": "medium",
		"unknown_role": "medium",
		"uninspected_body": "high",
	}
	every rule, severity in want {
		veil.deny_severity[rule] == severity
	}
	every _, severity in veil.deny_severity {
		severity in {"info", "low", "medium", "high", "critical"}
	}
}

test_unknown_direction_denied if {
	msg := object.union(response(["admin"], "", ["email"]), {"direction": "sideways"})
	d := decide(msg)
	d.allow == false
	{r.rule | some r in d.deny} == {"unknown_direction", "unknown_role"}
}

test_deny_raises_alerts if {
	pci := decide(write(["sales_rep"], [["Description", "credit_card"]]))
	pci.alerts == {{"kind": "pci_card_in_free_text", "severity": "high"}}
	role := decide(response(["intern"], "", ["email"]))
	role.alerts == {{"kind": "unknown_role", "severity": "medium"}}
}

test_bulk_export_limit if {
	base := response(["analyst"], "analytics", ["email"])
	below := decide(object.union(base, {"stats": {"principal_pii_records": cfg.limits.bulk_export_records - 1}}))
	below.allow
	count(below.alerts) == 0
	at := decide(object.union(base, {"stats": {"principal_pii_records": cfg.limits.bulk_export_records}}))
	not at.allow
	at.alerts == {{"kind": "bulk_export_limit", "severity": "high"}}

	# A response without personal data is no export.
	empty := decide(object.union(response(["analyst"], "analytics", []), {"stats": {"principal_pii_records": cfg.limits.bulk_export_records}}))
	empty.allow
}

test_brute_force_limit if {
	base := write(["sales_rep"], [])
	decide(object.union(base, {"stats": {"ip_auth_failures": cfg.limits.ip_auth_failures - 1}})).allow
	at := decide(object.union(base, {"stats": {"ip_auth_failures": cfg.limits.ip_auth_failures}}))
	not at.allow
	"brute_force_limit" in {r.rule | some r in at.deny}
}

# Every stat the bundle compares with a limit is declared at that limit in
# decision_cache.stats_levels, so the engine's rounding keeps decisions.
test_stats_levels_cover_the_limits if {
	cfg.limits.bulk_export_records in cfg.decision_cache.stats_levels.principal_pii_records
	cfg.limits.ip_auth_failures in cfg.decision_cache.stats_levels.ip_auth_failures
}

# data.json checks: a typo there fails `veil policy test`, not production.
test_data_matrix_actions_known if {
	every direction, roles in cfg.matrix {
		direction in {"request", "response"}
		every _, purposes in roles {
			every _, row in purposes {
				every _, act in row {
					act in all_actions
				}
			}
		}
	}
}

test_data_matrix_categories_known if {
	known := {c | some c in all_categories} | {"*"}
	every _, roles in cfg.matrix {
		every _, purposes in roles {
			every _, row in purposes {
				every category, _ in row {
					category in known
				}
			}
		}
	}
}

test_data_demo_roles_have_rows if {
	every direction in ["request", "response"] {
		every role in demo_roles {
			cfg.matrix[direction][role]["*"]
		}
	}
}

# Every response "*" row names every category: a new category is a
# decision, not an accident of the wildcard.
test_data_response_rows_complete if {
	every _, purposes in cfg.matrix.response {
		every category in all_categories {
			purposes["*"][category]
		}
	}
}

test_data_consent_rules_valid if {
	count(cfg.consent) > 0
	every rule in cfg.consent {
		rule.consent in {"email_opt_out", "call_opt_out", "fax_opt_out", "sale_opt_out"}
		rule.direction in {"request", "response"}
		rule.action in all_actions
		count(rule.roles) > 0
		count(rule.categories) > 0
		startswith(rule.rule, "consent_")
		every obj in object.get(rule, "objects", ["-"]) {
			is_string(obj)
			obj != ""
		}
	}
}

test_data_card_fields if {
	count(cfg.card_fields) > 0
	every field in cfg.card_fields {
		is_string(field)
	}
}

# Every action data.json names (matrix cells, consent rules) is one the
# policy ranks: a typo would grant nothing, silently.
data_actions contains act if {
	walk(cfg.matrix, [path, act])
	count(path) == 4
}

data_actions contains rule.action if {
	some rule in cfg.consent
}

test_data_actions_in_action_order if {
	count(data_actions) > 0
	every act in data_actions {
		act in veil.action_order
	}
}

# Every category data.json names is in the categories vocabulary (detectors.Category*).
data_categories contains category if {
	walk(cfg.matrix, [path, _])
	count(path) == 4
	category := path[3]
	category != "*"
}

data_categories contains category if {
	some rule in cfg.consent
	some category in rule.categories
}

data_categories contains category if {
	some categories in cfg.gdpr.purposes
	some category in categories
}

data_categories contains category if {
	some category in cfg.hipaa.identifiers
}

test_data_categories_in_vocabulary if {
	count(data_categories) > 0
	every category in data_categories {
		category in all_categories
	}
}

test_data_routes_valid if {
	cfg.routes["*"]
	every _, route in cfg.routes {
		every key, _ in route {
			key in {"profiles", "require_purpose", "sale"}
		}
		every profile in object.get(route, "profiles", []) {
			profile in {"pci", "gdpr", "ccpa", "hipaa"}
		}
		is_array(object.get(route, "profiles", []))
		is_boolean(object.get(route, "require_purpose", false))
		is_boolean(object.get(route, "sale", false))
	}
}

# The "*" route keeps the behaviour from before profiles: PCI only. Routes
# opt in to a regulation by name.
test_data_default_route_is_pci_only if {
	cfg.routes["*"] == {"profiles": ["pci"], "require_purpose": false, "sale": false}
}

test_data_gdpr_purposes if {
	every purpose in ["support", "sales", "marketing", "analytics", "billing"] {
		is_array(cfg.gdpr.purposes[purpose])
	}
	every _, categories in cfg.gdpr.purposes {
		every category in categories {
			category in all_categories
		}
	}
}

test_data_hipaa if {
	every role in cfg.hipaa.phi_roles {
		cfg.matrix.response[role]["*"]
	}
	safe_harbor := {
		"person_name", "street_address", "postal_code", "date_of_birth", "phone", "email",
		"us_ssn", "us_mbi", "uk_nhs", "us_npi", "bank_account", "iban", "credit_card",
		"passport", "ip_address",
	}
	every category in safe_harbor {
		category in cfg.hipaa.identifiers
	}
}
