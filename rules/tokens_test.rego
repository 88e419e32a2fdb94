package veil_test

# token(id, category) is a Veil token standing for a value of category,
# outside records.
token(id, category) := object.union(finding(id, -1, "Note", "veil_token"), {"token_category": category})

# read_tokens is a response holding one token per category, read by roles
# with or without MFA.
read_tokens(roles, mfa, categories) := object.union(
	message("response", roles, "", [], [token(i, c) | some i, c in categories]),
	{"principal": {"id": "u-42", "roles": roles, "mfa": mfa, "ip": "10.1.2.3"}},
)

test_admin_with_mfa_detokenizes_what_admin_reads if {
	d := decide(read_tokens(["admin"], true, ["us_ssn", "iban", "email"]))
	d.default.veil_token == "detokenize"
	d.actions == set()
	d.allow
}

test_detokenize_requires_mfa if {
	d := decide(read_tokens(["admin"], false, ["us_ssn", "email"]))
	d.default.veil_token == "detokenize"
	d.actions == {
		{"finding": 0, "action": "allow", "rule": "detokenize_requires_mfa"},
		{"finding": 1, "action": "allow", "rule": "detokenize_requires_mfa"},
	}
	"detokenize_requires_mfa" in d.rules

	# The data can lift the requirement.
	lifted := decide(read_tokens(["admin"], false, ["us_ssn"])) with data.veil_config.vault.detokenize_requires_mfa as false
	lifted.actions == set()
}

# A card token stays a token for everyone on a pci route: card numbers are
# never read in full. A token of no known category stays too.
test_card_token_stays if {
	d := decide(read_tokens(["admin"], true, ["credit_card", "us_ssn", ""]))
	d.actions == {
		{"finding": 0, "action": "allow", "rule": "token_stays"},
		{"finding": 2, "action": "allow", "rule": "token_stays"},
	}
	"token_stays" in d.rules

	# Off pci, the matrix decides: admin's credit_card is mask, so the
	# token still stays; with allow it comes back.
	off := decide_on("none", read_tokens(["admin"], true, ["credit_card"]))
	off.actions == {{"finding": 0, "action": "allow", "rule": "token_stays"}}
	allowed := decide_on("none", read_tokens(["admin"], true, ["credit_card"])) with data.veil_config.matrix.response.admin as {"*": {"*": "allow", "veil_token": "detokenize"}}
	allowed.actions == set()
}

test_roles_without_detokenize_keep_tokens if {
	every role in ["sales_rep", "support_agent", "marketing", "analyst"] {
		d := decide(read_tokens([role], true, ["us_ssn", "email"]))
		d.default.veil_token == "allow"
		d.actions == set()
	}
}

# Roles combine on veil_token with detokenize first: holding another role
# takes nothing away. What comes back is what the principal reads in full:
# a sales rep's masked SSNs do not stop the admin role's reading them.
test_detokenize_is_the_most_access if {
	d := decide(read_tokens(["sales_rep", "admin"], true, ["us_ssn"]))
	d.default.veil_token == "detokenize"
	d.default.us_ssn == "allow"
	d.actions == set()
}

# A role allowed to detokenize does not get a category it reads masked.
test_token_follows_its_category if {
	matrix := {"*": {"*": "allow", "veil_token": "detokenize", "us_ssn": "mask"}}
	d := decide(read_tokens(["support_agent"], true, ["us_ssn", "email"])) with data.veil_config.matrix.response.support_agent as matrix
	d.actions == {{"finding": 0, "action": "allow", "rule": "token_stays"}}

	# HIPAA: a role without PHI access reads identifiers masked, so their
	# tokens stay.
	hipaa := decide_on("hipaa", read_tokens(["support_agent"], true, ["email"])) with data.veil_config.matrix.response.support_agent as matrix
	hipaa.actions == {{"finding": 0, "action": "allow", "rule": "token_stays"}}
}

# Writes carry tokens as they are: a client writes back what it read.
test_tokens_written_back_unchanged if {
	d := decide(message("request", ["admin"], "sales", [], [token(0, "us_ssn")]))
	d.allow
	d.default.veil_token == "allow"
	d.actions == set()
}
