package detectors

import "testing"

var ssnCases = []scanCase{
	{"123-45-6789", "SSN__c", "us_ssn"},
	{"666-45-6789", "SSN__c", ""},
	{"123456789", "SSN__c", "us_ssn"},
	{"123456789", "Description", ""},
	// Positives: AAA-GG-SSSS with dashes or spaces anywhere; nine plain
	// digits after a context word or in an SSN field.
	{"123-45-6789", "Description", "us_ssn"},
	{"Employee SSN: 123-45-6789 verified", "Description", "us_ssn"},
	{"078 05 1120", "Description", "us_ssn"},
	{"ssn 123456789", "Description", "us_ssn"},
	{"SSN:123456789", "Description", "us_ssn"},
	{"Social Security Number 123456789", "Description", "us_ssn"},
	{"soc sec 123456789", "Description", "us_ssn"},
	{"SS# 001010001", "Description", "us_ssn"}, // lowest issued area, group and serial
	{"665-12-3456", "SSN__c", "us_ssn"},        // the area just below 666
	{"899-99-9999", "social_security_number", "us_ssn"},
	{"123 45 6789", "us_ssn", "us_ssn"},
	// Negatives: never-issued area 000, 666, 900–999, group 00, serial
	// 0000, separated or in an SSN field.
	{"000-12-3456", "Description", ""},
	{"666-12-3456", "Description", ""},
	{"900-12-3456", "Description", ""},
	{"999-45-6789", "Description", ""},
	{"123-00-4567", "Description", ""},
	{"123-45-0000", "Description", ""},
	{"000123456", "SSN__c", ""},
	{"123004567", "SSN__c", ""},
	{"123450000", "SSN__c", ""},
	{"900123456", "SSN__c", ""},
	{"ssn 000123456", "Description", ""},
	// Negatives: not the 3-2-4 shape, wrong length, glued to letters, or
	// nine plain digits with no context ("ssn" inside "Lesson" is none).
	{"12-345-6789", "Description", ""},
	{"123-456-789", "Description", ""},
	{"123-45 6789", "Description", ""},
	{"123.45.6789", "Description", "us_ssn"}, // any separator run, the same in both gaps
	{"123-45-67890", "Description", ""},
	{"123-45-678", "Description", ""},
	{"SSN 1234567890", "Description", ""},
	{"SSN 12345678", "Description", ""},
	{"A123-45-6789", "Description", ""},
	{"123-45-6789B", "Description", ""},
	{"Lesson 123456789", "Description", ""},
	// Free-text traps.
	{"1700000000", "Description", ""},
	{"2024-01-31T10:00:00.000+0000", "Description", ""},
	{"003Dn00000000AbcAA", "Description", ""},
	{"Total 1,234,567.89 due", "Description", ""},
	{"ZIP 94105-1234", "Description", ""},
	{"upgraded to version 1.2.3.4", "Description", ""},
}

func TestSSN(t *testing.T) { checkScan(t, ssnCases) }

func BenchmarkSSN(b *testing.B) { benchScan(b, ssnCases) }
