package transform

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/veil-proxy/veil/detectors"
)

// keepLastOf is how many trailing digits a category's mask may show.
var keepLastOf = map[string]int{
	"credit_card": 4, "us_ssn": 4, "bank_account": 4, "us_itin": 4, "ca_sin": 4, "br_cpf": 4, "uk_nhs": 4, "us_mbi": 4, "us_npi": 4,
	"phone": 2,
}

// FuzzMask masks what the detectors find in any value, as the pipeline
// does for a policy that says mask, and checks that the mask shows no
// more than its category allows: the last four digits of a card number
// or an SSN (two of a phone number), an IBAN's country and last four,
// a postal code's first three characters, a date's leading year, each
// word's initial of a name, the first character and the domain of an
// e-mail address, nothing of anything else. Every mask but the e-mail's
// keeps the value's shape (its length in characters, and every separator
// where it was); a mask that shows less than the value differs from it.
func FuzzMask(f *testing.F) {
	for _, s := range []struct{ v, field string }{
		{"4111 1111 1111 1111", "Card__c"},
		{"card 3782-822463-10005 exp", "Description"},
		{"123-45-6789", "SSN__c"},
		{"FR76 3000 6000 0112 3456 7890 189", "IBAN__c"},
		{"+1 (206) 328-3475", "Phone"},
		{"jane.doe@example.com, élodie@exemple.fr", "Email"},
		{"Ahmed Kowalski", "Name"},
		{"1943-09-08", "Birthdate"},
		{"M5V 3L9", "MailingPostalCode"},
		{"7175 Rue de Rivoli", "MailingStreet"},
		{"AKIAIOSFODNN7EXAMPLE", "Description"},
		{"10.0.0.1 and 2001:db8::1", "Description"},
		{"QQ 12 34 56 C", "NINO__c"},
	} {
		f.Add(s.v, s.field)
	}
	sc := detectors.NewScanner(detectors.Default())
	f.Fuzz(func(t *testing.T, v, field string) {
		for _, fd := range sc.Scan(nil, []byte(v), detectors.ClassifyField(field)) {
			text := []byte(v[fd.Start:fd.End])
			checkMask(t, fd.Category, text, Mask([]byte("pre"), fd.Category, text))
		}
	})
}

func checkMask(t *testing.T, category string, text, out []byte) {
	t.Helper()
	if string(out[:3]) != "pre" {
		t.Fatalf("Mask changed dst")
	}
	out = out[3:]
	fail := func(why string) {
		t.Helper()
		t.Fatalf("%s %q masked as %q: %s", category, text, out, why)
	}
	alnum := func(b []byte) (n int) {
		for _, r := range string(b) {
			if isAlnum(r) {
				n++
			}
		}
		return n
	}
	visible := func(b []byte, is func(rune) bool) (n int) {
		for _, r := range string(b) {
			if is(r) && r != MaskRune {
				n++
			}
		}
		return n
	}
	if category != "email" && utf8.Valid(text) {
		// Shape: as many characters, the separators where they were.
		tr, or := []rune(string(text)), []rune(string(out))
		if len(tr) != len(or) {
			fail("not the same length")
		}
		for i := range tr {
			if !isAlnum(tr[i]) && tr[i] != or[i] || isAlnum(tr[i]) && or[i] != tr[i] && or[i] != MaskRune {
				fail("not the same shape")
			}
		}
	}
	shown := visible(out, isAlnum)
	if shown < alnum(text) && bytes.Equal(out, text) {
		fail("unchanged")
	}
	switch n, ok := keepLastOf[category]; {
	case ok:
		if d := visible(out, unicode.IsDigit); d > n {
			fail("too many digits shown")
		}
	case category == "iban":
		if shown > 6 || 2*shown > alnum(text) {
			fail("more than its country and last four shown")
		}
	case category == "postal_code":
		if shown > 3 || 2*shown > alnum(text) {
			fail("more than its first three shown")
		}
	case category == "date_of_birth":
		if shown > 4 || shown > 0 && !bytes.Equal(out[:4], text[:4]) {
			fail("more than the year shown")
		}
	case category == "person_name":
		if shown > len(strings.FieldsFunc(string(text), func(r rune) bool { return !isAlnum(r) })) {
			fail("more than the initials shown")
		}
	case category == "email":
		at := bytes.LastIndexByte(text, '@')
		if at <= 0 {
			if shown > 0 {
				fail("an address without a domain shown")
			}
			break
		}
		local := out[:bytes.LastIndexByte(out, '@')]
		if visible(local, isAlnum) > 1 || !bytes.HasSuffix(out, text[at:]) {
			fail("more than the first character and the domain shown")
		}
	default:
		if shown > 0 {
			fail("something shown")
		}
	}
}
