package veil_test

import data.veil

# query is a request by roles whose predicates are given as
# [field, clause, op, [categories]].
query(roles, purpose, preds) := object.union(message("request", roles, purpose, [], []), {"predicates": [
{"object": "Contact", "field": p[0], "clause": p[1], "op": p[2], "categories": p[3]} |
	some p in preds
]})

# The analyst reads SSNs redacted: a LIKE on SSN__c would spell one out.
test_predicate_on_a_redacted_field_is_refused if {
	d := decide(query(["analyst"], "analytics", [["SSN__c", "where", "like", ["us_ssn"]]]))
	not d.allow
	denied_by(d) == {"protected_field_predicate"}
	d.probes == 1
	{"kind": "protected_field_predicate", "severity": "medium"} in d.alerts
}

# The sales rep reads SSNs masked: an equality on a guess would confirm it.
test_equality_on_a_masked_field_is_refused if {
	d := decide(query(["sales_rep"], "sales", [["SSN__c", "where", "eq", ["us_ssn"]]]))
	denied_by(d) == {"protected_field_predicate"}
}

# A HubSpot CONTAINS_TOKEN on an e-mail the analyst reads masked.
test_hubspot_filter_on_a_masked_email_is_refused if {
	d := decide(query(["analyst"], "", [["email", "filter", "like", ["email"]]]))
	denied_by(d) == {"protected_field_predicate"}
}

# Sorting and grouping leak order and equality too.
test_sort_and_group_on_protected_fields_are_refused if {
	denied_by(decide(query(["marketing"], "", [["Phone", "order_by", "sort", ["phone"]]]))) == {"protected_field_predicate"}
	denied_by(decide(query(["analyst"], "", [["Email", "order_by", "sort", ["email"]]]))) == {"protected_field_predicate"}
	denied_by(decide(query(["analyst"], "", [["Email", "group_by", "group", ["email"]]]))) == {"protected_field_predicate"}
}

# What the principal reads in clear, they may search by.
test_predicate_on_a_clear_field_passes if {
	d := decide(query(["sales_rep"], "sales", [["Email", "where", "like", ["email"]], ["LastName", "order_by", "sort", ["person_name"]]]))
	d.allow
	d.probes == 0
	admin := decide(query(["admin"], "", [["SSN__c", "where", "eq", ["us_ssn"]]]))
	admin.allow
}

# A card number is masked for everyone on a pci route: nobody searches by it.
test_card_predicate_is_refused_even_for_admin if {
	d := decide(query(["admin"], "", [["Card__c", "where", "eq", ["credit_card"]]]))
	denied_by(d) == {"protected_field_predicate"}
}

# A role holding a readable row wins, as in the matrix.
test_most_permissive_role_reads_in_clear if {
	d := decide(query(["analyst", "sales_rep"], "", [["Email", "where", "eq", ["email"]]]))
	d.allow
}

# A presence test learns what a masked answer shows anyway.
test_presence_test_passes_unless_dropped if {
	d := decide(query(["analyst"], "", [["Phone", "where", "exists", ["phone"]]]))
	d.allow
	dropped := decide(query(["analyst"], "", [["Phone", "where", "exists", ["phone"]]])) with data.veil_config.matrix.response.analyst as {"*": {"phone": "drop"}}
	denied_by(dropped) == {"protected_field_predicate"}
}

# predicates.allow lets a role search a category it cannot read; the
# probe is still counted for the watch.
test_predicates_allow_lets_a_role_search if {
	d := decide(query(["analyst"], "", [["Email", "where", "eq", ["email"]]])) with data.veil_config.predicates.allow as {"analyst": ["email"]}
	d.allow
	d.probes == 1
	star := decide(query(["analyst"], "", [["SSN__c", "where", "eq", ["us_ssn"]]])) with data.veil_config.predicates.allow as {"analyst": ["*"]}
	star.allow
	other := decide(query(["analyst"], "", [["SSN__c", "where", "eq", ["us_ssn"]]])) with data.veil_config.predicates.allow as {"marketing": ["*"]}
	denied_by(other) == {"protected_field_predicate"}
}

# An entry category:op allows that use only: the default bundle lets the
# analyst sort by the names it reads masked, not filter by them.
test_predicates_allow_one_use if {
	decide(query(["analyst"], "", [["LastName", "order_by", "sort", ["person_name"]]])).allow
	denied_by(decide(query(["analyst"], "", [["LastName", "where", "like", ["person_name"]]]))) == {"protected_field_predicate"}
	denied_by(decide(query(["analyst"], "", [["LastName", "order_by", "sort", ["person_name"]], ["Email", "order_by", "sort", ["email"]]]))) == {"protected_field_predicate"}
}

# A role the response matrix does not know reads nothing in clear.
test_unknown_role_searches_nothing if {
	d := decide(query(["intern"], "", [["Email", "where", "eq", ["email"]]]))
	"protected_field_predicate" in denied_by(d)
}

# Predicates on a response are not the principal's: they are ignored.
test_predicates_bind_requests_only if {
	msg := object.union(query(["analyst"], "", [["SSN__c", "where", "like", ["us_ssn"]]]), {"direction": "response"})
	d := decide(msg)
	d.allow
	d.probes == 0
}

# On a hipaa route a principal without a PHI role reads identifiers
# masked, whatever the matrix says: no search by them.
test_hipaa_floor_protects_identifiers if {
	msg := query(["sales_rep"], "", [["Birthdate", "where", "eq", ["date_of_birth"]]])
	decide(msg).allow
	denied_by(decide_on("hipaa", msg)) == {"protected_field_predicate"}
}
