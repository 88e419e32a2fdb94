package transform

import "testing"

func TestMask(t *testing.T) {
	tests := []struct{ category, in, want string }{
		{"credit_card", "4111 1111 1111 1111", "**** **** **** 1111"},
		{"credit_card", "4111111111111111", "************1111"},
		{"credit_card", "3782-822463-10005", "****-******-*0005"},
		{"us_ssn", "123-45-6789", "***-**-6789"},
		{"us_ssn", "123", "***"},
		{"iban", "FR87 3592 5634 1685 8783 1012 228", "FR** **** **** **** **** ***2 228"},
		{"iban", "DE89370400440532013000", "DE****************3000"},
		{"phone", "+1 (206) 328-3475", "+* (***) ***-**75"},
		{"email", "jane.doe@example.com", "j***@example.com"},
		{"email", "j@example.com", "j@example.com"},
		{"email", "élodie@exemple.fr", "é***@exemple.fr"},
		{"email", "no-at-sign", "**-**-****"},
		{"person_name", "Ahmed Kowalski", "A**** K*******"},
		{"person_name", "Zoë O'Neil", "Z** O'N***"},
		{"date_of_birth", "1943-09-08", "1943-**-**"},
		{"date_of_birth", "09/08/1943", "**/**/****"},
		{"postal_code", "M5V 3L9", "M5V ***"},
		{"postal_code", "82464", "*****"},
		{"street_address", "7175 Rue de Rivoli", "**** *** ** ******"},
	}
	for _, tt := range tests {
		if got := string(Mask(nil, tt.category, []byte(tt.in))); got != tt.want {
			t.Errorf("Mask(%s, %q) = %q, want %q", tt.category, tt.in, got, tt.want)
		}
	}
}

func TestMaskNeverReturnsTheInput(t *testing.T) {
	for _, c := range []string{"credit_card", "us_ssn", "iban", "phone", "person_name", "street_address", "postal_code", "date_of_birth", "secret"} {
		for _, in := range []string{"4111111111111111", "Jane Doe", "1 Main St", "90210", "AKIAIOSFODNN7EXAMPLE"} {
			if got := string(Mask(nil, c, []byte(in))); got == in {
				t.Errorf("Mask(%s, %q) returned the value unchanged", c, in)
			}
		}
	}
}

func TestRedacted(t *testing.T) {
	if got := string(Redacted("email")); got != "[REDACTED:email]" {
		t.Fatal(got)
	}
}

func BenchmarkMaskCard(b *testing.B) {
	in := []byte("4111 1111 1111 1111")
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = Mask(buf[:0], "credit_card", in)
	}
}
