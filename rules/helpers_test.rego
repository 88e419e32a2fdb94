# Helpers shared by the bundle's tests: realistic inputs in a few words.
package veil_test

import data.veil

all_categories := [
	"person_name", "email", "phone", "street_address", "postal_code",
	"date_of_birth", "ip_address", "credit_card", "us_ssn", "us_itin", "iban",
	"bank_account", "uk_nino", "uk_nhs", "br_cpf", "ca_sin", "us_mbi", "us_npi",
	"passport", "secret", "veil_token",
]

all_actions := {"allow", "detokenize", "mask", "tokenize", "hash", "redact", "drop", "block"}

demo_roles := ["admin", "sales_rep", "support_agent", "marketing", "analyst"]

demo_purposes := ["", "support", "sales", "marketing", "analytics"]

# message builds an input document.
message(direction, roles, purpose, records, findings) := {
	"direction": direction,
	"route": "salesforce",
	"dialect": "salesforce",
	"method": "GET",
	"path": "/services/data/v62.0/query",
	"operation": "query",
	"object": "Contact",
	"principal": {"id": "u-42", "roles": roles, "mfa": false, "ip": "10.1.2.3"},
	"purpose": purpose,
	"records": records,
	"findings": findings,
	"stats": {},
	"truncated": false,
}

finding(id, record, field, category) := {
	"id": id,
	"record": record,
	"pointer": sprintf("/records/%d/%s", [record, field]),
	"field": field,
	"category": category,
	"detector": category,
	"confidence": 0.99,
}

# response is a read by roles of one finding per category, outside records.
response(roles, purpose, categories) := message(
	"response", roles, purpose, [],
	[finding(i, -1, category, category) | some i, category in categories],
)

# write is a request by roles storing one finding per [field, category].
write(roles, fields) := message(
	"request", roles, "sales", [{"index": 0, "object": "Contact", "id": "003A", "consent": {}}],
	[finding(i, 0, fc[0], fc[1]) | some i, fc in fields],
)

decide(msg) := d if {
	d := veil.decision with input as msg
}

# action is the default action of one role for one category.
action(role, purpose, category) := decide(response([role], purpose, [category])).default[category]
