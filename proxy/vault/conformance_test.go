package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/detectors"
)

// backend is a store under test: open gives a new, empty one and returns
// how to connect to it; each connection is a replica's own (a Redis
// client of its own, or the same map).
type backend func(t *testing.T) (connect func() Store)

// testKey is a fixed key: tests of determinism need the same secret twice.
func testKey(id string, b byte) Key {
	return Key{ID: id, Secret: bytes.Repeat([]byte{b}, SecretSize)}
}

func ring(t testing.TB, active string, keys ...Key) *Keyring {
	t.Helper()
	r, err := NewKeyring(keys, active)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// samples has a value for every category a token stands for.
var samples = map[string]string{
	detectors.CategoryPersonName:    "Jane Doe",
	detectors.CategoryEmail:         "jane.doe@example.com",
	detectors.CategoryPhone:         "+1 415 555 2671",
	detectors.CategoryStreetAddress: "1600 Amphitheatre Parkway",
	detectors.CategoryPostalCode:    "94043",
	detectors.CategoryDateOfBirth:   "1984-02-29",
	detectors.CategoryIPAddress:     "203.0.113.7",
	detectors.CategoryCreditCard:    "4111 1111 1111 1111",
	detectors.CategoryUSSSN:         "123-45-6789",
	detectors.CategoryUSITIN:        "912-70-1234",
	detectors.CategoryIBAN:          "DE89370400440532013000",
	detectors.CategoryBankAccount:   "000123456789",
	detectors.CategoryUKNINO:        "AB 12 34 56 C",
	detectors.CategoryUKNHS:         "943 476 5919",
	detectors.CategoryBRCPF:         "123.456.789-09",
	detectors.CategoryCASIN:         "046 454 286",
	detectors.CategoryUSMBI:         "1EG4-TE5-MK73",
	detectors.CategoryUSNPI:         "1234567893",
	detectors.CategoryPassport:      "X12345678",
	detectors.CategorySecret:        "AKIAIOSFODNN7EXAMPLE",
}

// allCategories is the categories vocabulary (detectors.Category*).
var allCategories = []string{
	"person_name", "email", "phone", "street_address", "postal_code", "date_of_birth", "ip_address",
	"credit_card", "us_ssn", "us_itin", "iban", "bank_account", "uk_nino", "uk_nhs", "br_cpf", "ca_sin",
	"us_mbi", "us_npi", "passport", "secret", "veil_token",
}

func sampleItems() []Item {
	var items []Item
	for _, c := range allCategories {
		if v, ok := samples[c]; ok {
			items = append(items, Item{c, v})
		}
	}
	return items
}

func tokenize(t *testing.T, v Vault, items ...Item) []string {
	t.Helper()
	toks, err := v.Tokenize(context.Background(), items)
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) != len(items) {
		t.Fatalf("%d tokens for %d items", len(toks), len(items))
	}
	return toks
}

func detokenize(t *testing.T, v Vault, toks ...string) []Revealed {
	t.Helper()
	got, err := v.Detokenize(context.Background(), toks)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(toks) {
		t.Fatalf("%d answers for %d tokens", len(got), len(toks))
	}
	return got
}

// reveals checks that tok reads as value of category through v.
func reveals(t *testing.T, v Vault, tok, category, value string) {
	t.Helper()
	if got := detokenize(t, v, tok)[0]; got != (Revealed{Value: value, Category: category, Found: true}) {
		t.Errorf("%s reads %+v, want %s %q", tok, got, category, value)
	}
}

// unknown: the tokens read as nothing this vault issued.
func unknown(t *testing.T, v Vault, toks ...string) {
	t.Helper()
	for i, r := range detokenize(t, v, toks...) {
		if r != (Revealed{}) {
			t.Errorf("%s reads %+v, want unknown", toks[i], r)
		}
	}
}

// erased: the tokens read as forgotten.
func erased(t *testing.T, v Vault, toks ...string) {
	t.Helper()
	for i, r := range detokenize(t, v, toks...) {
		if r != (Revealed{Erased: true}) {
			t.Errorf("%s reads %+v, want erased", toks[i], r)
		}
	}
}

// colliding is a vault whose tokens collide on every value (collide mode).
func colliding(keys *Keyring, s Store) *vault {
	v := New(keys, s).(*vault)
	v.collide = true
	return v
}

