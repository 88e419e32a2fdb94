package detectors

import "testing"

var dobCases = []scanCase{
	{"DOB: 1985-04-12", "Description", "date_of_birth"},
	{"born 12/31/1985 in Leeds", "Description", "date_of_birth"},
	{"Date of birth 31.12.1985", "Description", "date_of_birth"},
	{"d.o.b 7/4/1990", "Description", "date_of_birth"},
	{"1985-04-12", "Birthdate", "date_of_birth"}, // the field says so: FieldHint, whole value
	// Negatives: dates without a birth word, impossible or future dates.
	{"2020-06-08T21:14:48.000+0000", "CreatedDate", ""},
	{"Closed on 2024-01-31 after renewal", "Description", ""},
	{"DOB: 1985-02-30", "Description", ""},
	{"DOB: 13/13/1985", "Description", ""},
	{"born 1850-01-01", "Description", ""},
	{"DOB: 2999-01-01", "Description", ""},
	{"reborn 1985-04-12", "Description", ""}, // not a word of its own
}

func TestDateOfBirth(t *testing.T) { checkScan(t, dobCases) }

func BenchmarkDateOfBirth(b *testing.B) { benchScan(b, dobCases) }
