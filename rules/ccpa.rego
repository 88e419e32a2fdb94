package veil

# CCPA "do not sell or share": on a route with the ccpa profile and
# "sale": true, no record whose consumer opted out (consent.sale_opt_out)
# passes. A read loses the whole record; a single-record body (pointer "")
# cannot lose its record, so it is refused, and so is a write carrying
# personal data of such a record.
ccpa_opted_out contains r if {
	"ccpa" in profiles
	route_config.sale == true
	some r in input.records
	r.consent.sale_opt_out == true
}

ccpa_drop := {r.pointer |
	input.direction == "response"
	some r in ccpa_opted_out
	startswith(r.pointer, "/")
}

deny contains ccpa_denial if {
	input.direction == "response"
	some r in ccpa_opted_out
	not startswith(r.pointer, "/")
}

deny contains ccpa_denial if {
	input.direction == "request"
	some r in ccpa_opted_out
	some f in input.findings
	f.record == r.index
}

ccpa_denial := {
	"rule": "ccpa_sale_opt_out",
	"message": "The message carries personal data of a consumer who opted out of sale or sharing, on a route that sells or shares.",
}
