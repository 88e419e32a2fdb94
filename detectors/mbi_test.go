package detectors

import "testing"

var mbiCases = []scanCase{
	{"MBI 1EG4-TE5-MK73", "Description", "us_mbi"},
	{"1EG4TE5MK73", "Description", "us_mbi"},
	{"1SG4TE5MK73", "Description", ""},
}

func TestUSMBI(t *testing.T) { checkScan(t, mbiCases) }

func BenchmarkUSMBI(b *testing.B) { benchScan(b, mbiCases) }
