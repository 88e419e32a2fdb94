package veil_test

# Rule 5: a full card number written anywhere but a card field is refused.
test_card_in_free_text_denied if {
	every field in ["Description", "Notes__c", "comment", "card_number_2"] {
		d := decide(write(["sales_rep"], [[field, "credit_card"]]))
		d.allow == false
		d.deny == {{"rule": "pci_card_in_free_text", "message": "A full card number may only be written to a card field."}}
	}
}

test_card_in_card_field_allowed if {
	every field in ["Card_Number__c", "card_number", "CARD_NUMBER__C", "credit_card_number"] {
		d := decide(write(["admin"], [[field, "credit_card"]]))
		d.allow
		d.default.credit_card == "tokenize"
	}
}

test_one_stray_card_denies_the_write if {
	d := decide(write(["admin"], [["Card_Number__c", "credit_card"], ["Description", "credit_card"], ["Email", "email"]]))
	d.allow == false
}

# On the way out a card in free text is masked, not refused.
test_card_in_free_text_read_is_masked if {
	d := decide(message("response", ["support_agent"], "support", [], [finding(0, -1, "Description", "credit_card")]))
	d.allow
	d.default.credit_card == "mask"
}

test_card_fields_come_from_data if {
	d := decide(write(["admin"], [["Payment_Card__c", "credit_card"]])) with data.veil_config.card_fields as ["Payment_Card__c"]
	d.allow
}

# The card floor is listed as pci_pan_last4 when it raises the matrix.
test_pan_floor_rule_id if {
	d := decide(response(["support_agent"], "", ["credit_card"])) with data.veil_config.matrix.response.support_agent as {"*": {"credit_card": "detokenize"}}
	d.default.credit_card == "mask"
	d.rules == {"pci_pan_last4"}
	kept := decide(response(["support_agent"], "", ["credit_card"]))
	kept.default.credit_card == "mask"
	kept.rules == set()
}

test_pci_rules_off_without_the_profile if {
	allow_all := {"*": {"*": "allow"}}
	d := decide_on("hipaa", response(["admin"], "", ["credit_card"])) with data.veil_config.matrix.response.admin as allow_all
	d.default.credit_card == "allow"
	w := decide_on("hipaa", write(["admin"], [["Description", "credit_card"]]))
	w.allow
	on_pci := decide_on("pci_hipaa", write(["admin"], [["Description", "credit_card"]]))
	denied_by(on_pci) == {"pci_card_in_free_text"}
}

cvv(id, record, field) := found_by(id, record, field, "credit_card", "card_verification")

cvv_denial := {"rule": "pci_cvv_with_card", "message": "A card security code may not travel with a card number."}

# A card security code in the same record as a card number is refused, in
# either direction.
test_cvv_with_card_in_same_record_denied if {
	findings := [finding(0, 1, "Card_Number__c", "credit_card"), cvv(1, 1, "CVV__c"), finding(2, 0, "Email", "email")]
	every direction in ["response", "request"] {
		d := decide(message(direction, ["admin"], "billing", [record(0, {}), record(1, {})], findings))
		d.allow == false
		cvv_denial in d.deny
		"pci_cvv_with_card" in d.rules
		{"kind": "pci_cvv_with_card", "severity": "high"} in d.alerts
	}

	# A card found by another detector than credit_card counts too.
	hinted := [found_by(0, 0, "Card_Number__c", "credit_card", "field_hint"), cvv(1, 0, "CVV__c")]
	denied_by(decide(message("response", ["admin"], "", [record(0, {})], hinted))) == {"pci_cvv_with_card"}
}

test_cvv_and_card_in_different_records_allowed if {
	findings := [finding(0, 0, "Card_Number__c", "credit_card"), cvv(1, 1, "CVV__c")]
	d := decide(message("response", ["admin"], "", [record(0, {}), record(1, {})], findings))
	d.allow
	d.default.credit_card == "mask"
}

# Outside any record the code and the card must share a field: a note
# holding both.
test_cvv_with_card_outside_records if {
	note := "/notes/0/Body"
	same := [
		object.union(finding(0, -1, "Body", "credit_card"), {"pointer": note}),
		object.union(cvv(1, -1, "Body"), {"pointer": note}),
	]
	denied_by(decide(message("response", ["admin"], "", [], same))) == {"pci_cvv_with_card"}
	apart := [
		object.union(finding(0, -1, "Body", "credit_card"), {"pointer": note}),
		object.union(cvv(1, -1, "Body"), {"pointer": "/notes/1/Body"}),
	]
	decide(message("response", ["admin"], "", [], apart)).allow

	# One in a record, one outside: not the same holder.
	mixed := [finding(0, 0, "Card_Number__c", "credit_card"), cvv(1, -1, "CVV__c")]
	decide(message("response", ["admin"], "", [record(0, {})], mixed)).allow
}

# On the way out a code is redacted, not masked: a mask keeps the last
# four characters, the whole of a code. The rest of the category keeps the
# matrix's answer, and a stricter answer stays.
test_cvv_read_is_redacted if {
	findings := [cvv(0, 0, "CVV__c"), cvv(1, 0, "Description"), finding(2, 1, "Card_Number__c", "credit_card")]
	d := decide(message("response", ["support_agent"], "", [record(0, {}), record(1, {})], findings))
	d.allow
	d.default.credit_card == "mask"
	d.actions == {
		{"finding": 0, "action": "redact", "rule": "pci_cvv_redact"},
		{"finding": 1, "action": "redact", "rule": "pci_cvv_redact"},
	}
	"pci_cvv_redact" in d.rules

	stricter := decide(message("response", ["support_agent"], "", [record(0, {})], [cvv(0, 0, "CVV__c")])) with data.veil_config.matrix.response.support_agent as {"*": {"credit_card": "drop"}}
	stricter.default.credit_card == "drop"
	stricter.actions == set()

	off := decide_on("hipaa", message("response", ["admin"], "", [record(0, {})], [cvv(0, 0, "CVV__c")]))
	off.actions == set()
}

cvv_stored := {"rule": "pci_cvv_stored", "message": "A card security code may not be stored."}

# A code may not be stored at all: a write carrying one is refused as
# pci_cvv_stored, in a field named for it, in free text or in a card
# field, and not as a card in free text.
test_cvv_written_refused if {
	every field in ["CVV__c", "Description", "Card_Number__c"] {
		d := decide(message("request", ["admin"], "sales", [record(0, {})], [cvv(0, 0, field)]))
		d.deny == {cvv_stored}
		{"kind": "pci_cvv_stored", "severity": "high"} in d.alerts
	}
	both := decide(message("request", ["admin"], "sales", [record(0, {})], [finding(0, 0, "Card_Number__c", "credit_card"), cvv(1, 0, "CVV__c")]))
	denied_by(both) == {"pci_cvv_stored", "pci_cvv_with_card"}
	both.rules == {"pci_cvv_stored", "pci_cvv_with_card"}
	decide_on("hipaa", message("request", ["admin"], "sales", [record(0, {})], [cvv(0, 0, "CVV__c")])).allow
}

test_cvv_rule_off_without_the_profile if {
	findings := [finding(0, 0, "Card_Number__c", "credit_card"), cvv(1, 0, "CVV__c")]
	d := decide_on("hipaa", message("response", ["admin"], "", [record(0, {})], findings))
	d.allow
}
