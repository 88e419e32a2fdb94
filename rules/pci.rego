package veil

import data.veil_config as cfg

# PCI DSS shows at most the last four digits of a card number. On the way
# out a card number is masked at the very least, for every role and
# whatever data.json says: this floor is policy, not configuration.
pci_floor := {"credit_card": "mask"} if {
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
	input.direction == "request"
	some f in input.findings
	f.category == "credit_card"
	not lower(f.field) in card_fields
}
