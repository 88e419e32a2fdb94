package detectors

import "testing"

var passportCases = []scanCase{
	{"passport no. 533380006 expires", "Description", "passport"},
	{"ticket 533380006", "Description", ""},
}

func TestPassport(t *testing.T) { checkScan(t, passportCases) }

func BenchmarkPassport(b *testing.B) { benchScan(b, passportCases) }
