package detectors

import "testing"

var sinCases = []scanCase{
	{"SIN 130 692 544", "Description", "ca_sin"},
	{"SIN 130 692 545", "Description", ""},
	{"046454286", "Description", ""},
	{"SIN 046 454 286", "Description", "phone"},
	// Positives: Luhn-valid, not starting 0 or 8 (9 is a temporary
	// resident's), 3-3-3 by spaces or dashes or unbroken, after "SIN" /
	// "social insurance" or in a SIN field.
	{"SIN 130692544", "Description", "ca_sin"},
	{"Social Insurance Number: 272-828-286", "Description", "ca_sin"},
	{"sin 546 454 281", "Description", "ca_sin"},
	{"900900903", "SIN__c", "ca_sin"},
	{"712 345 677", "social_insurance_number", "ca_sin"},
	{"464542869", "sin", "ca_sin"},
	// Negatives: Luhn failures (also in a SIN field), Luhn-valid but
	// starting 0 or 8, eight or ten digits, dots, no context word, a
	// negative context word.
	{"130692545", "SIN__c", ""},
	{"SIN 800000002", "Description", ""},
	{"SIN 046454286", "Description", ""},
	{"SIN 13069254", "Description", ""},
	{"SIN 1306925440", "Description", ""},
	{"SIN 130.692.544", "Description", ""},
	{"130692544", "Description", ""},
	{"order 130692544", "Description", ""},
	// Free-text traps.
	{"SIN 1700000000", "Description", ""},
	{"2024-01-31T10:00:00.000+0000", "Description", ""},
	{"003Dn00000000AbcAA", "Description", ""},
	{"Total 1,234,567.89 due", "Description", ""},
}

func TestCASIN(t *testing.T) { checkScan(t, sinCases) }

func BenchmarkCASIN(b *testing.B) { benchScan(b, sinCases) }
