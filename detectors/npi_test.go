package detectors

import "testing"

var npiCases = []scanCase{
	{"NPI 1234567893", "Description", "us_npi"},
	{"NPI 1234567890", "Description", ""},
}

func TestUSNPI(t *testing.T) { checkScan(t, npiCases) }

func BenchmarkUSNPI(b *testing.B) { benchScan(b, npiCases) }
