package veil_test

import data.veil

# Rule 1: nobody reads a full card number, admin included.
test_credit_card_masked_for_every_role if {
	every role in demo_roles {
		every purpose in demo_purposes {
			action(role, purpose, "credit_card") == "mask"
		}
	}
}

# Rule 1 is a floor in Rego: data.json cannot lift it.
test_credit_card_floor_holds_against_data if {
	every granted in ["allow", "detokenize"] {
		d := decide(response(["admin"], "", ["credit_card"])) with data.veil_config.matrix.response.admin as {"*": {"credit_card": granted}}
		d.default.credit_card == "mask"
	}
}

test_credit_card_floor_never_loosens if {
	d := decide(response(["admin"], "", ["credit_card"])) with data.veil_config.matrix.response.admin as {"*": {"credit_card": "redact"}}
	d.default.credit_card == "redact"
}

# Rule 2: us_ssn readable only by admin.
test_us_ssn_readable_only_by_admin if {
	want := {"admin": "allow", "sales_rep": "mask", "support_agent": "mask", "marketing": "redact", "analyst": "redact"}
	every role, expected in want {
		every purpose in demo_purposes {
			action(role, purpose, "us_ssn") == expected
		}
	}
}

# Rule 3: date_of_birth redacted for marketing and analyst.
test_date_of_birth_redacted_for_marketing_and_analyst if {
	every role in ["marketing", "analyst"] {
		every purpose in demo_purposes {
			action(role, purpose, "date_of_birth") == "redact"
		}
	}
	action("support_agent", "support", "date_of_birth") == "mask"
	action("sales_rep", "sales", "date_of_birth") == "allow"
}

# Rule 6: no matrix row for any role means deny.
test_unknown_role_denied if {
	every roles in [[], ["intern"], ["intern", "ADMIN"]] {
		d := decide(response(roles, "support", ["email"]))
		d.allow == false
		{r.rule | some r in d.deny} == {"unknown_role"}
	}
}

test_unknown_roles_beside_a_known_one_are_ignored if {
	d := decide(response(["intern", "analyst"], "support", ["email"]))
	d.allow
	d.default.email == "mask"
}

# Rule 6: with several roles the most permissive action wins.
test_most_permissive_role_wins if {
	d := decide(response(["analyst", "marketing"], "support", ["person_name", "street_address", "date_of_birth", "phone"]))
	d.default == {"person_name": "allow", "street_address": "mask", "date_of_birth": "redact", "phone": "mask"}
}

# A misspelt action grants nothing: the category falls back to redact, or
# to what the principal's other roles grant.
test_unknown_action_grants_nothing if {
	row := {"*": {"email": "alow"}}
	alone := decide(response(["analyst"], "", ["email"])) with data.veil_config.matrix.response.analyst as row
	alone.default.email == "redact"
	both := decide(response(["analyst", "support_agent"], "", ["email"])) with data.veil_config.matrix.response.support_agent as row
	both.default.email == "mask"
}

test_action_order if {
	veil.action_order == ["allow", "detokenize", "mask", "tokenize", "hash", "redact", "drop", "block"]
	every action in all_actions {
		action in veil.action_order
	}
}

# Restrictive actions combine by the same order.
test_restrictive_actions_combine if {
	rows := {
		"admin": {"*": {"email": "hash", "phone": "block"}},
		"analyst": {"*": {"email": "tokenize", "phone": "drop"}},
	}
	d := decide(response(["admin", "analyst"], "", ["email", "phone"])) with data.veil_config.matrix.response as rows
	d.default == {"email": "tokenize", "phone": "drop"}
}

# Rule 7: the role defaults.
test_role_defaults if {
	want := {
		"admin": {"person_name": "allow", "email": "allow", "phone": "allow", "street_address": "allow", "iban": "allow", "secret": "allow"},
		"sales_rep": {"person_name": "allow", "email": "allow", "phone": "allow", "street_address": "allow", "iban": "mask", "passport": "redact"},
		"support_agent": {"person_name": "allow", "email": "allow", "phone": "allow", "street_address": "allow", "date_of_birth": "mask", "iban": "mask"},
		"marketing": {"person_name": "allow", "email": "allow", "phone": "mask", "street_address": "mask", "iban": "redact", "ip_address": "redact"},
		"analyst": {"person_name": "mask", "email": "mask", "phone": "mask", "postal_code": "allow", "street_address": "redact", "iban": "redact"},
	}
	every role, row in want {
		d := decide(response([role], "support", object.keys(row)))
		d.default == row
	}
}

test_default_covers_every_category_found if {
	every role in demo_roles {
		d := decide(response([role], "support", all_categories))
		object.keys(d.default) == {c | some c in all_categories}
		every a in d.default {
			a in all_actions
		}
	}
}

# A category the matrix does not name is redacted (fail closed).
test_category_missing_from_matrix_redacted if {
	every role in demo_roles {
		action(role, "support", "brand_new_category") == "redact"
	}
	d := decide(response(["sales_rep"], "", ["email"])) with data.veil_config.matrix.response.sales_rep as {"*": {"phone": "allow"}}
	d.default.email == "redact"
}

# An explicit purpose row overlays the "*" row, category by category.
test_purpose_row_overrides_star if {
	d := decide(response(["sales_rep"], "analytics", ["email", "street_address", "postal_code", "iban"]))
	d.default == {"email": "mask", "street_address": "redact", "postal_code": "allow", "iban": "mask"}
	action("sales_rep", "sales", "email") == "allow"
}

test_star_category_entry if {
	matrix := {"*": {"email": "mask", "*": "hash"}}
	d := decide(response(["analyst"], "", ["email", "phone"])) with data.veil_config.matrix.response.analyst as matrix
	d.default == {"email": "mask", "phone": "hash"}
}

# Rule 7: requests write freely (rule 5 aside), but the identifiers the
# vault holds reach the CRM as tokens.
tokenized_on_write := {"us_ssn", "us_itin", "credit_card", "iban", "bank_account"}

write_action(category) := "tokenize" if category in tokenized_on_write

else := "allow"

test_requests_allow_writes if {
	fields := [[c, c] | some c in all_categories; c != "credit_card"]
	every role in demo_roles {
		d := decide(write([role], fields))
		d.allow
		every category, a in d.default {
			a == write_action(category)
		}
	}
}
