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

// Dotted quads are IPv4 addresses, never phones, wherever they are; dates
// in a phone's shape are dates; a run of digits too long for one number
// is read once, its tail the one candidate.
var phoneIPCases = []scanCase{
	{"52.85.210.141", "Description", "ip_address"},
	{"login from 52.85.210.141 at 9am", "Description", "ip_address"},
	{"52.85.210.141", "Last_Login_IP__c", "ip_address"},
	{"52.85.210.141", "ClientIp", "ip_address"},
	{"52.85.210.141:443", "Description", "ip_address"},
	{"::ffff:52.85.210.141", "Description", "ip_address"},
	{"52.85.210.141", "Phone", "ip_address"}, // not a phone even where one is expected
	{"(52.85.210.141)", "Description", "ip_address"},
	{"206.555.0143", "Description", "phone"}, // three parts: a phone
	{"06.12.34.56.78", "Phone", "phone"},     // five parts: a French number
	{"DOB 02.01.1960", "Description", "date_of_birth"},
	{"02.01.1960", "Phone", ""},                           // a date, not a number
	{"Renewed 02-01-2019", "Description", ""},             // a date without a birth word: nothing
	{"last sync 2024-01-31 21:14 UTC", "Description", ""}, // a date and a time
	{"1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0", "Description", ""},
	{"+1 (206) 555-+1 (206) 555-+1 (206) 555-", "Description", ""},
	{"call 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9, (206) 555-0143", "Description", "phone"},
}

func TestPhone(t *testing.T) {
	checkScan(t, phoneCases)
	checkScan(t, phoneIPCases)
}

// TestDottedQuadNeverPhone: the red team's case, end to end through the
// scanner, in free text, in an IP field and in a phone field.
func TestDottedQuadNeverPhone(t *testing.T) {
	s := NewScanner(Default())
	for _, c := range []struct{ v, field, want string }{
		{"52.85.210.141", "Description", CategoryIPAddress},
		{"52.85.210.141", "Last_Login_IP__c", CategoryIPAddress},
		{"Last login 52.85.210.141.", "Description", CategoryIPAddress},
		{"52.85.210.141", "Phone", CategoryIPAddress},
	} {
		got := s.Scan(nil, []byte(c.v), ClassifyField(c.field))
		for _, f := range got {
			if f.Category == CategoryPhone {
				t.Errorf("%q (%s): read as a phone: %+v", c.v, c.field, got)
			}
		}
		if c.want != "" && (len(got) != 1 || got[0].Category != c.want || c.v[got[0].Start:got[0].End] != "52.85.210.141") {
			t.Errorf("%q (%s): got %+v, want one %s over the address", c.v, c.field, got, c.want)
		}
	}
	got := s.Scan(nil, []byte("52.85.210.141 and (206) 555-0143"), ClassifyField("Description"))
	if len(got) != 2 || got[0].Category != CategoryIPAddress || got[1].Category != CategoryPhone {
		t.Errorf("an address and a phone: got %+v", got)
	}
}

// TestPhoneLongRuns: a run longer than any number holds no phone but its
// tail's, and each run yields one candidate whatever its length.
func TestPhoneLongRuns(t *testing.T) {
	long := []byte("+1 415 555 0143 0143 01")
	if got := (Phone{}).Find(nil, long, Field{}); len(got) != 0 {
		t.Errorf("%q: got %+v", long, got)
	}
	v := append(adversarial("1 2 3 4 5 6 7 8 9 0 ", 1<<20), " tel (206) 555-0143"...)
	got := (Phone{}).Find(nil, v, ClassifyField("Description"))
	if len(got) != 1 || string(v[got[0].Start:got[0].End]) != "(206) 555-0143" {
		t.Errorf("a megabyte of digits then a phone: got %+v", got)
	}
	v = adversarial("5 ", 1<<20)
	if got := (Phone{}).Find(nil, v, ClassifyField("Phone")); len(got) > 1 {
		t.Errorf("one run, %d findings", len(got))
	}
}

func BenchmarkPhone(b *testing.B) { benchScan(b, phoneCases) }
