package veil

import data.veil_config as cfg

# Veil tokens (category veil_token) are what the vault wrote in place of a
# value. On the way out the matrix may say detokenize for veil_token; the
# value then comes back only when the principal could read it in the
# clear anyway. Otherwise the token stays as it is (allow), per finding:
#
#   - detokenize_requires_mfa: vault.detokenize_requires_mfa (default
#     true) and the principal did not authenticate with MFA;
#   - token_stays: the category the token stands for (its token_category)
#     is not one the principal reads in full: its default, after the
#     floors of the route's profiles, is stricter than allow. A card token
#     under pci (card numbers are masked for everyone) and an SSN token for
#     a sales rep (SSNs masked) stay tokens; a token of no known category
#     stays too.

detokenizing if {
	input.direction == "response"
	defaults.veil_token == "detokenize"
}

mfa_required := object.get(cfg, ["vault", "detokenize_requires_mfa"], true)

actions contains {"finding": f.id, "action": "allow", "rule": "detokenize_requires_mfa"} if {
	detokenizing
	mfa_required != false
	input.principal.mfa != true
	some f in input.findings
	f.category == "veil_token"
}

actions contains {"finding": f.id, "action": "allow", "rule": "token_stays"} if {
	detokenizing
	some f in input.findings
	f.category == "veil_token"
	not readable_in_full(object.get(f, "token_category", ""))
}

readable_in_full(category) if {
	category != ""
	defaults[category] in {"allow", "detokenize"}
}
