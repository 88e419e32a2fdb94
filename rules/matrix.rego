package veil

import data.veil_config as cfg

# Actions from the most permissive to the most restrictive. A principal
# with several roles gets, per category, the most permissive of their
# actions: a role grants access, it never takes it away.
action_order := ["allow", "detokenize", "mask", "tokenize", "hash", "redact", "drop", "block"]

rank := {action: i | some i, action in action_order}

# For a Veil token the order of access differs in one place: detokenize
# shows more than allow, which leaves the token as it is. Roles combine on
# veil_token by this order, so a role that may detokenize still does when
# the principal also holds one that may not.
token_order := ["detokenize", "allow", "mask", "tokenize", "hash", "redact", "drop", "block"]

token_rank := {action: i | some i, action in token_order}

access_order(category) := token_order if category == "veil_token"

else := action_order

access_rank(category) := token_rank if category == "veil_token"

else := rank

default purpose := ""

purpose := input.purpose

# rows holds one row per role of the principal that the matrix knows for
# this direction: the role's "*" row overlaid with its row for the
# message's purpose (a category the purpose row names replaces the "*"
# entry). Looked up once per decision.
rows := [row |
	some role in input.principal.roles
	by_purpose := cfg.matrix[input.direction][role]
	row := object.union(object.get(by_purpose, "*", {}), object.get(by_purpose, purpose, {}))
]

# known_roles are the principal's roles that have a row for this direction.
known_roles := {role |
	some role in input.principal.roles
	cfg.matrix[input.direction][role]
}

# categories found in the message, and those Veil tokens found stand for
# (tokens.rego asks what the principal may read of them): the only
# per-finding work every decision does. The other scans of the findings run
# only when they can matter: a record opted out (consent.rego), a request
# (pci.rego), a card number (pci_cvv_with_card), a token (tokens.rego), a
# profile on (gdpr.rego).
categories := found | token_categories

found := {f.category | some f in input.findings}

token_categories := {f.token_category |
	"veil_token" in found
	some f in input.findings
	f.category == "veil_token"
	object.get(f, "token_category", "") != ""
}

# defaults maps every category found in the message to its action: redact,
# overridden by the matrix's answer, raised to the floors of the route's
# profiles (pci.rego, hipaa.rego).
defaults := object.union(matrix_or_redact, raised)

# floors map categories to the least restrictive action they allow; each
# lists only the categories whose matrix answer it raises.
floors := [pci_floor, hipaa_floor]

# raised holds the floored categories: the most restrictive of their
# floors and the matrix's answer. A floor only ever tightens.
raised[category] := action_order[max(ranks)] if {
	some minimum in floors
	some category, _ in minimum
	ranks := {rank[matrix_or_redact[category]]} | {rank[m[category]] | some m in floors}
}

# matrix_or_redact is the matrix's answer for every category found, redact
# for a category no row of the principal answers.
matrix_or_redact := object.union(fail_closed, matrix_defaults)

fail_closed := {category: "redact" | some category in categories}

# matrix_defaults holds, per category found, the most permissive action of
# the principal's rows. A row's action for a category is its entry for the
# category, else its "*" entry, else redact: a category the matrix does not
# name is redacted (fail closed). An action missing from action_order (a
# typo in data.json) ranks nowhere and so grants nothing; the data tests in
# decision_test.rego catch it before it ships.
matrix_defaults[category] := access_order(category)[min(ranks)] if {
	some category in categories
	by := access_rank(category)
	ranks := {by[object.get(row, category, object.get(row, "*", "redact"))] | some row in rows}
}
