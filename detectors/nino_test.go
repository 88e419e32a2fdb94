package detectors

import "testing"

var ninoCases = []scanCase{
	{"NI number AB 12 34 56 C on file", "Description", "uk_nino"},
	{"QQ123456C", "Description", ""},
	{"GB123456A", "Description", ""},
	{"AB123456E", "Description", ""},
	// Positives: allowed prefixes, suffix A–D, digits unbroken, paired or
	// as one group, lower case, a space before the suffix.
	{"AB123456C", "Description", "uk_nino"},
	{"NINO: JG103759A", "Description", "uk_nino"},
	{"ce 12 34 56 d", "Description", "uk_nino"},
	{"NI number AB 123456 B on file", "Description", "uk_nino"},
	{"NI AB123456 A", "Description", "uk_nino"},
	{"ZY 98 76 54 C", "Description", "uk_nino"},
	{"AB123456D", "NI_Number__c", "uk_nino"},
	{"OA123456A", "nino", "uk_nino"}, // O is barred only as the second letter
	// Negatives: the unallocated prefixes.
	{"BG123456A", "Description", ""},
	{"NK123456A", "Description", ""},
	{"KN123456A", "Description", ""},
	{"TN123456A", "Description", ""},
	{"NT123456A", "Description", ""},
	{"ZZ123456A", "Description", ""},
	// Negatives: D, F, I, Q, U, V in either letter; O second.
	{"DA123456A", "Description", ""},
	{"FA123456A", "Description", ""},
	{"IA123456A", "Description", ""},
	{"UA123456A", "Description", ""},
	{"VA123456A", "Description", ""},
	{"AD123456A", "Description", ""},
	{"AQ123456A", "Description", ""},
	{"AO123456A", "Description", ""},
	// Negatives: five or seven digits, no suffix, one prefix letter, glued
	// to letters, odd spacing, dashes.
	{"AB12345C", "Description", ""},
	{"AB1234567C", "Description", ""},
	{"AB123456", "Description", ""},
	{"A123456C", "Description", ""},
	{"XAB123456C", "Description", ""},
	{"AB123456CD", "Description", ""},
	{"AB 1 23456 C", "Description", ""},
	{"AB-12-34-56-C", "Description", ""},
	// Free-text traps.
	{"003Dn00000000AbcAA", "Description", ""},
	{"0015g00000XyZ12AAB", "Description", ""},
	{"1700000000", "Description", ""},
	{"Invoice INV-2024-000123", "Description", ""},
}

func TestUKNINO(t *testing.T) { checkScan(t, ninoCases) }

func BenchmarkUKNINO(b *testing.B) { benchScan(b, ninoCases) }
