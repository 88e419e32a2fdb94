package detectors

import (
	"slices"
	"testing"
)

// FuzzScan: the scanner never panics on any value and field, its findings
// are in bounds, sorted, non-overlapping and well formed, and the
// prefilter never hides one: running every detector on every value finds
// the same.
func FuzzScan(f *testing.F) {
	for _, s := range []struct{ v, field string }{
		{"jane.doe@example.com", "Email"},
		{"card 4111 1111 1111 1111 exp", "Description"},
		{"+44 7700 900123 or 020 7946 0958", "Phone"},
		{"078-05-1120", "SSN__c"},
		{"FR76 3000 6000 0112 3456 7890 189", "Bank_IBAN__c"},
		{"-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----", "Description"},
		{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2ln", "Description"},
		{"@@@@...---+++(((", "Name"},
		{"Amount 10037.50, closed 2026-03-15, ip 10.0.0.1 or ::1", "Description"},
		{"Id 003Dn00000000AbcAA at 2025-06-08T21:14:48.000+0000", "Description"},
		{"the password is correct horse battery staple", "Description"}, // long, no digit
		{"api key: ＡｂＣｄ１２３４５６７８９０ＥｆＧｈＩｊ", "Notes"},                      // digits only once canonical
		{"cvv is on the back of the card, security code", "Card_CVV__c"},
		// Numbers at the digit counts that wake detectors (countTriggers).
		{"cpf 111.444.777-35", "Notes"},
		{"nhs 943 476 5919, npi 1234567893", "Notes"},
		{"sin 130 692 544", "Notes"},
		{"visa 4222222222222 or 4222 2222 22222", "Notes"},
		{"card token 9912345678981111", "Notes"},
	} {
		f.Add(s.v, s.field)
	}
	sc := NewScanner(Default())
	all := NewScanner(Default())
	all.exhaustive = true
	f.Fuzz(func(t *testing.T, v, field string) {
		got := sc.Scan(nil, []byte(v), ClassifyField(field))
		if want := all.Scan(nil, []byte(v), ClassifyField(field)); !slices.Equal(got, want) {
			t.Fatalf("prefilter hides findings in %q: got %+v, every detector finds %+v", v, got, want)
		}
		last := 0
		for i, fd := range got {
			if fd.Start < 0 || fd.End > len(v) || fd.Start >= fd.End {
				t.Fatalf("finding %d span %d:%d outside %d bytes", i, fd.Start, fd.End, len(v))
			}
			if fd.Start < last {
				t.Fatalf("findings unsorted or overlapping: %+v", got)
			}
			last = fd.End
			if fd.Category == "" || fd.Detector == "" || fd.Confidence <= 0 || fd.Confidence > 1 {
				t.Fatalf("malformed finding %+v", fd)
			}
		}
	})
}
