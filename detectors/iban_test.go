package detectors

import "testing"

var ibanCases = []scanCase{
	{"FR87 3592 5634 1685 8783 1012 228", "Bank_IBAN__c", "iban"},
	{"Refund to IBAN FR0688360759838675650889957 approved.", "Description", "iban"},
}

func TestIBAN(t *testing.T) { checkScan(t, ibanCases) }

func BenchmarkIBAN(b *testing.B) { benchScan(b, ibanCases) }
