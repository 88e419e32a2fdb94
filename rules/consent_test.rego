package veil_test

import data.veil

records := [
	record(0, {"email_opt_out": false}),
	record(1, {"email_opt_out": true, "call_opt_out": true}),
	record(2, {}),
]

findings := [
	finding(0, 0, "Email", "email"),
	finding(1, 1, "Email", "email"),
	finding(2, 1, "Name", "person_name"),
	finding(3, 1, "Phone", "phone"),
	finding(4, 2, "Email", "email"),
	finding(5, -1, "email", "email"),
]

read(roles) := decide(message("response", roles, "marketing", records, findings))

# Rule 4: marketing reads no email of a contact who opted out of email,
# nor of one whose flag the message does not carry (record 2: the client
# did not select it); an email outside any record stays.
test_marketing_opted_out_email_redacted if {
	d := read(["marketing"])
	d.allow
	d.default.email == "allow"
	d.actions == {
		{"finding": 1, "action": "redact", "rule": "consent_email_opt_out"},
		{"finding": 3, "action": "redact", "rule": "consent_call_opt_out"},
		{"finding": 4, "action": "redact", "rule": "consent_email_opt_out"},
	}
}

# A missing flag counts as an opt-out only for objects that carry it
# (rule.objects) or a record whose object is unknown; a flag that is set
# counts on any object.
unknown(obj, consent) := decide(message(
	"response", ["marketing"], "marketing",
	[object.union(record(0, consent), {"object": obj})],
	[finding(0, 0, "Email", "email")],
))

test_consent_missing_flag_by_object if {
	count(unknown("Contact", {}).actions) == 1
	count(unknown("contacts", {}).actions) == 1
	count(unknown("Lead", {"call_opt_out": false}).actions) == 1
	count(unknown("", {}).actions) == 1
	count(unknown("Case", {}).actions) == 0
	count(unknown("companies", {}).actions) == 0
	count(unknown("Case", {"email_opt_out": true}).actions) == 1
	count(unknown("Contact", {"email_opt_out": false}).actions) == 0
	count(unknown("CONTACT", {}).actions) == 1
	count(unknown("LEAD", {"call_opt_out": false}).actions) == 1
}

# A custom object's name matches in any case, as Salesforce reads it.
test_consent_custom_object_in_any_case if {
	rule := {
		"rule": "consent_patient_opt_out", "direction": "response", "consent": "email_opt_out",
		"categories": ["email"], "roles": ["marketing"], "action": "redact", "objects": ["Patient__c"],
	}
	every obj in ["Patient__c", "patient__c", "PATIENT__C"] {
		count(unknown(obj, {}).actions) == 1 with data.veil_config.consent as [rule]
	}
	count(unknown("Patient__c", {"email_opt_out": false}).actions) == 0 with data.veil_config.consent as [rule]
	count(unknown("Doctor__c", {}).actions) == 0 with data.veil_config.consent as [rule]
}

# A rule that names no objects treats every record as carrying its flag.
test_consent_rule_without_objects_fails_closed if {
	rule := {
		"rule": "consent_fax_opt_out", "direction": "response", "consent": "fax_opt_out",
		"categories": ["phone"], "roles": ["marketing"], "action": "redact",
	}
	fax := [finding(0, 0, "Fax", "phone")]
	rec := object.union(record(0, {}), {"object": "Case"})
	d := decide(message("response", ["marketing"], "marketing", [rec], fax)) with data.veil_config.consent as [rule]
	d.actions == {{"finding": 0, "action": "redact", "rule": "consent_fax_opt_out"}}
}

test_consent_is_for_marketing_only if {
	every role in ["admin", "sales_rep", "support_agent", "analyst"] {
		count(read([role]).actions) == 0
	}
}

# The most permissive role wins: a marketer who is also a sales rep reads
# the contact for sales.
test_consent_skipped_with_an_unbound_role if {
	count(read(["marketing", "sales_rep"]).actions) == 0
	count(read(["marketing", "intern"]).actions) == 3
}

test_consent_only_on_responses if {
	d := decide(message("request", ["marketing"], "marketing", records, findings))
	count(d.actions) == 0
}

