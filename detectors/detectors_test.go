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
