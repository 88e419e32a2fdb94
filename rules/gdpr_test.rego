package veil_test

import data.veil
import data.veil_config as cfg

# A support agent reads contacts holding more than support needs.
contacts := [
	finding(0, 0, "Email", "email"),
	finding(1, 0, "Birthdate", "date_of_birth"),
	finding(2, 0, "IBAN__c", "iban"),
	finding(3, 1, "Name", "person_name"),
	finding(4, 1, "SSN__c", "us_ssn"),
]

read_contacts(roles, purpose) := message("response", roles, purpose, [record(0, {}), record(1, {})], contacts)

# Responses: what the purpose does not need is removed from the body.
test_gdpr_drops_what_the_purpose_does_not_need if {
	d := decide_on("gdpr", read_contacts(["support_agent"], "support"))
	d.allow
	d.drop == {"/records/0/Birthdate", "/records/0/IBAN__c", "/records/1/SSN__c"}
	d.rules == {"gdpr_purpose_limitation"}
	d.alerts == set()

	# The defaults still apply to what stays (and to what goes).
	d.default == {"email": "allow", "date_of_birth": "mask", "iban": "mask", "person_name": "allow", "us_ssn": "mask"}
}

test_gdpr_purpose_decides if {
	billing := decide_on("gdpr", read_contacts(["support_agent"], "billing"))
	billing.drop == {"/records/0/Birthdate", "/records/1/SSN__c"}
	analytics := decide_on("gdpr", read_contacts(["analyst"], "analytics"))
	analytics.drop == {f.pointer | some f in contacts}
}

# An unknown purpose needs nothing; so does none (on a route that does not
# require one).
test_gdpr_unknown_or_empty_purpose_drops_everything if {
	routes := object.union(profile_routes, {"gdpr": {"require_purpose": false}})
	every purpose in ["", "curiosity"] {
		d := veil.decision with input as on("gdpr", read_contacts(["admin"], purpose)) with data.veil_config.routes as routes
		d.allow
		d.drop == {f.pointer | some f in contacts}
	}

	# Where the route requires a purpose, none is refused.
	required := decide_on("gdpr", read_contacts(["admin"], ""))
	denied_by(required) == {"purpose_required"}
}

test_gdpr_nothing_to_drop if {
	d := decide_on("gdpr", message("response", ["sales_rep"], "sales", [record(0, {})], [finding(0, 0, "Email", "email"), finding(1, 0, "Name", "person_name")]))
	d.allow
	d.drop == set()
	d.rules == set()
}

# Requests: Veil does not silently change what a client writes; a write of
# data the purpose does not need is refused.
test_gdpr_refuses_writes_beyond_the_purpose if {
	d := decide_on("gdpr", object.union(write(["sales_rep"], [["Email", "email"], ["SSN__c", "us_ssn"]]), {"purpose": "support"}))
	d.allow == false
	d.deny == {{"rule": "gdpr_purpose_limitation", "message": "The message writes personal data its declared purpose does not need."}}
	d.alerts == {{"kind": "gdpr_purpose_limitation", "severity": "medium"}}
	d.rules == {"gdpr_purpose_limitation"}
	d.drop == set()
}

test_gdpr_allows_writes_within_the_purpose if {
	d := decide_on("gdpr", object.union(write(["sales_rep"], [["Email", "email"], ["Phone", "phone"]]), {"purpose": "support"}))
	d.allow
	d.rules == set()
}

# Only body findings count: the request URL's findings are governed by the
# matrix.
test_gdpr_counts_body_findings_only if {
	url := object.union(finding(0, -1, "email", "email"), {"in": "query", "pointer": "/email"})
	d := decide_on("gdpr", message("request", ["sales_rep"], "analytics", [], [url]))
	d.allow
}

# A finding at the body's root cannot be dropped: it is redacted instead,
# unless its default is stricter already.
test_gdpr_root_finding_redacted if {
	root := object.union(finding(0, -1, "", "iban"), {"pointer": ""})
	d := decide_on("gdpr", message("response", ["admin"], "support", [], [root]))
	d.drop == set()
	d.actions == {{"finding": 0, "action": "redact", "rule": "gdpr_purpose_limitation"}}
	stricter := decide_on("gdpr", message("response", ["admin"], "support", [], [root])) with data.veil_config.matrix.response.admin as {"*": {"iban": "block"}}
	stricter.actions == set()
}

test_gdpr_off_drops_nothing if {
	every route in ["*", "none", "ccpa", "hipaa", "nowhere"] {
		d := decide_on(route, read_contacts(["support_agent"], "support"))
		d.drop == set()
		not "gdpr_purpose_limitation" in d.rules
	}
	w := decide_on("*", object.union(write(["sales_rep"], [["SSN__c", "us_ssn"]]), {"purpose": "support"}))
	w.allow
}

test_gdpr_purposes_come_from_data if {
	d := decide_on("gdpr", read_contacts(["support_agent"], "support")) with data.veil_config.gdpr.purposes as {"support": ["email", "iban", "date_of_birth", "person_name", "us_ssn"]}
	d.drop == set()
}

# Consent rules keep applying on a gdpr route.
test_gdpr_keeps_consent if {
	msg := message("response", ["marketing"], "marketing", [record(0, {"email_opt_out": true})], [finding(0, 0, "Email", "email")])
	d := decide_on("gdpr", msg)
	"email" in cfg.gdpr.purposes.marketing
	d.drop == set()
	d.actions == {{"finding": 0, "action": "redact", "rule": "consent_email_opt_out"}}
}
