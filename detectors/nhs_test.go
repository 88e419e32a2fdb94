package detectors

import "testing"

var nhsCases = []scanCase{
	{"NHS number 943 476 5919", "Description", "uk_nhs"},
	{"9434765919", "nhs_number", "uk_nhs"},
	{"ref 9434765919", "Description", ""},
	{"NHS number 943 476 5918", "Description", "phone"},
	// Positives: modulus 11 valid (including a check digit of 0 from a
	// remainder of 0), 3-3-4 by spaces or dashes or unbroken, after "NHS"
	// or in an NHS field.
	{"NHS No: 401-023-2137", "Description", "uk_nhs"},
	{"nhs: 4857773457", "Description", "uk_nhs"},
	{"Patient NHS 450 557 7104 seen", "Description", "uk_nhs"},
	{"NHS number 4000000020", "Description", "uk_nhs"},
	{"640 000 0003", "NHS_Number__c", "uk_nhs"},
	{"4010232137", "nhs", "uk_nhs"},
	// Negatives: a wrong check digit (also in an NHS field), a check digit
	// of 10 (never issued), nine or eleven digits, no context word.
	{"NHS number 9434765918", "Description", ""},
	{"9434765918", "nhs_number", ""},
	{"NHS number 1234567890", "Description", ""},
	{"NHS number 943476591", "Description", ""},
	{"NHS number 94347659190", "Description", ""},
	{"9434765919", "Description", ""},
	{"invoice 9434765919", "Description", ""},
	// Free-text traps, even after the context word.
	{"NHS 1700000000", "Description", ""},
	{"NHS number 2024-01-31T10:00:00.000+0000", "Description", ""},
	{"Created 1700000000123", "Description", ""},
	{"0015g00000XyZ12AAB", "Description", ""},
	{"$12345678.00", "Description", ""},
}

func TestUKNHS(t *testing.T) { checkScan(t, nhsCases) }

func BenchmarkUKNHS(b *testing.B) { benchScan(b, nhsCases) }
