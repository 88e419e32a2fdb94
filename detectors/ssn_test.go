package detectors

import "testing"

var ssnCases = []scanCase{
	{"123-45-6789", "SSN__c", "us_ssn"},
	{"666-45-6789", "SSN__c", ""},
	{"123456789", "SSN__c", "us_ssn"},
	{"123456789", "Description", ""},
}

func TestSSN(t *testing.T) { checkScan(t, ssnCases) }

func BenchmarkSSN(b *testing.B) { benchScan(b, ssnCases) }