// runConformance holds a backend to what every Vault store must do.
func runConformance(t *testing.T, open backend) {
	ctx := context.Background()
	k1, k2 := testKey("k1", 1), testKey("k2", 2)

	t.Run("RoundTripEveryCategory", func(t *testing.T) {
		for _, c := range allCategories {
			if _, ok := detectors.TokenCode(c); ok && c != detectors.CategoryVeilToken && samples[c] == "" {
				t.Fatalf("no sample for category %s", c)
			}
		}
		v := New(ring(t, "k1", k1), open(t)())
		items := sampleItems()
		toks := tokenize(t, v, items...)
		got := detokenize(t, v, toks...)
		for i, it := range items {
			if got[i] != (Revealed{Value: it.Value, Category: it.Category, Found: true}) {
				t.Errorf("%s: %s reads %+v", it.Category, toks[i], got[i])
			}
		}
	})

	t.Run("Deterministic", func(t *testing.T) {
		connect := open(t)
		a := New(ring(t, "k1", k1), connect())
		// Replica b: its own connection, its own parse of the same keys.
		kb, err := ParseKeys(strings.NewReader(FormatKey(k1) + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		b := New(kb, connect())
		items := sampleItems()
		ta := tokenize(t, a, items...)
		if again := tokenize(t, a, items...); strings.Join(again, " ") != strings.Join(ta, " ") {
			t.Errorf("second call:\n%q\n%q", again, ta)
		}
		tb := tokenize(t, b, items...)
		for i, it := range items {
			if ta[i] != tb[i] {
				t.Errorf("%s: replica a wrote %s, b %s", it.Category, ta[i], tb[i])
			}
		}
		// Each reads the other's, and a value repeated in one message has
		// one token.
		reveals(t, b, ta[0], items[0].Category, items[0].Value)
		twice := tokenize(t, b, Item{"us_ssn", "078-05-1120"}, Item{"email", "a@example.com"}, Item{"us_ssn", "078-05-1120"})
		if twice[0] != twice[2] {
			t.Errorf("one value, one message, two tokens: %q", twice)
		}
		reveals(t, a, twice[0], "us_ssn", "078-05-1120")
	})

	t.Run("Normalization", func(t *testing.T) {
		v := New(ring(t, "k1", k1), open(t)())
		for _, tc := range [][3]string{
			{"credit_card", "4111 1111 1111 1111", "4111-1111-1111-1111"},
			{"us_ssn", "123-45-6789", "123 45 6789"},
			{"email", "Jane.Doe@Example.COM", " jane.doe@example.com"},
			{"iban", "DE89 3704 0044 0532 0130 00", "de89370400440532013000"},
			{"phone", "+1 (415) 555-2671", "+1.415.555.2671"},
			{"passport", " X12345678 ", "X12345678"},
		} {
			toks := tokenize(t, v, Item{tc[0], tc[1]}, Item{tc[0], tc[2]})
			if toks[0] != toks[1] {
				t.Errorf("%s: %q -> %s, %q -> %s", tc[0], tc[1], toks[0], tc[2], toks[1])
			}
			// The first spelling stored is the one revealed.
			reveals(t, v, toks[0], tc[0], tc[1])
		}
		if toks := tokenize(t, v, Item{"phone", "+14155552671"}, Item{"phone", "14155552671"}); toks[0] == toks[1] {
			t.Errorf("a leading + is part of a phone number: %q", toks)
		}
	})

	t.Run("Formats", func(t *testing.T) {
		v := New(ring(t, "k1", k1), open(t)())
		sc := detectors.NewScanner(detectors.Default())
		items := append(sampleItems(),
			Item{"iban", "GB82WEST12345698765432"}, Item{"phone", "030 1234567"}, Item{"phone", "+44 20 7946 0958 123"},
			Item{"secret", strings.Repeat("s3cr3t", 20)}, Item{"credit_card", "378282246310005"})
		toks := tokenize(t, v, items...)
		for i, it := range items {
			tok := toks[i]
			if got := detectors.TokenCategory([]byte(tok)); got != it.Category {
				t.Errorf("%s: TokenCategory(%s) = %q", it.Category, tok, got)
			}
			f := sc.Scan(nil, []byte(tok), detectors.Field{})
			if len(f) != 1 || f[0].Detector != "veil_token" || f[0].Start != 0 || f[0].End != len(tok) {
				t.Errorf("%s: scanning %q found %+v", it.Category, tok, f)
			}
			switch it.Category {
			case "email":
				a, err := mail.ParseAddress(tok)
				if err != nil || a.Address != tok || !strings.HasSuffix(tok, "@veil.invalid") {
					t.Errorf("email token %q: %v", tok, err)
				}
			case "credit_card":
				d := normalize("credit_card", it.Value)
				if len(tok) != 16 || countDigits(tok) != 16 || tok[12:] != d[len(d)-4:] || luhnValid(tok) {
					t.Errorf("card token %q for %s", tok, it.Value)
				}
			case "phone":
				n := min(max(countDigits(it.Value), 9), 12)
				if !strings.HasPrefix(tok, "+999 ") || countDigits(tok) != 3+n {
					t.Errorf("phone token %q for %q: want %d digits after +999", tok, it.Value, n)
				}
			case "us_ssn", "iban":
				if len(tok) != len(it.Value) {
					t.Errorf("%s token %q for %q: length %d, want %d", it.Category, tok, it.Value, len(tok), len(it.Value))
				}
			default:
				if n := len(normalize(it.Category, it.Value)); len(tok) != min(max(n, 11), 44) {
					t.Errorf("%s token %q: length %d for a value of %d", it.Category, tok, len(tok), n)
				}
			}
		}
	})

	t.Run("CategoriesApart", func(t *testing.T) {
		v := New(ring(t, "k1", k1), open(t)())
		cats := []string{"us_ssn", "us_itin", "bank_account", "ca_sin", "us_npi", "passport"}
		seen := map[string]string{}
		for _, c := range cats {
			tok := tokenize(t, v, Item{c, "123456789"})[0]
			if prev, dup := seen[tok]; dup {
				t.Errorf("%s and %s share %s", prev, c, tok)
			}
			seen[tok] = c
			reveals(t, v, tok, c, "123456789")
		}
	})

	t.Run("Rotation", func(t *testing.T) {
		connect := open(t)
		old := New(ring(t, "k1", k1), connect())
		items := []Item{{"us_ssn", "219-09-9999"}, {"email", "jane@example.com"}}
		oldToks := tokenize(t, old, items...)
		rotated := New(ring(t, "k2", k1, k2), connect())
		newToks := tokenize(t, rotated, items...)
		for i, it := range items {
			if newToks[i] == oldToks[i] {
				t.Errorf("%s: the new key wrote the old token %s", it.Category, oldToks[i])
			}
			reveals(t, rotated, oldToks[i], it.Category, it.Value)
			reveals(t, rotated, newToks[i], it.Category, it.Value)
		}
		if again := tokenize(t, rotated, items...); again[0] != newToks[0] || again[1] != newToks[1] {
			t.Errorf("rotated ring is not deterministic: %q %q", again, newToks)
		}
		// The old ring cannot read the new key's tokens.
		unknown(t, old, newToks...)
		n, err := rotated.ForgetValue(ctx, "us_ssn", "219 09 9999")
		if err != nil || n != 2 {
			t.Fatalf("ForgetValue erased %d, %v; want both generations", n, err)
		}
		erased(t, rotated, oldToks[0], newToks[0])
		erased(t, old, oldToks[0])
		reveals(t, old, oldToks[1], "email", "jane@example.com")
	})

	t.Run("Forget", func(t *testing.T) {
		connect := open(t)
		a, b := New(ring(t, "k1", k1), connect()), New(ring(t, "k1", k1), connect())
		toks := tokenize(t, a, Item{"us_ssn", "219-09-9999"}, Item{"email", "jane@example.com"}, Item{"phone", "+1 415 555 2671"})
		if n, err := b.Forget(ctx, toks[0]); err != nil || n != 1 {
			t.Fatalf("Forget: %d %v", n, err)
		}
		erased(t, a, toks[0])
		if n, err := a.Forget(ctx, toks[0]); err != nil || n != 0 {
			t.Errorf("Forget again: %d %v", n, err)
		}
		if n, err := a.ForgetValue(ctx, "email", "JANE@example.com"); err != nil || n != 1 {
			t.Fatalf("ForgetValue: %d %v", n, err)
		}
		erased(t, b, toks[0], toks[1])
		reveals(t, b, toks[2], "phone", "+1 415 555 2671")

		// The value comes back: a new token; the old one stays erased
		// on every replica, and forgetting again buries the new one.
		back := tokenize(t, b, Item{"email", "jane@example.com"}, Item{"us_ssn", "219-09-9999"})
		if back[0] == toks[1] || back[1] == toks[0] {
			t.Fatalf("an erased token was issued again: %q, erased %q", back, toks[:2])
		}
		if again := tokenize(t, a, Item{"us_ssn", "219-09-9999"}); again[0] != back[1] {
			t.Errorf("replicas disagree after an erasure: %s, %s", again[0], back[1])
		}
		reveals(t, a, back[0], "email", "jane@example.com")
		erased(t, a, toks[0], toks[1])
		if n, err := a.ForgetValue(ctx, "email", "jane@example.com"); err != nil || n != 1 {
			t.Errorf("ForgetValue of the value back: %d %v", n, err)
		}
		erased(t, b, back[0], toks[1])
		if n, err := a.ForgetValue(ctx, "email", "nobody@example.com"); err != nil || n != 0 {
			t.Errorf("ForgetValue of an unknown value: %d %v", n, err)
		}
		if _, err := a.Forget(ctx, "219-09-9999"); !errors.Is(err, ErrInvalid) || strings.Contains(err.Error(), "219") {
			t.Errorf("Forget of a non-token: %v", err)
		}
		if _, err := a.ForgetValue(ctx, "veil_token", "x"); !errors.Is(err, ErrInvalid) {
			t.Errorf("ForgetValue of veil_token: %v", err)
		}
	})

	t.Run("Collisions", func(t *testing.T) {
		connect := open(t)
		v := colliding(ring(t, "k1", k1), connect())
		vals := []string{"111-11-1111", "222-22-2222", "333-33-3333"}
		// Two in one message, the third in another: every round collides.
		toks := tokenize(t, v, Item{"us_ssn", vals[0]}, Item{"us_ssn", vals[1]})
		toks = append(toks, tokenize(t, v, Item{"us_ssn", vals[2]})...)
		if toks[0] == toks[1] || toks[1] == toks[2] || toks[0] == toks[2] {
			t.Fatalf("colliding values share tokens: %q", toks)
		}
		for i, val := range vals {
			reveals(t, v, toks[i], "us_ssn", val)
		}
		// Idempotent through the probe sequence; a second replica agrees.
		w := colliding(ring(t, "k1", k1), connect())
		if again := tokenize(t, w, Item{"us_ssn", vals[2]}, Item{"us_ssn", vals[0]}); again[0] != toks[2] || again[1] != toks[0] {
			t.Errorf("tokenized again: %q, first %q", again, toks)
		}
		// Forgetting the first leaves a gap in front of the others: they
		// still read, keep their tokens, and can still be forgotten.
		if n, err := v.ForgetValue(ctx, "us_ssn", vals[0]); err != nil || n != 1 {
			t.Fatalf("ForgetValue: %d %v", n, err)
		}
		erased(t, v, toks[0])
		reveals(t, v, toks[1], "us_ssn", vals[1])
		reveals(t, v, toks[2], "us_ssn", vals[2])
		if n, err := v.ForgetValue(ctx, "us_ssn", vals[2]); err != nil || n != 1 {
			t.Fatalf("ForgetValue behind a gap: %d %v", n, err)
		}
		erased(t, v, toks[2])
		reveals(t, v, toks[1], "us_ssn", vals[1])

		// A token of the active key already standing for another value
		// under an older key is not claimed: the CRM's copies keep their
		// meaning. (In collide mode tokens are the same under every key.)
		fresh := open(t)
		first := tokenize(t, colliding(ring(t, "k1", k1), fresh()), Item{"us_ssn", vals[0]})[0]
		rotated := colliding(ring(t, "k2", k1, k2), fresh())
		tn := tokenize(t, rotated, Item{"us_ssn", "444-44-4444"}, Item{"us_ssn", vals[0]})
		if tn[0] == first {
			t.Fatalf("the new key took the old key's token %s", first)
		}
		reveals(t, rotated, first, "us_ssn", vals[0])
		reveals(t, rotated, tn[0], "us_ssn", "444-44-4444")
		reveals(t, rotated, tn[1], "us_ssn", vals[0])
		if n, err := rotated.ForgetValue(ctx, "us_ssn", vals[0]); err != nil || n != 2 {
			t.Errorf("ForgetValue under both keys: %d %v", n, err)
		}
		reveals(t, rotated, tn[0], "us_ssn", "444-44-4444")

		// A ghost: the active key's entry for a token an older key holds
		// for another value (a Tokenize cut short between its claim and
		// its check). It is never revealed, and the next Tokenize of its
		// value deletes it and moves on.
		fresh = open(t)
		s := fresh()
		first = tokenize(t, colliding(ring(t, "k1", k1), s), Item{"us_ssn", vals[0]})[0]
		rotated = colliding(ring(t, "k2", k1, k2), s)
		active := rotated.keys.active()
		ghost, err := seal(active, "us_ssn", first, vals[1])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutIfAbsent(ctx, []string{indexKey(active, first)}, [][]byte{ghost}); err != nil {
			t.Fatal(err)
		}
		unknown(t, rotated, first)
		if tok := tokenize(t, rotated, Item{"us_ssn", vals[1]})[0]; tok == first {
			t.Errorf("the ghost's value kept the old key's token %s", tok)
		}
		if got, err := s.Get(ctx, []string{indexKey(active, first)}); err != nil || got[0] != nil {
			t.Errorf("the ghost is still there: %v", err)
		}
		reveals(t, rotated, first, "us_ssn", vals[0])

		// The probe sequence is bounded.
		full := colliding(ring(t, "k1", k1), connect())
		var many []Item
		for i := range maxProbes + 1 {
			many = append(many, Item{"passport", fmt.Sprintf("P%08d", i)})
		}
		if _, err := full.Tokenize(ctx, many); !errors.Is(err, errProbes) || errors.Is(err, ErrInvalid) || strings.Contains(err.Error(), "P0000") {
			t.Errorf("%d colliding values: %v", len(many), err)
		}
	})

	t.Run("Unknown", func(t *testing.T) {
		v := New(ring(t, "k1", k1), open(t)())
		other := New(ring(t, "k9", testKey("k9", 9)), NewMemoryStore())
		never := tokenize(t, other, Item{"us_ssn", "123-45-6789"}, Item{"credit_card", "4111111111111111"}, Item{"phone", "+14155552671"})
		unknown(t, v, append(never, "", "hello", "vt.", "vt.2abcdefgh", "123-45-6789", "+999 123", strings.Repeat("9", 16), "vt.\x00\xff")...)
	})

	t.Run("Tampered", func(t *testing.T) {
		s := open(t)()
		keys := ring(t, "k1", k1)
		v := New(keys, s).(*vault)
		toks := tokenize(t, v, Item{"us_ssn", "219-09-9999"}, Item{"us_ssn", "078-05-1120"})
		key0, key1 := indexKey(keys.active(), toks[0]), indexKey(keys.active(), toks[1])
		envs, err := s.Get(ctx, []string{key0, key1})
		if err != nil {
			t.Fatal(err)
		}
		put := func(key string, env []byte) {
			if _, err := s.Delete(ctx, []string{key}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.PutIfAbsent(ctx, []string{key}, [][]byte{env}); err != nil {
				t.Fatal(err)
			}
		}
		// Every single flipped byte: never a wrong value.
		for i := range envs[0] {
			bad := bytes.Clone(envs[0])
			bad[i] ^= 0x20
			put(key0, bad)
			if r := detokenize(t, v, toks[0])[0]; r.Found {
				t.Fatalf("byte %d flipped: read %+v", i, r)
			}
		}
		// The second token's envelope under the first's index: does not
		// open (the token is authenticated).
		put(key0, envs[1])
		if r := detokenize(t, v, toks[0])[0]; r.Found {
			t.Errorf("a moved envelope reads %+v", r)
		}
		put(key0, envs[0])
		reveals(t, v, toks[0], "us_ssn", "219-09-9999")
	})

	t.Run("Invalid", func(t *testing.T) {
		v := New(ring(t, "k1", k1), open(t)())
		for _, it := range []Item{
			{"veil_token", "vt.9abcdefgh"}, {"favourite_colour", "blue"}, {"", "x"},
			{"credit_card", "4111 1111 111"}, {"us_ssn", "n/a"}, {"email", "  "}, {"phone", "call me"},
		} {
			_, err := v.Tokenize(ctx, []Item{{"us_ssn", "123-45-6789"}, it})
			if !errors.Is(err, ErrInvalid) || errors.Is(err, ErrUnavailable) {
				t.Errorf("%+v: %v", it, err)
				continue
			}
			if strings.TrimSpace(it.Value) != "" && strings.Contains(err.Error(), it.Value) || strings.Contains(err.Error(), "123-45") {
				t.Errorf("the error shows the value: %v", err)
			}
		}
		if toks, err := v.Tokenize(ctx, nil); err != nil || len(toks) != 0 {
			t.Errorf("no items: %q %v", toks, err)
		}
		if got, err := v.Detokenize(ctx, nil); err != nil || len(got) != 0 {
			t.Errorf("no tokens: %v %v", got, err)
		}
	})
}

// luhnValid is the Luhn check of a digit string.
func luhnValid(d string) bool {
	sum, double := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if double {
			if n *= 2; n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}
