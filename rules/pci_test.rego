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
		d.default.credit_card == "allow"
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
