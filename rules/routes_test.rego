package veil_test

import data.veil

# A route not listed in veil_config.routes uses the "*" entry.
test_unknown_route_falls_back_to_star if {
	veil.route_config == {"profiles": ["pci"], "require_purpose": false, "sale": false} with input as on("nowhere", response(["admin"], "", ["email"]))

	# With hipaa on the "*" entry, an unlisted route gets the Safe Harbor
	# floor and a listed route without it does not.
	star := object.union(profile_routes, {"*": {"profiles": ["pci", "hipaa"]}})
	msg := response(["sales_rep"], "support", ["email"])
	unlisted := veil.decision with input as on("nowhere", msg) with data.veil_config.routes as star
	unlisted.default.email == "mask"
	unlisted.rules == {"hipaa_safe_harbor"}
	listed := veil.decision with input as on("none", msg) with data.veil_config.routes as star
	listed.default.email == "allow"
}

# A key a route's entry leaves out takes the "*" entry's value, then the
# built-in default (PCI only).
test_route_entry_inherits_star if {
	routes := {"*": {"profiles": ["pci", "gdpr"], "require_purpose": true}, "x": {"sale": true}}
	veil.route_config == {"profiles": ["pci", "gdpr"], "require_purpose": true, "sale": true} with input as on("x", response(["admin"], "", []))
		with data.veil_config.routes as routes
	veil.route_config == {"profiles": ["pci"], "require_purpose": false, "sale": true} with input as on("x", response(["admin"], "", []))
		with data.veil_config.routes as {"x": {"sale": true}}
}

# A bundle whose data.json has no routes keeps the PCI rules.
test_no_routes_in_data_keeps_pci if {
	d := decide(response(["admin"], "", ["credit_card"])) with data.veil_config.routes as {}
		with data.veil_config.matrix.response.admin as {"*": {"*": "allow"}}
	d.default.credit_card == "mask"
	w := decide(write(["admin"], [["Description", "credit_card"]])) with data.veil_config.routes as {}
	denied_by(w) == {"pci_card_in_free_text"}
}

test_profiles_of_the_route if {
	veil.profiles == {"pci", "gdpr"} with input as on("gdpr", response(["admin"], "support", []))
		with data.veil_config.routes as profile_routes
	veil.profiles == set() with input as on("none", response(["admin"], "support", []))
		with data.veil_config.routes as profile_routes
}

# require_purpose: a message without a purpose is refused, both ways.
test_purpose_required if {
	every msg in [response(["admin"], "", ["email"]), object.union(write(["admin"], [["Email", "email"]]), {"purpose": ""}), response(["admin"], "", [])] {
		d := decide_on("purpose", msg)
		d.allow == false
		denied_by(d) == {"purpose_required"}
		d.deny == {{"rule": "purpose_required", "message": "The route requires a declared purpose and the message declares none."}}
		d.alerts == {{"kind": "purpose_required", "severity": "medium"}}
		d.rules == {"purpose_required"}
	}
}

test_purpose_given_or_not_required if {
	declared := decide_on("purpose", response(["admin"], "support", ["email"]))
	declared.allow
	free := decide_on("*", response(["admin"], "", ["email"]))
	free.allow
	unlisted := decide_on("nowhere", response(["admin"], "", ["email"]))
	unlisted.allow
}

# Every regulation off: no profile rule fires, whatever the message holds.
test_profiles_off_nothing_fires if {
	allow_all := {"*": {"*": "allow"}}

	# PCI: a full card number is read and written in free text, a code
	# travels with its card.
	read := decide_on("none", message(
		"response", ["admin"], "", [record(0, {"sale_opt_out": true})],
		[finding(0, 0, "Card_Number__c", "credit_card"), found_by(1, 0, "CVV__c", "credit_card", "card_verification"), finding(2, 0, "Email", "email")],
	)) with data.veil_config.matrix.response.admin as allow_all
	read.allow
	read.default == {"credit_card": "allow", "email": "allow"}
	read.drop == set()
	read.actions == set()
	read.rules == set()

	written := decide_on("none", write(["admin"], [["Description", "credit_card"], ["SSN__c", "us_ssn"]]))
	written.allow
	written.rules == set()
}
