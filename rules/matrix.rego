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

# defaults maps every category found in the message to its action.
defaults := {category: category_action(category) | some category in categories}

category_action(category) := pci_floor(category, most_permissive({row_action(row, category) | some row in rows}))

# row_action is the row's action for a category, else the row's "*" entry,
# else redact: a category the matrix does not name is redacted (fail closed).
row_action(row, category) := object.get(row, category, object.get(row, "*", "redact"))

# most_permissive picks the lowest-ranked action. An action missing from
# action_order (a typo in data.json) is returned as is: the engine rejects
# the decision and Veil fails closed instead of guessing.
most_permissive(actions) := action if {
	some action in actions
	not action in action_order
} else := action_order[min({rank[action] | some action in actions})] if {
	count(actions) > 0
} else := "redact"
