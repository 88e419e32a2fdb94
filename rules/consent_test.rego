package veil_test

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

# Rule 4: marketing reads no email of a contact who opted out of email.
test_marketing_opted_out_email_redacted if {
	d := read(["marketing"])
	d.allow
	d.default.email == "allow"
	d.actions == {
		{"finding": 1, "action": "redact", "rule": "consent_email_opt_out"},
		{"finding": 3, "action": "redact", "rule": "consent_call_opt_out"},
	}
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
	count(read(["marketing", "intern"]).actions) == 2
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
