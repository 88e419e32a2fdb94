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
	"body": inspected_json,
	"predicates": [],
}

# inspected_json is the body of most messages: JSON the detectors read
# whole.
inspected_json := {"format": "json", "inspected": true}

# with_body gives a message another body description.
with_body(msg, body) := object.union(object.remove(msg, ["body"]), {"body": body})

# uninspected is a body Veil could not read, for reason.
uninspected(format, reason) := {"format": format, "inspected": false, "reason": reason}

finding(id, record, field, category) := {
	"id": id,
	"record": record,
	"in": "body",
	"pointer": sprintf("/records/%d/%s", [record, field]),
	"field": field,
	"category": category,
	"detector": category,
	"confidence": 0.99,
}

# found_by is finding with another detector than the category's namesake.
found_by(id, record, field, category, detector) := object.union(finding(id, record, field, category), {"detector": detector})

# record is a Contact of a collection body (/records/<index>).
record(index, consent) := {
	"index": index,
	"object": "Contact",
	"id": sprintf("003%015d", [index]),
	"pointer": sprintf("/records/%d", [index]),
	"consent": consent,
}

# response is a read by roles of one finding per category, outside records.
response(roles, purpose, categories) := message(
	"response", roles, purpose, [],
	[finding(i, -1, category, category) | some i, category in categories],
)

# write is a request by roles storing one finding per [field, category].
write(roles, fields) := message(
	"request", roles, "sales", [record(0, {})],
	[finding(i, 0, fc[0], fc[1]) | some i, fc in fields],
)

decide(msg) := d if {
	d := veil.decision with input as msg
}

# action is the default action of one role for one category.
action(role, purpose, category) := decide(response([role], purpose, [category])).default[category]

# Routes of the profile tests, set with `with data.veil_config.routes as
# profile_routes`: data.json switches no regulation on by default.
profile_routes := {
	"*": {"profiles": ["pci"], "require_purpose": false, "sale": false},
	"none": {"profiles": []},
	"gdpr": {"profiles": ["pci", "gdpr"], "require_purpose": true},
	"ccpa": {"profiles": ["pci", "ccpa"], "sale": true},
	"ccpa_no_sale": {"profiles": ["pci", "ccpa"]},
	"sale_no_ccpa": {"profiles": ["pci"], "sale": true},
	"hipaa": {"profiles": ["hipaa"]},
	"pci_hipaa": {"profiles": ["pci", "hipaa"]},
	"purpose": {"require_purpose": true},
}

# on moves a message to a route.
on(route, msg) := object.union(msg, {"route": route})

# decide_on is decide on a route of profile_routes.
decide_on(route, msg) := d if {
	d := veil.decision with input as on(route, msg) with data.veil_config.routes as profile_routes
}

# denied_by is the set of rule ids of a decision's deny reasons.
denied_by(d) := {r.rule | some r in d.deny}
