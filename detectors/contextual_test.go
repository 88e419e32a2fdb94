package detectors

import "testing"

func TestContextual(t *testing.T) {
	s := NewScanner(Default())
	for _, c := range []struct {
		v, field, want string
	}{
		{"NHS number 943 476 5919", "Description", "uk_nhs"},
		{"NHS number 943 476 5918", "Description", "phone"}, // bad check digit: only the phone reading is left
		{"9434765919", "nhs_number", "uk_nhs"},
		{"ref 9434765919", "Description", ""}, // no context
		{"SIN 130 692 544", "Description", "ca_sin"},
		{"SIN 046 454 286", "Description", "phone"}, // the CRA sample: first digit 0 is never issued
		{"SIN 130 692 545", "Description", ""},      // Luhn fails
		{"046454286", "Description", ""},            // no context
		{"NPI 1234567893", "Description", "us_npi"},
		{"NPI 1234567890", "Description", ""}, // check digit
		{"MBI 1EG4-TE5-MK73", "Description", "us_mbi"},
		{"1EG4TE5MK73", "Description", "us_mbi"},
		{"1SG4TE5MK73", "Description", ""}, // S is excluded
		{"passport no. 533380006 expires", "Description", "passport"},
		{"ticket 533380006", "Description", ""},
		{"account number 12345678", "Description", "bank_account"},
		{"order 12345678", "Description", ""},
		{"00012345678", "account_number", "bank_account"},
	} {
		got := s.Scan(nil, []byte(c.v), ClassifyField(c.field))
		switch {
		case c.want == "" && len(got) != 0:
			t.Errorf("%q (%s): want nothing, got %+v", c.v, c.field, got)
		case c.want != "" && (len(got) != 1 || got[0].Category != c.want):
			t.Errorf("%q (%s): got %+v, want one %s", c.v, c.field, got, c.want)
		}
	}
}
