package detectors

import "testing"

func TestQuick(t *testing.T) {
	s := NewScanner(Default())
	for _, c := range []struct {
		v, field string
		want     []string
	}{
		{"jane.doe@example.com", "Email", []string{"email"}},
		{"Card 4111 1111 1111 1111 exp", "Description", []string{"credit_card"}},
		{"4111111111111112", "Description", nil},
		{"123-45-6789", "SSN__c", []string{"us_ssn"}},
		{"666-45-6789", "SSN__c", nil},
		{"123456789", "SSN__c", []string{"us_ssn"}},
		{"123456789", "Description", nil},
		{"FR87 3592 5634 1685 8783 1012 228", "Bank_IBAN__c", []string{"iban"}},
		{"Refund to IBAN FR0688360759838675650889957 approved.", "Description", []string{"iban"}},
		{"(206) 328-3475", "Phone", []string{"phone"}},
		{"+33 1 11 58 97 37", "Phone", []string{"phone"}},
		{"2020-06-08T21:14:48.000+0000", "CreatedDate", nil},
		{"1943-09-08", "Birthdate", []string{"date_of_birth"}},
		{"Ahmed Kowalski", "Name", []string{"person_name"}},
		{"Order #9621723216684847 shipped; tracking 1Z2350594305.", "Description", nil},
		{"00351yBMWXaSCrUZoL", "Id", nil},
	} {
		got := s.Scan(nil, []byte(c.v), ClassifyField(c.field))
		var cats []string
		for _, f := range got {
			cats = append(cats, f.Category)
		}
		if len(cats) != len(c.want) {
			t.Errorf("%q (%s) = %v, want %v", c.v, c.field, got, c.want)
			continue
		}
		for i := range cats {
			if cats[i] != c.want[i] {
				t.Errorf("%q = %v, want %v", c.v, cats, c.want)
			}
		}
	}
}

func TestTraps(t *testing.T) {
	s := NewScanner(Default())
	for _, c := range []struct {
		v, field, want string // want: category of the only finding, "" for none
	}{
		{"+49 151 54141589", "MobilePhone", "phone"},          // Luhn-valid with a Visa-like prefix, but a phone
		{"49 151 48279271", "Description", ""},                // card-looking digits in phone groups: no card
		{"4111 1111 1111 1111", "Description", "credit_card"}, // fours
		{"3782 822463 10005", "Description", "credit_card"},   // Amex 4-6-5
		{"020 7946 0958", "Phone", "phone"},                   // UK national form
		{"+44 7700 900123", "Description", "phone"},           // E.164 in free text
		{"v1.2.3.4567890", "Description", ""},                 // version string
		{"Acme Corp", "Name", "person_name"},                  // object unknown: hint kept
		{"AKIAIOSFODNN7EXAMPLE", "Description", "secret"},
		{"token ghp_0123456789abcdefghijABCDEFGHIJ012345 leaked", "Description", "secret"},
		{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlc2lnbmF0dXJl", "Description", "secret"},
		{"-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----", "Description", "secret"},
		{"sk_live_short", "Description", ""},
	} {
		got := s.Scan(nil, []byte(c.v), ClassifyField(c.field))
		switch {
		case c.want == "" && len(got) != 0:
			t.Errorf("%q (%s): want nothing, got %+v", c.v, c.field, got)
		case c.want != "" && (len(got) != 1 || got[0].Category != c.want):
			t.Errorf("%q (%s): got %+v, want one %s", c.v, c.field, got, c.want)
		}
	}
	if f := ClassifyFieldOf("Account", "Name"); f.Hint != "" {
		t.Errorf("Account.Name hinted as %q", f.Hint)
	}
	if f := ClassifyFieldOf("Contact", "Name"); f.Hint != CategoryPersonName {
		t.Errorf("Contact.Name hint %q", f.Hint)
	}
}
