package detectors

import "testing"

var passportCases = []scanCase{
	{"passport no. 533380006 expires", "Description", "passport"},
	{"ticket 533380006", "Description", ""},
	// Positives: 6–9 letters and digits with at least five digits, after
	// "passport" or in a passport field.
	{"Passport: X1234567", "Description", "passport"},
	{"PASSPORT number AB1234567", "Description", "passport"},
	{"passport 123456", "Description", "passport"},
	{"Passport #L898902C3", "Description", "passport"},
	{"C03005988", "Passport_Number__c", "passport"},
	{"533380006", "passport", "passport"},
	{"AB1234567", "passportnumber", "passport"},
	// Negatives: five or ten characters, too few digits, no digits at all,
	// no context word.
	{"passport 12345", "Description", ""},
	{"passport 1234567890", "Description", ""},
	{"passport ABCDEF12", "Description", ""},
	{"passport ABC1234", "Description", ""},
	{"passport renewal pending", "Description", ""},
	{"533380006", "Description", ""},
	{"X1234567", "Description", ""},
	// Free-text traps.
	{"003Dn00000000AbcAA", "Passport_Number__c", ""},
	{"passport 1,234,567.89", "Description", ""},
	{"Passport photo taken 2024-01-31T10:00:00.000+0000", "Description", ""},
	{"Invoice INV-2024-000123", "Description", ""},
	{"v10.0.19045", "Description", ""},
}

func TestPassport(t *testing.T) { checkScan(t, passportCases) }

func BenchmarkPassport(b *testing.B) { benchScan(b, passportCases) }
