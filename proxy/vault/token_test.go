package vault

import (
	"strings"
	"testing"

	"github.com/veil-proxy/veil/detectors"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ category, in, want string }{
		{"credit_card", " 4111-1111 1111.1111 ", "4111111111111111"},
		{"us_ssn", "123-45-6789", "123456789"},
		{"us_itin", "912 70 1234", "912701234"},
		{"ca_sin", "046-454-286", "046454286"},
		{"br_cpf", "123.456.789-09", "12345678909"},
		{"uk_nhs", "943 476 5919", "9434765919"},
		{"bank_account", "0001-2345", "00012345"},
		{"us_npi", "1234 567 893", "1234567893"},
		{"phone", " +1 (415) 555-2671", "+14155552671"},
		{"phone", "(415) 555-2671", "4155552671"},
		{"email", " Jane.Doe@Example.COM\n", "jane.doe@example.com"},
		{"iban", " de89 3704\t0044 0532 0130 00 ", "DE89370400440532013000"},
		{"uk_nino", " AB 12 34 56 C ", "AB 12 34 56 C"},
		{"person_name", "  Jane Doe ", "Jane Doe"},
	} {
		if got := normalize(tc.category, tc.in); got != tc.want {
			t.Errorf("normalize(%s, %q) = %q, want %q", tc.category, tc.in, got, tc.want)
		}
	}
}

// Bodies take every char of the alphabet at every position, and digits
// every digit: nothing is stuck.
func TestTokenCharsSpread(t *testing.T) {
	k := ring(t, "k1", testKey("k1", 1)).active()
	seen := make([]map[byte]bool, 40)
	digitsSeen := make([]map[byte]bool, 9)
	for i := range seen {
		seen[i] = map[byte]bool{}
	}
	for i := range digitsSeen {
		digitsSeen[i] = map[byte]bool{}
	}
	for n := uint32(0); n < 3000; n++ {
		tok := makeToken(k, "secret", strings.Repeat("x", 50), n, false)
		body := tok[3 : len(tok)-1]
		for i := 1; i < len(body); i++ {
			seen[i][body[i]] = true
		}
		card := makeToken(k, "credit_card", "4111111111111111", n, false)
		for i := 0; i < 9; i++ {
			digitsSeen[i][card[2+i]] = true
		}
	}
	for i := 1; i < 40; i++ {
		if len(seen[i]) != 32 {
			t.Errorf("body position %d takes %d chars", i, len(seen[i]))
		}
	}
	for i, s := range digitsSeen {
		if len(s) != 10 {
			t.Errorf("card digit %d takes %d values", i, len(s))
		}
	}
}

func TestHash(t *testing.T) {
	keys := ring(t, "k1", testKey("k1", 1))
	v := New(keys, nil) // no backend: the hash needs only the keys
	h := v.Hash("email", "jane@example.com")
	if !strings.HasPrefix(h, "vh.") || len(h) != 29 || strings.Trim(h[3:], detectors.TokenAlphabet) != "" {
		t.Fatalf("hash %q", h)
	}
	if h != New(ring(t, "k1", testKey("k1", 1)), NewMemoryStore()).Hash("email", "jane@example.com") {
		t.Error("not stable across vaults sharing the keys")
	}
	if v.Hash("email", " JANE@example.com") != h {
		t.Error("not normalized")
	}
	if v.Hash("person_name", "jane@example.com") == h || v.Hash("email", "john@example.com") == h {
		t.Error("the category or the value does not count")
	}
	if New(ring(t, "k2", testKey("k1", 1), testKey("k2", 2)), nil).Hash("email", "jane@example.com") == h {
		t.Error("the active key does not count")
	}
	if d := detectors.NewScanner(detectors.Default()).Scan(nil, []byte(h), detectors.Field{}); len(d) != 0 {
		t.Errorf("a hash reads as %+v", d)
	}
	// 128 bits in 26 chars: the last char carries 3 bits.
	if c := h[len(h)-1]; strings.IndexByte(detectors.TokenAlphabet, c)&3 != 0 {
		t.Errorf("last char %c has bits past the 128th", c)
	}
}
