# Bodies Veil could not read. Every body is either inspected by the
# detectors, or the policy decides about it knowing it was not:
# input.body says which (README.md, "Bodies Veil could not read").
#
# - A request whose body was not inspected is refused: what a client
#   writes to the CRM must be inspectable. The security team may allow a
#   named upload knowingly (veil_config.uninspected.request_allow).
# - A response whose body was not inspected passes only on a path the
#   route declares a file download (input.body.download).
# - An input without body (a caller from before it) is not inspected:
#   fail closed.
package veil

import data.veil_config as cfg

# body_reasons are the stable codes Veil gives for a body it could not
# read. Only these reach a deny message; anything else reads "unknown".
body_reasons := {"binary_content", "unsupported_charset", "encrypted", "over_limit", "unsupported_format"}

# body_inspected holds when the detectors read every byte of the body, or
# there was none ({"format": "none", "inspected": true}).
body_inspected if input.body.inspected == true

# uninspected_reason is what the deny message says of why: the code, for
# a known one; for an input without body or without its format (a Go
# caller that never filled it), that the input does not say.
default uninspected_reason := "unknown"

uninspected_reason := "the input does not describe it" if body_format == ""

uninspected_reason := input.body.reason if {
	body_format != ""
	input.body.reason in body_reasons
}

body_format := object.get(input, ["body", "format"], "")

uninspected_messages := {
	"request": "writes to the CRM must be inspectable.",
	"response": "only a file download the route declares may pass unread.",
}

deny contains {
	"rule": "uninspected_body",
	"message": sprintf("Veil could not inspect this body (%s); %s", [uninspected_reason, object.get(uninspected_messages, input.direction, "the message is refused.")]),
} if {
	not body_inspected
	not uninspected_download
	not uninspected_upload
}

# uninspected_download: a response the route declares a file download
# passes unread. It raises nothing (the audit trail marks it
# passthrough) but shows in rules, to explain why it passed.
uninspected_download if {
	input.direction == "response"
	not body_inspected
	input.body.download == true
}

rules contains "uninspected_download" if uninspected_download

# uninspected_upload: a request the security team allows unread, by an
# entry of veil_config.uninspected.request_allow naming its route, its
# formats and at least its object or its operation.
uninspected_upload if {
	input.direction == "request"
	not body_inspected
	some entry in request_allow
	upload_allowed_by(entry)
}

rules contains "uninspected_upload" if uninspected_upload

default request_allow := []

request_allow := cfg.uninspected.request_allow

# upload_allowed_by holds when entry names the message's route and body
# format, and each of object, operation and reasons it gives matches. A
# member the entry leaves out matches anything, but an entry naming
# neither object nor operation matches nothing: it would cover a whole
# route. The path is deliberately not matched: the decision cache leaves
# it out of its key (decision_cache.ignore).
upload_allowed_by(entry) if {
	entry.route == input.route
	input.body.format in entry.formats
	count({k | some k in ["object", "operation"]; entry[k]}) > 0
	object.get(entry, "object", input.object) == input.object
	object.get(entry, "operation", input.operation) == input.operation
	body_reason in object.get(entry, "reasons", [body_reason])
}

# body_reason is input.body.reason, "" when the input gives none.
body_reason := object.get(input, ["body", "reason"], "")

# The severity of uninspected_body in deny_severity: a write the CRM would
# store unread is high, a read is medium.
default uninspected_severity := "high"

uninspected_severity := "medium" if input.direction == "response"
