package veil

import data.veil_config as cfg

# Actions from the most permissive to the most restrictive. A principal
# with several roles gets, per category, the most permissive of their
# actions: a role grants access, it never takes it away.
action_order := ["allow", "detokenize", "mask", "tokenize", "hash", "redact", "drop", "block"]

rank := {action: i | some i, action in action_order}

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

# categories found in the message: the only per-finding work the default
# decision needs.
categories := {f.category | some f in input.findings}

# defaults maps every category found in the message to its action: redact,
# overridden by the matrix's answer, overridden by the PCI floor (pci.rego).
defaults := object.union(object.union(fail_closed, matrix_defaults), pci_floor)

fail_closed := {category: "redact" | some category in categories}

# matrix_defaults holds, per category found, the most permissive action of
# the principal's rows. A row's action for a category is its entry for the
# category, else its "*" entry, else redact: a category the matrix does not
# name is redacted (fail closed). An action missing from action_order (a
# typo in data.json) ranks nowhere and so grants nothing; the data tests in
# decision_test.rego catch it before it ships.
matrix_defaults[category] := action_order[min(ranks)] if {
	some category in categories
	ranks := {rank[object.get(row, category, object.get(row, "*", "redact"))] | some row in rows}
}
