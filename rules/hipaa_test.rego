package veil_test

import data.veil_config as cfg

# A sales rep (no PHI role) reads a patient record on a hipaa route: every
# identifier is masked at least; stricter matrix answers stay; other
# categories keep the matrix's answer.
test_hipaa_masks_identifiers_for_non_phi_roles if {
	d := decide_on("hipaa", response(["sales_rep"], "sales", ["person_name", "email", "postal_code", "date_of_birth", "us_ssn", "passport", "secret", "veil_token"]))
	d.allow
	d.default == {
		"person_name": "mask", "email": "mask", "postal_code": "mask", "date_of_birth": "mask",
		"us_ssn": "mask", "passport": "redact", "secret": "redact", "veil_token": "allow",
	}
	d.rules == {"hipaa_safe_harbor"}
}

test_hipaa_masks_every_identifier if {
	d := decide_on("hipaa", response(["sales_rep"], "", cfg.hipaa.identifiers)) with data.veil_config.matrix.response.sales_rep as {"*": {"*": "allow"}}
	every category in cfg.hipaa.identifiers {
		d.default[category] == "mask"
	}
}

# A stricter matrix answer is never loosened to mask.
test_hipaa_keeps_stricter_matrix_actions if {
	row := {"*": {"email": "drop", "phone": "hash", "person_name": "allow"}}
	d := decide_on("hipaa", response(["marketing"], "", ["email", "phone", "person_name"])) with data.veil_config.matrix.response.marketing as row
	d.default == {"email": "drop", "phone": "hash", "person_name": "mask"}
}

# A PHI role reads as the matrix says.
test_hipaa_no_floor_for_phi_roles if {
	d := decide_on("hipaa", response(["admin"], "", ["person_name", "email", "us_ssn"]))
	d.default == {"person_name": "allow", "email": "allow", "us_ssn": "allow"}
	d.rules == set()

	# One PHI role among the principal's is enough.
	both := decide_on("hipaa", response(["sales_rep", "admin"], "", ["person_name"]))
	both.default.person_name == "allow"

	# phi_roles come from data.
	support := decide_on("hipaa", response(["support_agent"], "", ["person_name"])) with data.veil_config.hipaa.phi_roles as ["support_agent"]
	support.default.person_name == "allow"
}

test_hipaa_only_on_responses if {
	d := decide_on("hipaa", write(["sales_rep"], [["Name", "person_name"], ["Email", "email"]]))
	d.allow
	d.default == {"person_name": "allow", "email": "allow"}
}

test_hipaa_off_no_floor if {
	every route in ["*", "none", "gdpr", "nowhere"] {
		d := decide_on(route, response(["sales_rep"], "sales", ["person_name", "email"]))
		d.default == {"person_name": "allow", "email": "allow"}
	}
}

# Floors combine by the more restrictive action: PCI and Safe Harbor both
# ask mask of a card number; both are listed when both raised the matrix.
test_hipaa_and_pci_floors_combine if {
	row := {"*": {"credit_card": "allow", "email": "allow"}}
	d := decide_on("pci_hipaa", response(["sales_rep"], "", ["credit_card", "email"])) with data.veil_config.matrix.response.sales_rep as row
	d.default == {"credit_card": "mask", "email": "mask"}
	d.rules == {"pci_pan_last4", "hipaa_safe_harbor"}
	hipaa_only := decide_on("hipaa", response(["sales_rep"], "", ["credit_card"])) with data.veil_config.matrix.response.sales_rep as row
	hipaa_only.default.credit_card == "mask"
	hipaa_only.rules == {"hipaa_safe_harbor"}
}

# Listed only when the floor raised a default.
test_hipaa_listed_only_when_it_changed_a_default if {
	d := decide_on("hipaa", response(["analyst"], "", ["passport", "us_ssn", "email", "secret"]))
	d.default == {"passport": "redact", "us_ssn": "redact", "email": "mask", "secret": "redact"}
	d.rules == set()
}

# Without hipaa configuration the floor fails closed.
test_hipaa_without_configuration_masks_everything if {
	d := decide_on("hipaa", response(["admin"], "", ["email", "secret", "veil_token"])) with data.veil_config.hipaa as {}
	d.default == {"email": "mask", "secret": "mask", "veil_token": "mask"}
	d.rules == {"hipaa_safe_harbor"}
}
