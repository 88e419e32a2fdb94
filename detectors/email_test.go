package detectors

import "testing"

var emailCases = []scanCase{
	{"jane.doe@example.com", "Email", "email"},
	// Positives: sub-addressing, subdomains, upper case, hyphens and
	// underscores, addresses wrapped in punctuation or a mailto: link.
	{"jane.doe+crm@mail.example.co.uk", "Email", "email"},
	{"first-last@sub-domain.example.io", "hs_email", "email"},
	{"o'reilly@example.com", "work_email", "email"},
	{"Contact: <j.smith@example.org>", "Description", "email"},
	{"mailto:jane@example.com", "Description", "email"},
	{"Reach me at Jane.Doe@Example.COM.", "Description", "email"},
	{"user_name@example-mail.com today", "Description", "email"},
	{"a@b.co", "Description", "email"},
	// Negatives: handles, no domain dot, one-letter or numeric TLDs,
	// package@version, doubled '@' or dots, amounts and spelled-out text.
	{"@jane_doe on Twitter", "Description", ""},
	{"user@localhost", "Description", ""},
	{"user@example.c", "Description", ""},
	{"foo@bar.123", "Description", ""},
	{"npm i lodash@4.17.21", "Description", ""},
	{"user@@example.com", "Description", ""},
	{"john@example..com", "Description", ""},
	{"@example.com", "Description", ""},
	{"3 items @ $5.00", "Description", ""},
	{"name at example dot com", "Description", ""},
	{"not provided", "Email", ""},
}

func TestEmail(t *testing.T) { checkScan(t, emailCases) }

func BenchmarkEmail(b *testing.B) { benchScan(b, emailCases) }
