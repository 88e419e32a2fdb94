package veil_test

# Records 0 and 2 opted out of sale; record 1 did not.
sale_records := [
	record(0, {"sale_opt_out": true, "email_opt_out": false}),
	record(1, {"sale_opt_out": false}),
	record(2, {"sale_opt_out": true}),
]

# On a request a record's consent is the flags the write sets, and a flag
# written false clears an opt-out (consent_opt_out_cleared): a write here
# only sets opt-outs.
sale_writes := [
	record(0, {"sale_opt_out": true}),
	record(1, {}),
	record(2, {"sale_opt_out": true}),
]

sale_messages(direction, findings) := message(direction, ["sales_rep"], "sales", sale_records, findings) if direction == "response"

sale_messages(direction, findings) := message(direction, ["sales_rep"], "sales", sale_writes, findings) if direction == "request"

sale_findings := [
	finding(0, 0, "Email", "email"),
	finding(1, 1, "Email", "email"),
	finding(2, 2, "Phone", "phone"),
]

ccpa_denial := {
	"rule": "ccpa_sale_opt_out",
	"message": "The message carries personal data of a consumer who opted out of sale or sharing, on a route that sells or shares.",
}

# A read on a sale route loses every record whose consumer opted out.
test_ccpa_drops_opted_out_records if {
	d := decide_on("ccpa", message("response", ["sales_rep"], "sales", sale_records, sale_findings))
	d.allow
	d.drop == {"/records/0", "/records/2"}
	d.rules == {"ccpa_sale_opt_out"}
	d.alerts == set()
}

# A HubSpot page keeps its records under results.
test_ccpa_drops_by_record_pointer if {
	rec := object.union(record(4, {"sale_opt_out": true}), {"pointer": "/results/4"})
	d := decide_on("ccpa", message("response", ["sales_rep"], "sales", [rec], [finding(0, 4, "email", "email")]))
	d.drop == {"/results/4"}
}

# A single-record body is the record: refused, not emptied.
test_ccpa_single_record_body_denied if {
	single := object.union(record(0, {"sale_opt_out": true}), {"pointer": ""})
	every direction in ["response", "request"] {
		d := decide_on("ccpa", message(direction, ["sales_rep"], "sales", [single], [finding(0, 0, "Email", "email")]))
		d.allow == false
		d.deny == {ccpa_denial}
		d.drop == set()
		d.alerts == {{"kind": "ccpa_sale_opt_out", "severity": "high"}}
		d.rules == {"ccpa_sale_opt_out"}
	}
}

# A write carrying personal data of an opted-out record is refused.
test_ccpa_refuses_writes_of_opted_out_records if {
	d := decide_on("ccpa", sale_messages("request", sale_findings))
	d.deny == {ccpa_denial}
	d.drop == set()
	others := decide_on("ccpa", sale_messages("request", [sale_findings[1]]))
	others.allow
}

test_ccpa_no_opt_out_no_effect if {
	d := decide_on("ccpa", message("response", ["sales_rep"], "sales", [sale_records[1]], [sale_findings[1]]))
	d.allow
	d.drop == set()
	d.rules == set()
}

# Without "sale" on the route, or without the ccpa profile, nothing changes.
test_ccpa_only_on_sale_routes if {
	every route in ["ccpa_no_sale", "sale_no_ccpa", "*", "nowhere"] {
		every direction in ["response", "request"] {
			d := decide_on(route, sale_messages(direction, sale_findings))
			d.allow
			d.drop == set()
		}
	}
}