test_no_opt_out_no_actions if {
	d := decide(message("response", ["marketing"], "marketing", [records[0]], [findings[0]]))
	count(d.actions) == 0
}

# An override only tightens: a stricter default stays.
test_consent_never_loosens if {
	row := {"*": {"email": "drop", "phone": "mask"}}
	d := read(["marketing"]) with data.veil_config.matrix.response.marketing as row
	d.default.email == "drop"
	d.actions == {{"finding": 3, "action": "redact", "rule": "consent_call_opt_out"}}
}

# A write of consent flags: a PATCH of one Contact with no personal data
# beside the flags.
consent_write(roles, purpose, consent) := object.union(
	message("request", roles, purpose, [record(0, consent)], []),
	{"method": "PATCH", "operation": "update", "path": "/services/data/v62.0/sobjects/Contact/003000000000000000000"},
)

# Clearing an opt-out is refused for marketing, with a high alert, and
# also when marketing declares the consent_management purpose: the purpose
# is the client's word and never authorizes alone.
test_consent_clear_refused_for_marketing if {
	some purpose in ["marketing", "", "consent_management"]
	d := decide(consent_write(["marketing"], purpose, {"email_opt_out": false}))
	not d.allow
	denied_by(d) == {"consent_opt_out_cleared"}
	{"kind": "consent_opt_out_cleared", "severity": "high"} in d.alerts
	"consent_opt_out_cleared" in d.rules
}

# Every flag counts, built-in or configured, on any object; one clear
# among flags set is enough.
test_consent_clear_any_flag_refused if {
	every consent in [
		{"call_opt_out": false},
		{"fax_opt_out": false},
		{"sale_opt_out": false},
		{"email_opt_out": true, "call_opt_out": false},
	] {
		not decide(consent_write(["sales_rep"], "sales", consent)).allow
	}
	msg := consent_write(["marketing"], "", {"email_opt_out": false})
	not decide(object.union(msg, {"object": "contacts", "dialect": "hubspot", "route": "hubspot"})).allow
}

# A role of consent_clear declaring one of its purposes clears an
# opt-out: allowed, with a medium alert.
test_consent_clear_allowed_for_consent_management if {
	some role in ["admin", "support_agent"]
	d := decide(consent_write([role, "marketing"], "consent_management", {"email_opt_out": false}))
	d.allow
	d.alerts == {{"kind": "consent_opt_out_cleared", "severity": "medium"}}
	"consent_opt_out_cleared" in d.rules
}

# The role without the purpose is refused, still alerted.
test_consent_clear_role_without_purpose_refused if {
	d := decide(consent_write(["admin"], "support", {"email_opt_out": false}))
	not d.allow
	{"kind": "consent_opt_out_cleared", "severity": "high"} in d.alerts
}

# Setting an opt-out is always allowed, without an alert; so is a write
# that names no flag, and a create, which has no opt-out to clear.
test_consent_set_allowed if {
	d := decide(consent_write(["marketing"], "marketing", {"email_opt_out": true, "call_opt_out": true}))
	d.allow
	count(d.alerts) == 0
	e := decide(consent_write(["marketing"], "marketing", {}))
	e.allow
	count(e.alerts) == 0
	some op in ["create", "batch_create"]
	c := decide(object.union(consent_write(["marketing"], "", {"email_opt_out": false}), {"operation": op, "method": "POST"}))
	c.allow
	count(c.alerts) == 0
}

# A response carrying a flag false changes nothing: it is a read.
test_consent_false_in_response_is_no_clear if {
	d := decide(message("response", ["marketing"], "marketing", [record(0, {"email_opt_out": false})], []))
	d.allow
	not "consent_opt_out_cleared" in d.rules
}

# The grant is configuration: consent_clear names the roles and purposes.
test_consent_clear_configurable if {
	msg := consent_write(["marketing"], "resubscribe", {"email_opt_out": false})
	d := veil.decision with input as msg with data.veil_config.consent_clear as {"purposes": ["resubscribe"], "roles": ["marketing"]}
	d.allow
	e := veil.decision with input as msg with data.veil_config.consent_clear as {"purposes": [], "roles": []}
	not e.allow
}
