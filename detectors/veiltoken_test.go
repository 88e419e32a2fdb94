package detectors

import (
	"strings"
	"testing"
)

var veiltokenCases = []scanCase{
	{TextToken("7k3mq9xz"), "SSN__c", "veil_token"},
	{TextToken("0123456789abcdefghjk"), "Description", "veil_token"},
	{"Customer ref " + TextToken("a1b2c3d4e5") + " on file", "Description", "veil_token"},
	{EmailToken("p4qr8stvw9xyz0abc1de"), "Email", "veil_token"},
	{PhoneToken("4815162342"), "Phone", "veil_token"},
	{PhoneToken("48151623"), "MobilePhone", "veil_token"},
	{CardToken("123456789", "4242"), "Card_Number__c", "veil_token"},
	// Negatives: a wrong check, the prefix alone, too short, letters
	// outside the alphabet, glued to a word, a real phone, a real card.
	{tamper(TextToken("7k3mq9xz")), "Description", ""},
	{"vt.", "Description", ""},
	{"vt.abc", "Description", ""},
	{"see vt.iloveyou1", "Description", ""},
	{"xvt.7k3mq9xz" + "0", "Description", ""},
	{tamper(PhoneToken("4815162342")), "Description", ""},
	{"+999 12", "Description", ""},
	{"Reference 9912345678901235", "Description", ""},
}

// tamper changes a token's last character.
func tamper(s string) string {
	last := s[len(s)-1]
	repl := byte('0')
	if last == '0' {
		repl = '1'
	}
	return s[:len(s)-1] + string(repl)
}

func TestVeilToken(t *testing.T) { checkScan(t, veiltokenCases) }

func TestVeilTokenFormats(t *testing.T) {
	card := CardToken("123456789", "4242")
	if len(card) != 16 || !strings.HasSuffix(card, "4242") || luhn([]byte(card)) {
		t.Errorf("card token %q: want 16 digits ending 4242 failing Luhn", card)
	}
	if tok := TextToken("7k3mq9x"); len(tok) != 11 {
		t.Errorf("SSN-length token %q has %d chars, want 11", tok, len(tok))
	}
	// Every token is found whole, wherever it sits.
	s := NewScanner(Default())
	for _, tok := range []string{TextToken("abcdefghjkmnpqrstvwx"), EmailToken("abcdefgh"), PhoneToken("12345678901"), card} {
		v := []byte("before " + tok + ", after")
		got := s.Scan(nil, v, Field{})
		if len(got) != 1 || string(v[got[0].Start:got[0].End]) != tok || got[0].Confidence != 1 {
			t.Errorf("%q: got %+v, want the whole token", tok, got)
		}
	}
}

func TestTokenCategory(t *testing.T) {
	for i, c := range tokenCategories {
		if i == 0 {
			continue
		}
		code, ok := TokenCode(c)
		if !ok || code != tokenAlphabet[i] {
			t.Fatalf("TokenCode(%s) = %q, %v", c, code, ok)
		}
		body := string(code) + "k3mq9xz"
		for _, tok := range []string{TextToken(body), EmailToken(body)} {
			if got := TokenCategory([]byte(tok)); got != c {
				t.Errorf("TokenCategory(%s) = %q, want %q", tok, got, c)
			}
		}
	}
	if _, ok := TokenCode(CategoryVeilToken); ok {
		t.Error("a token stands for a token")
	}
	for tok, want := range map[string]string{
		PhoneToken("4815162342"):        CategoryPhone,
		CardToken("123456789", "4242"):  CategoryCreditCard,
		TextToken("0k3mq9xz"):           "", // code 0: no category
		TextToken("zk3mq9xz"):           "", // beyond the list
		tamper(TextToken("9k3mq9xz")):   "", // not a token
		TextToken("9k3mq9xz") + " tail": "", // not a whole token
		"4111111111111111":              "",
	} {
		if got := TokenCategory([]byte(tok)); got != want {
			t.Errorf("TokenCategory(%q) = %q, want %q", tok, got, want)
		}
	}
}

func BenchmarkVeilToken(b *testing.B) { benchScan(b, veiltokenCases) }
