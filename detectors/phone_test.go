package detectors

import "testing"

var phoneCases = []scanCase{
	{"(206) 328-3475", "Phone", "phone"},
	{"+33 1 11 58 97 37", "Phone", "phone"},
	{"+49 151 54141589", "MobilePhone", "phone"},
	{"020 7946 0958", "Phone", "phone"},
	{"+44 7700 900123", "Description", "phone"},
	{"4155550143", "MobilePhone", "phone"},                      // plain digits in a phone field
	{"Call me on 415-555-0143 after 5", "Description", "phone"}, // separated, in text
	{"tel: 4155550143", "Description", "phone"},                 // plain digits after a phone word
	{"+1 604 555 0143", "Description", "phone"},                 // Canada through +1
	{"+61 2 9374 4000", "Description", "phone"},                 // Australia
	{"011 44 20 7946 0958", "Phone", "phone"},                   // US international dialling prefix
	// Negatives: plain digits without a hint or word, timestamps, ISO
	// dates, amounts, Salesforce ids, SSN shapes, card numbers, too few or
	// too many digits, an unassigned country code.
	{"4155550143", "Description", ""},
	{"1700000000", "Description", ""},
	{"2020-06-08T21:14:48.000+0000", "CreatedDate", ""},
	{"Closed 2024-01-31", "Description", ""},
	{"Amount 10037.50 due", "Description", ""},
	{"003Dn00000000AbcAA", "Id", ""},
	{"123-45-6789", "Description", "us_ssn"}, // an SSN shape is never read as a phone
	{"555-0143", "Phone", "phone"},           // a local number, in a phone field: possible by length
	{"555-0143", "Description", ""},          // the same without the field
	{"+1 415 555 0143 0143 01", "Description", ""},
	{"+999 123 456 789", "Description", ""},
}

func TestPhone(t *testing.T) { checkScan(t, phoneCases) }

func BenchmarkPhone(b *testing.B) { benchScan(b, phoneCases) }
