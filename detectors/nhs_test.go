package detectors

import "testing"

var nhsCases = []scanCase{
	{"NHS number 943 476 5919", "Description", "uk_nhs"},
	{"9434765919", "nhs_number", "uk_nhs"},
	{"ref 9434765919", "Description", ""},
	{"NHS number 943 476 5918", "Description", "phone"},
}

func TestUKNHS(t *testing.T) { checkScan(t, nhsCases) }

func BenchmarkUKNHS(b *testing.B) { benchScan(b, nhsCases) }
