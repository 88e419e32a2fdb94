package veil_test

import data.veil
import data.veil_config as cfg

# An upload of a file to Salesforce: a multipart ContentVersion create.
upload(body) := with_body(
	object.union(write(["sales_rep"], []), {
		"method": "POST",
		"path": "/services/data/v62.0/sobjects/ContentVersion",
		"operation": "create",
		"object": "ContentVersion",
	}),
	body,
)

# A file download from Salesforce: ContentVersion/<id>/VersionData.
download(body) := with_body(
	object.union(response(["sales_rep"], "", []), {
		"path": "/services/data/v62.0/sobjects/ContentVersion/068000000000001AAA/VersionData",
		"operation": "retrieve",
		"object": "ContentVersion",
	}),
	body,
)

# An exception a security team could configure: binary attachments may
# be uploaded unread on the salesforce route.
attachments := [{"route": "salesforce", "object": "ContentVersion", "operation": "create", "formats": ["multipart", "binary"]}]

test_request_inspected_json_passes if {
	d := decide(write(["sales_rep"], [["Email", "email"]]))
	d.allow
	not "uninspected_body" in denied_by(d)
	d.rules == set()
}

test_no_body_passes if {
	every msg in [
		with_body(write(["sales_rep"], []), {"format": "none", "inspected": true}),
		with_body(response(["sales_rep"], "", []), {"format": "none", "inspected": true}),
	] {
		d := decide(msg)
		d.allow
		d.rules == set()
	}
}

test_request_uninspected_multipart_denied if {
	d := decide(upload(uninspected("multipart", "unsupported_format")))
	d.allow == false
	d.deny == {{
		"rule": "uninspected_body",
		"message": "Veil could not inspect this body (unsupported_format); writes to the CRM must be inspectable.",
	}}
	d.alerts == {{"kind": "uninspected_body", "severity": "high"}}
	d.rules == {"uninspected_body"}
}

# Every format and reason Veil can report is refused on a write.
test_request_uninspected_denied_whatever_the_format if {
	every format in ["json", "xml", "soap", "csv", "form", "multipart", "text", "binary"] {
		every reason in veil.body_reasons {
			d := decide(with_body(write(["admin"], []), uninspected(format, reason)))
			denied_by(d) == {"uninspected_body"}
			d.deny == {{
				"rule": "uninspected_body",
				"message": sprintf("Veil could not inspect this body (%s); writes to the CRM must be inspectable.", [reason]),
			}}
		}
	}
}

# download is a response's business: a request claiming it is still refused.
test_request_download_flag_ignored if {
	d := decide(upload(object.union(uninspected("binary", "binary_content"), {"download": true})))
	denied_by(d) == {"uninspected_body"}
	not "uninspected_download" in d.rules
}

test_request_allowed_by_exception if {
	d := decide(upload(uninspected("multipart", "binary_content"))) with data.veil_config.uninspected.request_allow as attachments
	d.allow
	d.deny == set()
	d.alerts == set()
	d.rules == {"uninspected_upload"}

	binary := decide(upload(uninspected("binary", "over_limit"))) with data.veil_config.uninspected.request_allow as attachments
	binary.allow
}

# An exception allows exactly what it names.
test_request_exception_is_narrow if {
	every msg in [
		on("hubspot", upload(uninspected("multipart", "binary_content"))), # another route
		upload(uninspected("xml", "unsupported_charset")), # another format
		object.union(upload(uninspected("multipart", "binary_content")), {"object": "Contact"}), # another object
		object.union(upload(uninspected("multipart", "binary_content")), {"operation": "update"}), # another operation
		object.remove(upload(uninspected("multipart", "binary_content")), ["body"]), # no body description
	] {
		d := decide(msg) with data.veil_config.uninspected.request_allow as attachments
		denied_by(d) == {"uninspected_body"}
		not "uninspected_upload" in d.rules
	}

	# reasons, when given, must name the message's.
	encrypted_only := [object.union(attachments[0], {"reasons": ["encrypted"]})]
	over := decide(upload(uninspected("binary", "over_limit"))) with data.veil_config.uninspected.request_allow as encrypted_only
	denied_by(over) == {"uninspected_body"}
	sealed := decide(upload(uninspected("binary", "encrypted"))) with data.veil_config.uninspected.request_allow as encrypted_only
	sealed.allow

	# Either object or operation is enough; an entry naming neither (a
	# whole route), no route or no formats covers nothing.
	by_object := [{"route": "salesforce", "object": "ContentVersion", "formats": ["binary"]}]
	decide(upload(uninspected("binary", "binary_content"))).allow with data.veil_config.uninspected.request_allow as by_object
	by_operation := [{"route": "salesforce", "operation": "create", "formats": ["binary"]}]
	decide(upload(uninspected("binary", "binary_content"))).allow with data.veil_config.uninspected.request_allow as by_operation
	every broken in [
		{"route": "salesforce", "formats": ["binary"]},
		{"object": "ContentVersion", "formats": ["binary"]},
		{"route": "salesforce", "object": "ContentVersion"},
	] {
		b := decide(upload(uninspected("binary", "binary_content"))) with data.veil_config.uninspected.request_allow as [broken]
		denied_by(b) == {"uninspected_body"}
	}
}

# An exception never covers a response: only download does.
test_request_exception_not_for_responses if {
	allow_any := [{"route": "salesforce", "object": "ContentVersion", "formats": ["binary"]}]
	d := decide(download(uninspected("binary", "binary_content"))) with data.veil_config.uninspected.request_allow as allow_any
	denied_by(d) == {"uninspected_body"}
}

