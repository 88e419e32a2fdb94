package detectors

import "testing"

var cardVerificationCases = []scanCase{
	{"123", "CVV__c", "credit_card"},
	{" 1234 ", "Security_Code", "credit_card"},
	{"Card 4111 1111 1111 1111 CVV 123", "Description", "credit_card"}, // the card and the code: two findings, checked below
	{"Paid by card, cvc: 987, thanks", "Description", "credit_card"},
	{"security code 0421 for the visa", "Description", "credit_card"},
	{"CVC 000", "Notes", "credit_card"}, // short text: no card number, no long note, no hint
	{"cvv: 123", "Description", "credit_card"},
	// Negatives: no name or word, too short or long, not digits, the word
	// inside another word, a code field holding something else.
	{"123", "Description", ""},
	{"12", "CVV__c", ""},
	{"12345", "CVV__c", ""},
	{"abc", "CVV__c", ""},
	{"Order 123 shipped, see notes for details", "Description", ""},
	{"cvvs of 12345 or 12 are not codes here", "Description", ""},
	{"CID lookups: 12345678901 done", "Description", ""},
}

func TestCardVerification(t *testing.T) {
	s := NewScanner(Default())
	for _, c := range cardVerificationCases {
		got := s.Scan(nil, []byte(c.v), ClassifyField(c.field))
		n := 0
		for _, f := range got {
			if f.Detector == "card_verification" {
				n++
				if txt := c.v[f.Start:f.End]; len(txt) < 3 || len(txt) > 4 {
					t.Errorf("%q: code %q", c.v, txt)
				}
			}
		}
		if want := c.want != ""; (n == 1) != want {
			t.Errorf("%q (%s): %d codes in %+v", c.v, c.field, n, got)
		}
	}
}
