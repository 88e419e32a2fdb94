package veil

import data.veil_config as cfg

# The PCI DSS rules apply on routes whose profiles include "pci" (the "*"
# route's do).

# PCI DSS shows at most the last four digits of a card number. On the way
# out a card number is masked at the very least, for every role and
# whatever the matrix in data.json says: this floor is policy, not
# configuration. Rule id pci_pan_last4 when it raises the matrix's answer.
pci_floor := {"credit_card": "mask"} if {
	"pci" in profiles
	input.direction == "response"
	rank[matrix_defaults.credit_card] < rank.mask
} else := {}

# card_fields are the fields where a full card number may be written,
# compared case-insensitively.
card_fields := {lower(name) | some name in cfg.card_fields}

# A write that puts a full card number anywhere but a card field (a note,
# a description, a free-text comment) is refused.
deny contains {
	"rule": "pci_card_in_free_text",
	"message": "A full card number may only be written to a card field.",
} if {
	"pci" in profiles
	input.direction == "request"
	some f in input.findings
	f.category == "credit_card"
	f.detector != "card_verification"
	not lower(f.field) in card_fields
}

# A card security code (detector card_verification, category credit_card)
# is sensitive authentication data: PCI DSS forbids storing it after
# authorisation, so no field of a CRM may hold one, a card field included.
# A write carrying one is refused, alone or next to a card number.
deny contains {
	"rule": "pci_cvv_stored",
	"message": "A card security code may not be stored.",
} if {
	"pci" in profiles
	input.direction == "request"
	some f in input.findings
	f.detector == "card_verification"
}

# On the way out a card security code is redacted, whatever the matrix
# says for credit_card: masking keeps the last four characters, which for
# a three- or four-digit code is the code. A stricter answer stays.
actions contains {"finding": f.id, "action": "redact", "rule": "pci_cvv_redact"} if {
	"pci" in profiles
	input.direction == "response"
	rank[defaults.credit_card] < rank.redact
	some f in input.findings
	f.detector == "card_verification"
}

# A card security code (CVV2/CVC2/CID) never travels with the card number
# it protects: a card_verification finding in the same record as a card
# number found by another detector (outside records: in the same field)
# refuses the message, in either direction.
deny contains {
	"rule": "pci_cvv_with_card",
	"message": "A card security code may not travel with a card number.",
} if {
	"pci" in profiles
	"credit_card" in categories
	some code in input.findings
	code.detector == "card_verification"
	some card in input.findings
	card.category == "credit_card"
	card.detector != "card_verification"
	same_holder(code, card)
}

# same_holder holds when two findings belong to the same record, or, both
# outside any record, to the same field.
same_holder(a, b) if {
	a.record >= 0
	a.record == b.record
}

same_holder(a, b) if {
	a.record == -1
	b.record == -1
	a.in == b.in
	a.pointer == b.pointer
}
