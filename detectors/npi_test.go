package detectors

import "testing"

var npiCases = []scanCase{
	{"NPI 1234567893", "Description", "us_npi"},
	{"NPI 1234567890", "Description", ""},
	// Positives: ten digits starting 1 or 2, Luhn-valid with the 80840
	// prefix, after "NPI" / "provider id" or in an NPI field.
	{"NPI: 1999999992", "Description", "us_npi"},
	{"npi 2000000002", "Description", "us_npi"},
	{"Provider ID 2987654326", "Description", "us_npi"},
	{"1500000009", "NPI__c", "us_npi"},
	{"1000000004", "npi", "us_npi"},
	// Negatives: valid with 80840 but starting 3 or 9; Luhn-valid only
	// without the prefix; a wrong check digit in an NPI field; nine or
	// eleven digits; separators; no context word.
	{"NPI 3234567899", "Description", ""},
	{"NPI 9876543213", "Description", ""},
	{"NPI 1234567897", "Description", ""},
	{"1234567890", "NPI__c", ""},
	{"NPI 123456789", "Description", ""},
	{"NPI 12345678933", "Description", ""},
	{"NPI 123-456-7893", "Description", ""},
	{"1234567893", "Description", ""},
	// Free-text traps.
	{"NPI 1700000000", "Description", ""},
	{"Created 1700000000123", "Description", ""},
	{"2024-01-31T10:00:00.000+0000", "Description", ""},
	{"0015g00000XyZ12AAB", "Description", ""},
	{"$12345678.00", "Description", ""},
}

func TestUSNPI(t *testing.T) { checkScan(t, npiCases) }

func BenchmarkUSNPI(b *testing.B) { benchScan(b, npiCases) }
