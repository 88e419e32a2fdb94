package veil_test

import data.veil_config as cfg

test_decision_shape if {
	d := decide(response(["analyst"], "analytics", ["email"]))
	object.keys(d) == {"allow", "deny", "actions", "default", "drop", "alerts"}
	d.allow
	d.deny == set()
	d.actions == set()
	d.drop == set()
	d.alerts == set()
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

test_bulk_export_alert if {
	base := response(["analyst"], "analytics", ["email"])
	below := decide(object.union(base, {"stats": {"principal_pii_records_1h": cfg.alerts.bulk_export_records_1h - 1}}))
	count(below.alerts) == 0
	at := decide(object.union(base, {"stats": {"principal_pii_records_1h": cfg.alerts.bulk_export_records_1h}}))
	{a.kind | some a in at.alerts} == {"bulk_export"}
	at.allow
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
		rule.consent in {"email_opt_out", "call_opt_out", "fax_opt_out"}
		rule.direction in {"request", "response"}
		rule.action in all_actions
		count(rule.roles) > 0
		count(rule.categories) > 0
		startswith(rule.rule, "consent_")
	}
}

test_data_card_fields if {
	count(cfg.card_fields) > 0
	every field in cfg.card_fields {
		is_string(field)
	}
}
