package detectors

import "testing"

var hintsCases = []scanCase{
	{"1943-09-08", "Birthdate", "date_of_birth"},
	{"Ahmed Kowalski", "Name", "person_name"},
	{"00351yBMWXaSCrUZoL", "Id", ""},
	{"Acme Corp", "Name", "person_name"},
	{"2020-06-08T21:14:48.000+0000", "CreatedDate", ""},
}

func TestFieldHints(t *testing.T) { checkScan(t, hintsCases) }

func BenchmarkFieldHints(b *testing.B) { benchScan(b, hintsCases) }