test_response_download_passes_unread if {
	d := decide(download(object.union(uninspected("binary", "binary_content"), {"download": true})))
	d.allow
	d.deny == set()
	d.alerts == set()
	d.rules == {"uninspected_download"}

	# An inspected download is an ordinary response.
	read := decide(download({"format": "text", "inspected": true, "download": true}))
	read.allow
	read.rules == set()
}

# A download is still refused to a principal the policy refuses anyway.
test_response_download_keeps_other_denials if {
	msg := object.union(download(object.union(uninspected("binary", "binary_content"), {"download": true})), {"principal": {"id": "u-1", "roles": ["intern"], "mfa": false, "ip": "10.0.0.1"}})
	d := decide(msg)
	denied_by(d) == {"unknown_role"}
	"uninspected_download" in d.rules
}

test_response_uninspected_not_download_denied if {
	every body in [
		uninspected("binary", "binary_content"),
		object.union(uninspected("binary", "binary_content"), {"download": false}),
		uninspected("json", "over_limit"),
	] {
		d := decide(download(body))
		d.allow == false
		d.deny == {{
			"rule": "uninspected_body",
			"message": sprintf("Veil could not inspect this body (%s); only a file download the route declares may pass unread.", [body.reason]),
		}}
		d.alerts == {{"kind": "uninspected_body", "severity": "medium"}}
		not "uninspected_download" in d.rules
	}
}

# Fail closed: an input without body (a caller from before it), and the
# zero value a Go caller that never fills it sends, are not inspected.
test_input_without_body_denied if {
	every msg in [write(["sales_rep"], [["Email", "email"]]), response(["sales_rep"], "", ["email"])] {
		d := decide(object.remove(msg, ["body"]))
		d.allow == false
		denied_by(d) == {"uninspected_body"}
		every r in d.deny {
			startswith(r.message, "Veil could not inspect this body (the input does not describe it); ")
		}
		zero := decide(with_body(msg, {"format": "", "inspected": false}))
		denied_by(zero) == {"uninspected_body"}
		every r in zero.deny {
			startswith(r.message, "Veil could not inspect this body (the input does not describe it); ")
		}
		partial := decide(with_body(msg, {"format": "json"}))
		denied_by(partial) == {"uninspected_body"}
	}
}

# Only inspected == true counts: a "none" body must say it too, and a
# non-boolean is not true.
test_only_inspected_true_counts if {
	every body in [{"format": "none", "inspected": false}, {"format": "json", "inspected": "true"}] {
		denied_by(decide(with_body(write(["admin"], []), body))) == {"uninspected_body"}
	}
}

# A reason that is not one of the codes never reaches the message.
test_unknown_reason_not_echoed if {
	d := decide(with_body(write(["admin"], []), uninspected("binary", "jane.doe@example.com")))
	d.deny == {{
		"rule": "uninspected_body",
		"message": "Veil could not inspect this body (unknown); writes to the CRM must be inspectable.",
	}}
	no_reason := decide(with_body(write(["admin"], []), {"format": "binary", "inspected": false}))
	every r in no_reason.deny {
		contains(r.message, "(unknown)")
	}
}

test_unknown_direction_uninspected_denied if {
	d := decide(with_body(object.union(write(["admin"], []), {"direction": "sideways"}), uninspected("binary", "binary_content")))
	denied_by(d) == {"unknown_direction", "unknown_role", "uninspected_body"}
	{"kind": "uninspected_body", "severity": "high"} in d.alerts
}

test_uninspected_severity if {
	veil.deny_severity.uninspected_body == "high"
	veil.deny_severity.uninspected_body == "high" with input as upload(uninspected("binary", "binary_content"))
	veil.deny_severity.uninspected_body == "medium" with input as download(uninspected("binary", "binary_content"))
}

# The shipped bundle allows no uninspected write.
test_data_no_uninspected_exception_by_default if {
	cfg.uninspected.request_allow == []
}

# Every request_allow entry a security team adds is well formed: a named
# route, known formats (never none), object or operation, known reasons.
test_data_uninspected_request_allow if {
	every entry in cfg.uninspected.request_allow {
		valid_request_allow(entry)
	}
	valid_request_allow(attachments[0])
	valid_request_allow(object.union(attachments[0], {"reasons": ["encrypted"]}))
	every bad in [
		{"route": "*", "object": "ContentVersion", "formats": ["binary"]},
		{"route": "salesforce", "formats": ["binary"]},
		{"route": "salesforce", "object": "ContentVersion", "formats": []},
		{"route": "salesforce", "object": "ContentVersion", "formats": ["none"]},
		{"route": "salesforce", "object": "ContentVersion", "formats": ["binary"], "path": "/files/*"},
		{"route": "salesforce", "object": "ContentVersion", "formats": ["binary"], "reasons": ["lazy"]},
	] {
		not valid_request_allow(bad)
	}
}

valid_request_allow(entry) if {
	every key, _ in entry {
		key in {"route", "object", "operation", "formats", "reasons"}
	}
	is_string(entry.route)
	not entry.route in {"", "*"}
	count({k | some k in ["object", "operation"]; is_string(entry[k])}) > 0
	is_array(entry.formats)
	count(entry.formats) > 0
	every format in entry.formats {
		format in {"json", "xml", "soap", "csv", "form", "multipart", "text", "binary"}
	}
	every reason in object.get(entry, "reasons", []) {
		reason in veil.body_reasons
	}
}
