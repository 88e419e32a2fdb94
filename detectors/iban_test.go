package detectors

import "testing"

var ibanCases = []scanCase{
	{"FR87 3592 5634 1685 8783 1012 228", "Bank_IBAN__c", "iban"},
	{"Refund to IBAN FR0688360759838675650889957 approved.", "Description", "iban"},
	// Positives: mod-97 valid IBANs at each country's registered length,
	// grouped by four or unbroken, letters in the BBAN, lower case.
	{"DE89 3704 0044 0532 0130 00", "Description", "iban"},                  // DE 22
	{"Pay to GB82 WEST 1234 5698 7654 32 by Friday", "Description", "iban"}, // GB 22
	{"NL91ABNA0417164300", "Description", "iban"},                           // NL 18
	{"BE68539007547034", "Description", "iban"},                             // BE 16
	{"NO9386011117947", "Description", "iban"},                              // NO 15, the shortest
	{"CH9300762011623852957", "Description", "iban"},                        // CH 21
	{"ES91 2100 0418 4502 0005 1332", "Description", "iban"},                // ES 24
	{"IT60X0542811101000000123456", "Description", "iban"},                  // IT 27
	{"PL61 1090 1014 0000 0712 1981 2874", "Description", "iban"},           // PL 28
	{"MT84MALT011000012345MTLCAST001S", "Description", "iban"},              // MT 31
	{"BR1800360305000010009795493C1", "Description", "iban"},                // BR 29
	{"AT611904300234573201", "Description", "iban"},                         // AT 20
	{"IBAN: DE89370400440532013000.", "Description", "iban"},
	{"de89370400440532013000", "iban", "iban"},
	{"FR7630006000011234567890189", "IBAN__c", "iban"},
	// Negatives: wrong check digits, one character short or long, an
	// unknown country, a separator inside the country and check digits, glued to
	// letters. Separators anywhere after the check digits are accepted.
	{"DE88 3704 0044 0532 0130 00", "Description", ""},
	{"GB82 WEST 1234 5698 7654 33", "Description", ""},
	{"DE89 3704 0044 0532 0130 0", "Description", ""},
	{"DE89 3704 0044 0532 0130 000", "Description", ""},
	{"NL91ABNA041716430", "Description", ""},
	{"XX89370400440532013000", "Description", ""},
	{"US89370400440532013000", "Description", ""},
	{"DE 89 3704 0044 0532 0130 00", "Description", ""},
	{"DE8937 0400 4405 3201 3000", "Description", "iban"}, // odd grouping: mod-97 is the proof
	{"DE89-3704-0044-0532-0130-00", "Description", "iban"},
	{"XDE89370400440532013000", "Description", ""},
	{"DE89370400440532013000X", "Description", ""},
	// Free-text traps: letters-then-digits that are ids, not IBANs.
	{"003Dn00000000AbcAA", "Description", ""},
	{"0015g00000XyZ12AAB", "Description", ""},
	{"Version AB12 release", "Description", ""},
	{"Room AT11 9043", "Description", ""},
	{"Invoice INV-2024-000123", "Description", ""},
}

func TestIBAN(t *testing.T) { checkScan(t, ibanCases) }

func BenchmarkIBAN(b *testing.B) { benchScan(b, ibanCases) }
