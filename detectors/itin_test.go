package detectors

import "testing"

var itinCases = []scanCase{
	{"ITIN 912-70-1234", "Description", "us_itin"},
	{"912-45-1234", "Description", ""},
	{"912701234", "Description", ""},
	{"912701234", "itin", "us_itin"},
	// Positives: 9XX-GG-SSSS at the edges of each IRS group range (50–65,
	// 70–88, 90–92, 94–99), dashes or spaces; plain digits after "itin" /
	// "taxpayer id" or in an ITIN field.
	{"912-50-1234", "Description", "us_itin"},
	{"ITIN 912-65-4321", "Description", "us_itin"},
	{"900-70-0001", "Description", "us_itin"},
	{"999-88-9999", "Description", "us_itin"},
	{"ITIN: 945-90-1234", "Description", "us_itin"},
	{"945 92 1234", "Description", "us_itin"},
	{"945-94-1234", "Description", "us_itin"},
	{"945-99-1234", "Description", "us_itin"},
	{"itin 912781234", "Description", "us_itin"},
	{"Taxpayer ID 912941234", "Description", "us_itin"},
	{"912-78-1234", "ITIN__c", "us_itin"},
	// Negatives: groups outside the ranges (and 9xx is no SSN either).
	{"912-49-1234", "Description", ""},
	{"912-66-1234", "Description", ""},
	{"912-69-1234", "Description", ""},
	{"912-89-1234", "Description", ""},
	{"ITIN 912-93-1234", "Description", ""},
	{"912-00-1234", "Description", ""},
	// Negatives: not starting with 9 (separated it is an SSN), wrong
	// length or shape, plain digits without context.
	{"812701234", "itin", ""},
	{"812-70-1234", "Description", "us_ssn"},
	{"91270123", "ITIN", ""},
	{"9127012345", "ITIN", ""},
	{"ITIN 912-70-123", "Description", ""},
	{"912-100-1234", "Description", ""},
	{"912-70 1234", "Description", ""},
	{"ITIN 1700000000", "Description", ""},
	{"2024-01-31T10:00:00.000+0000", "Description", ""},
	{"Invoice INV-2024-000123", "Description", ""},
}

func TestUSITIN(t *testing.T) { checkScan(t, itinCases) }

func BenchmarkUSITIN(b *testing.B) { benchScan(b, itinCases) }
