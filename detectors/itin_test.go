package detectors

import "testing"

var itinCases = []scanCase{
	{"ITIN 912-70-1234", "Description", "us_itin"},
	{"912-45-1234", "Description", ""},
	{"912701234", "Description", ""},
	{"912701234", "itin", "us_itin"},
}

func TestUSITIN(t *testing.T) { checkScan(t, itinCases) }

func BenchmarkUSITIN(b *testing.B) { benchScan(b, itinCases) }
