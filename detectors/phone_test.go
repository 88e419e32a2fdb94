package detectors

import "testing"

var phoneCases = []scanCase{
	{"(206) 328-3475", "Phone", "phone"},
	{"+33 1 11 58 97 37", "Phone", "phone"},
	{"+49 151 54141589", "MobilePhone", "phone"},
	{"020 7946 0958", "Phone", "phone"},
	{"+44 7700 900123", "Description", "phone"},
}

func TestPhone(t *testing.T) { checkScan(t, phoneCases) }

func BenchmarkPhone(b *testing.B) { benchScan(b, phoneCases) }
