package detectors

import "testing"

var sinCases = []scanCase{
	{"SIN 130 692 544", "Description", "ca_sin"},
	{"SIN 130 692 545", "Description", ""},
	{"046454286", "Description", ""},
	{"SIN 046 454 286", "Description", "phone"},
}

func TestCASIN(t *testing.T) { checkScan(t, sinCases) }

func BenchmarkCASIN(b *testing.B) { benchScan(b, sinCases) }
