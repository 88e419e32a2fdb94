package detectors

import "testing"

var mbiCases = []scanCase{
	{"MBI 1EG4-TE5-MK73", "Description", "us_mbi"},
	{"1EG4TE5MK73", "Description", "us_mbi"},
	{"1SG4TE5MK73", "Description", ""},
	// Positives: the CMS pattern C A AN N A AN N A A N N, letters or digits
	// in the AN positions, a dash after the 4th and/or 7th, lower case.
	{"Medicare MBI: 1EG4-TE5-MK73", "Description", "us_mbi"},
	{"1eg4-te5-mk73", "Description", "us_mbi"},
	{"1EG4TE5-MK73", "Description", "us_mbi"},
	{"5C92DW7AK48", "Description", "us_mbi"},
	{"9AA0AA0AA00", "Description", "us_mbi"},
	{"5C92-DW7-AK48", "MBI__c", "us_mbi"},
	{"3H77WX5YP91", "medicare_id", "us_mbi"},
	// Negatives: each barred letter (S L O I B Z) in an alpha position.
	{"1EL4TE5MK73", "Description", ""},
	{"1EG4TO5MK73", "Description", ""},
	{"1EG4TE5MI73", "Description", ""},
	{"1EG4TE5BK73", "Description", ""},
	{"1EG4TE5MZ73", "Description", ""},
	// Negatives: a leading 0 or letter, a digit where a letter belongs and
	// the reverse, ten or twelve characters, misplaced, doubled or space
	// separators, glued to letters.
	{"0EG4TE5MK73", "Description", ""},
	{"AEG4TE5MK73", "Description", ""},
	{"11G4TE5MK73", "Description", ""},
	{"1EGETE5MK73", "Description", ""},
	{"1EG41E5MK73", "Description", ""},
	{"1EG4TEEMK73", "Description", ""},
	{"1EG4TE5M173", "Description", ""},
	{"1EG4TE5MKA3", "Description", ""},
	{"1EG4TE5MK7", "Description", ""},
	{"1EG4TE5MK734", "Description", ""},
	{"1EG-4TE5-MK73", "Description", ""},
	{"1EG4--TE5-MK73", "Description", ""},
	{"1EG4 TE5 MK73", "Description", ""},
	{"X1EG4TE5MK73", "Description", ""},
	// Free-text traps.
	{"003Dn00000000AbcAA", "Description", ""},
	{"0015g00000XyZ12AAB", "Description", ""},
	{"v10.0.19045", "Description", ""},
	{"2024-01-31T10:00:00.000+0000", "Description", ""},
}

func TestUSMBI(t *testing.T) { checkScan(t, mbiCases) }

func BenchmarkUSMBI(b *testing.B) { benchScan(b, mbiCases) }
