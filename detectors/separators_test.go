package detectors

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
)

// The red team's forms: a card number, an SSN or an IBAN written with odd
// separators, Unicode digits and spaces, invisible characters, glued to
// letters or signs, followed by a CVV or an expiry. Each must be found,
// its span in the original bytes; the negative controls must not.

var separatorCases = []scanCase{
	// Cards.
	{"4111.1111.1111.1111", "Description", "credit_card"},
	{"4111  1111  1111  1111", "Description", "credit_card"},
	{"4111 - 1111 - 1111 - 1111", "Description", "credit_card"},
	{"4111/1111/1111/1111", "Description", "credit_card"},
	{"4111_1111_1111_1111", "Description", "credit_card"},
	{"4111\t1111\t1111\t1111", "Description", "credit_card"},
	{"4111\n1111\n1111\n1111", "Description", "credit_card"},
	{"4111\r\n1111\r\n1111\r\n1111", "Description", "credit_card"},
	{"4111\u00a01111\u00a01111\u00a01111", "Description", "credit_card"},
	{"4111\u20091111\u20091111\u20091111", "Description", "credit_card"},
	{"4111\u202f1111\u202f1111\u202f1111", "Description", "credit_card"},
	{"4111\u30001111\u30001111\u30001111", "Description", "credit_card"},
	{"4111\u200b1111\u200c1111\u200d1111", "Description", "credit_card"},
	{"4111\u20601111\ufeff1111\u00ad1111", "Description", "credit_card"},
	{"4\u200b1\u200b1\u200b1\u200b111111111111", "Description", "credit_card"}, // invisible anywhere
	{"4111\x001111\x001111\x001111", "Description", "credit_card"},
	{"4111\u20131111\u20131111\u20131111", "Description", "credit_card"}, // en dash
	{"４１１１４１１１４１１１４１１１", "Description", "credit_card"},                   // wait: not Luhn-valid, see below
	{"４１１１１１１１１１１１１１１１", "Description", "credit_card"},
	{"４１１１ １１１１ １１１１ １１１１", "Description", "credit_card"},
	{"\u0664\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661", "Description", "credit_card"}, // Arabic-Indic
	{"𝟒𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏", "Description", "credit_card"},                                                                                 // mathematical bold
	{"Visa4111111111111111", "Description", "credit_card"},
	{"card4111111111111111", "Description", "credit_card"},
	{"Card 4111111111111111exp", "Description", "credit_card"},
	{"+4111111111111111", "Description", "credit_card"},
	{"4111111111111111,123", "Description", "credit_card"},
	{"4111 1111 1111 1111 .12/29", "Description", "credit_card"},
	{"4111111111111111.12/29", "Description", "credit_card"},
	{"4111-1111-1111-1111 123", "Description", "credit_card"},
	{"3782 822463 10005", "Description", "credit_card"},       // 4-6-5
	{"3056 930902 5904", "Description", "credit_card"},        // 4-6-4
	{"6011 000990 139424", "Description", "credit_card"},      // 4-6-6
	{"41111111 11111111", "Description", "credit_card"},       // 8-8
	{"4111 1111 1111 1111 110", "Description", "credit_card"}, // 4-4-4-4-3
	{"ref 12 4111 1111 1111 1111", "Description", "credit_card"},
	// Not cards.
	{"x4111111111111111", "Description", ""},          // glued, no card word
	{"Visa 0015g4111111111111111", "Description", ""}, // in a word with other digits: an id
	{"card 4111111111111111AB1", "Description", ""},   // the same, digits after
	{"411 1111 1111 11111", "Description", ""},        // not a card's grouping
	{"4111    1111 1111 1111", "Description", ""},     // four separators
	{"4111,1111,1111,1111", "Description", ""},        // commas are not separators
	{"1111 4111 1111 1111 1112", "Description", ""},   // no valid window
	{"Call +1 206 555 0100", "Description", "phone"},
	{"SKU 4111-AB-1111-1111", "Description", ""},
	{"0015g00000XyZ12AAB 003Dn00000000Abc", "Description", ""},
	// SSNs.
	{"123.45.6789", "Description", "us_ssn"},
	{"123 - 45 - 6789", "Description", "us_ssn"},
	{"123/45/6789", "Description", "us_ssn"},
	{"123_45_6789", "Description", "us_ssn"},
	{"123\u00a045\u00a06789", "Description", "us_ssn"},
	{"123\u200b45\u200b6789", "Description", "us_ssn"}, // invisible separators
	{"１２３－４５－６７８９", "Description", "us_ssn"},
	{"SSN123-45-6789", "Description", "us_ssn"},
	{"ssn078051120", "Description", "us_ssn"},
	// Not SSNs.
	{"123.45-6789", "Description", ""},     // two different separators
	{"1.123.45.6789", "Description", ""},   // a longer dotted number
	{"192.168.10.1234", "Description", ""}, // not 3-2-4 from its start
	{"A123.45.6789", "Description", ""},    // glued, no word
	{"123\u200b456789", "Description", ""}, // one invisible break: plain, no word
	{"12.345.6789", "Description", ""},
	// IBANs.
	{"DE89-3704-0044-0532-0130-00", "Description", "iban"},
	{"DE89.3704.0044.0532.0130.00", "Description", "iban"},
	{"DE89 3704 0044 0532 0130 00", "Description", "iban"},
	{"DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000", "Description", "iban"},
	{"DE89\u200b3704\u200b0044\u200b0532\u200b0130\u200b00", "Description", "iban"},
	{"ＤＥ８９ ３７０４ ００４４ ０５３２ ０１３０ ００", "Description", "iban"},
	{"GB82 - WEST - 1234 - 5698 - 7654 - 32", "Description", "iban"},
	{"DE89 3704 0044 0532 0130 01", "Description", ""},    // mod-97 fails
	{"DE89    3704 0044 0532 0130 00", "Description", ""}, // four separators
}

// digitControls hold no card, SSN or IBAN (other detectors may find
// something in them: a phone, an IP address).
var digitControls = []string{
	"Amount 10037.50 paid 2025-06-08T21:14:00.000+0000",
	"Server 52.85.210.141 version 1.2.3.4",
	"123.45.6789.12",
	"Created 2025-06-08T21:14:00.000+0000 by 0055g00000AbCdEAAZ",
	"Order 2025-000123-4567, SKU AB-4111-1111, total 1,234,567.89",
	"v4.1.11.1111 build 4111.1111",
	"+1 206 555 0100 / +44 20 7946 0958",
	"Opportunity 0065g000004111111AAA closed",
	"00Q5g0000041111111 a0B4111111111111",
	"2024/01/31 12:00:00 - 2024/02/29 23:59:59",
	"10.0.0.1 172.16.254.1 192.168.100.200",
	"Qty 4111 x 1111 = 1111 1111",
}

func TestDigitControls(t *testing.T) {
	s := NewScanner(Default())
	for _, v := range digitControls {
		for _, fd := range s.Scan(nil, []byte(v), ClassifyField("Description")) {
			if fd.Category == CategoryCreditCard || fd.Category == CategoryUSSSN || fd.Category == CategoryIBAN {
				t.Errorf("%q: %+v (%q)", v, fd, v[fd.Start:fd.End])
			}
		}
	}
}

func TestSeparatorForms(t *testing.T) {
	var cases []scanCase
	for _, c := range separatorCases {
		if strings.HasPrefix(c.v, "４１１１４") { // not Luhn-valid: a negative
			c.want = ""
		}
		cases = append(cases, c)
	}
	checkScan(t, cases)
}

// TestSeparatorSpans: findings read in the canonical view are reported in
// the original bytes.
func TestSeparatorSpans(t *testing.T) {
	s := NewScanner(Default())
	for _, c := range []struct{ v, want string }{
		{"Paid ４１１１１１１１１１１１１１１１ today", "４１１１１１１１１１１１１１１１"},
		{"Paid \u200b4111\u200b1111\u200b1111\u200b1111\u200b today", "4111\u200b1111\u200b1111\u200b1111"},
		{"x\u00a0４１１１\u00a01111\u30001111\u202f1111\u00ad,123", "４１１１\u00a01111\u30001111\u202f1111"},
		{"SSN: 123\u200b45\u200b6789 ok", "123\u200b45\u200b6789"},
		{"é 123.45.6789 é", "123.45.6789"},
		{"IBAN ＤＥ８９\u00a03704 0044 0532 0130 00.", "ＤＥ８９\u00a03704 0044 0532 0130 00"},
	} {
		got := s.Scan(nil, []byte(c.v), ClassifyField("Description"))
		if len(got) != 1 {
			t.Errorf("%q: got %+v, want one finding", c.v, got)
			continue
		}
		if span := c.v[got[0].Start:got[0].End]; span != c.want {
			t.Errorf("%q: span %q, want %q", c.v, span, c.want)
		}
	}
}

// TestNdValues: every Unicode decimal digit maps to its value.
func TestNdValues(t *testing.T) {
	for _, z := range ndZeros {
		for d := range rune(10) {
			if !unicode.Is(unicode.Nd, z+d) {
				t.Fatalf("U+%04X is not a digit: the Nd runs are not tens", z+d)
			}
			if got := ndValue(z + d); got != int(d) {
				t.Fatalf("ndValue(U+%04X) = %d, want %d", z+d, got, d)
			}
		}
	}
	if len(ndZeros) < 60 {
		t.Fatalf("%d Nd runs", len(ndZeros))
	}
}

func TestNeedsCanon(t *testing.T) {
	for _, c := range []struct {
		v    string
		want bool
	}{
		{"", false}, {"plain ascii text, 4111 1111 1111 1111", false}, {"tabs\tand\nnewlines\r\nonly here", false},
		{"a NUL\x00 here", true}, {"0123456789abcdef\x01", true}, {"é", true}, {"long ascii then ü at the end", true},
	} {
		if got := needsCanon([]byte(c.v)); got != c.want {
			t.Errorf("needsCanon(%q) = %v", c.v, got)
		}
	}
}

// separatorForms are what FuzzSeparatorsKeepFindings writes between groups.
var separatorForms = []string{"", " ", "  ", "-", " - ", ".", "/", "_", "\t", "\n", "\r\n", " .",
	"\u00a0", "\u2009", "\u202f", "\u3000", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\x00",
	"\u2013", " \u00a0", "\u2212", "\uff0d", "\uff0e"}

// digitForms write one ASCII digit: as is, full-width, Arabic-Indic,
// Devanagari, mathematical bold.
var digitForms = []func(byte) string{
	func(c byte) string { return string(c) },
	func(c byte) string { return string(rune(0xFF10 + int(c-'0'))) },
	func(c byte) string { return string(rune(0x0660 + int(c-'0'))) },
	func(c byte) string { return string(rune(0x0966 + int(c-'0'))) },
	func(c byte) string { return string(rune(0x1D7CE + int(c-'0'))) },
}

// keepValues are valid values, their groups as written, the category.
var keepValues = []struct {
	groups   []string
	category string
	prefixes []string
	suffixes []string
}{
	{[]string{"4111", "1111", "1111", "1111"}, CategoryCreditCard, []string{"", "Card ", "card", "Visa", "+", "paid with "}, []string{"", ",123", " .12/29", " exp", " 123"}},
	{[]string{"41111111", "11111111"}, CategoryCreditCard, []string{"", "Visa "}, []string{"", ",123"}},
	{[]string{"5555", "5555", "5555", "4444"}, CategoryCreditCard, []string{"", "MC: ", "mastercard"}, []string{"", " .01/30"}},
	{[]string{"3782", "822463", "10005"}, CategoryCreditCard, []string{"", "Amex ", "amex"}, []string{"", ",1234"}},
	{[]string{"3056", "930902", "5904"}, CategoryCreditCard, []string{"", "Diners "}, []string{""}},
	{[]string{"6011", "1111", "1111", "1117"}, CategoryCreditCard, []string{"", "Discover "}, []string{"", "."}},
	{[]string{"3530", "1113", "3330", "0000"}, CategoryCreditCard, []string{"", "JCB "}, []string{""}},
	{[]string{"6200", "0000", "0000", "0005"}, CategoryCreditCard, []string{"", "UnionPay "}, []string{""}},
	{[]string{"4222", "2222", "2222", "2"}, CategoryCreditCard, []string{"", "Card "}, []string{"", " ok"}},
	{[]string{"078", "05", "1120"}, CategoryUSSSN, []string{"SSN ", "ssn", "SSN: ", "Social Security "}, []string{"", " ok", "."}},
	{[]string{"123", "45", "6789"}, CategoryUSSSN, []string{"SSN ", "ssn#"}, []string{"", ","}},
	{[]string{"DE89", "3704", "0044", "0532", "0130", "00"}, CategoryIBAN, []string{"", "IBAN ", "Pay to "}, []string{"", " thanks", "."}},
	{[]string{"GB82", "WEST", "1234", "5698", "7654", "32"}, CategoryIBAN, []string{"", "IBAN: "}, []string{""}},
	{[]string{"FR76", "3000", "6000", "0112", "3456", "7890", "189"}, CategoryIBAN, []string{""}, []string{"", " "}},
}

// FuzzSeparatorsKeepFindings: a valid card, SSN or IBAN, whatever
// separator (the same one in every gap), digit form, word or sign before
// and trailing digits after, is found, its span exactly its characters
// in the original bytes.
func FuzzSeparatorsKeepFindings(f *testing.F) {
	for v := range keepValues {
		for sep := range separatorForms {
			f.Add(uint8(v), uint8(sep), uint8(sep%len(digitForms)), uint8(sep), uint8(sep/2))
		}
	}
	s := NewScanner(Default())
	f.Fuzz(func(t *testing.T, vi, si, di, pi, xi uint8) {
		kv := keepValues[int(vi)%len(keepValues)]
		sep := separatorForms[int(si)%len(separatorForms)]
		digit := digitForms[int(di)%len(digitForms)]
		prefix := kv.prefixes[int(pi)%len(kv.prefixes)]
		suffix := kv.suffixes[int(xi)%len(kv.suffixes)]
		var plain strings.Builder
		for _, g := range kv.groups {
			plain.WriteString(g)
		}
		if prefix == "+" && plain.Len() < 16 {
			prefix = ""
		}
		v, start, end := keepValue(prefix, kv.groups, sep, digit, suffix)
		got := s.Scan(nil, []byte(v), ClassifyField("Description"))
		for _, fd := range got {
			if fd.Category == kv.category && fd.Start == start && fd.End == end {
				return
			}
		}
		t.Fatalf("%q: want %s at %d:%d (%q), got %+v", v, kv.category, start, end, v[start:end], got)
	})
}

// keepValue writes prefix, the groups joined by sep with their digits in
// digit's form, and suffix; start and end are where the groups stand.
func keepValue(prefix string, groups []string, sep string, digit func(byte) string, suffix string) (v string, start, end int) {
	var b strings.Builder
	b.WriteString(prefix)
	start = b.Len()
	for i, g := range groups {
		if i > 0 {
			b.WriteString(sep)
		}
		for j := 0; j < len(g); j++ {
			if isDigit(g[j]) {
				b.WriteString(digit(g[j]))
			} else {
				b.WriteByte(g[j])
			}
		}
	}
	end = b.Len()
	b.WriteString(suffix)
	return b.String(), start, end
}

// TestSeparatorsKeepFindingsGrid runs the fuzz target's whole grid, not
// only the seeds, so every combination is held in plain go test.
func TestSeparatorsKeepFindingsGrid(t *testing.T) {
	s := NewScanner(Default())
	fails := 0
	for _, kv := range keepValues {
		for _, sep := range separatorForms {
			for di, digit := range digitForms {
				for _, prefix := range kv.prefixes {
					for _, suffix := range kv.suffixes {
						if prefix == "+" && len(strings.Join(kv.groups, "")) < 16 {
							continue
						}
						v, start, end := keepValue(prefix, kv.groups, sep, digit, suffix)
						ok := false
						for _, fd := range s.Scan(nil, []byte(v), ClassifyField("Description")) {
							ok = ok || fd.Category == kv.category && fd.Start == start && fd.End == end
						}
						if !ok && fails < 20 {
							fails++
							t.Errorf("%q (digits %d): want %s at %d:%d, got %+v", v, di, kv.category, start, end, s.Scan(nil, []byte(v), ClassifyField("Description")))
						}
					}
				}
			}
		}
	}
}

// digitAdversarial are shapes for the digit detectors: long runs of digits
// and separators, card heads that never end, Unicode between digits.
var digitAdversarial = []struct{ name, unit string }{
	{"ones_spaced", "1 1 1 1 "},
	{"visa_heads", "4111."},
	{"cards", "4111 1111 1111 1111 "},
	{"mixed_seps", "4111 - 1111_1111/1111\t"},
	{"ssn_heads", "123.45."},
	{"long_run", "1111111111"},
	{"iban_heads", "DE89 3704 "},
	{"unicode_spaces", "4\u00a01\u20091\u200b1\u3000"},
	{"fullwidth", "４１１１\u00a0"},
}

func digitAdversarialValue(unit string, size int) []byte {
	b := make([]byte, 0, size+len(unit))
	for len(b) < size {
		b = append(b, unit...)
	}
	return b[:size]
}

// BenchmarkDigitsAdversarial: the card, SSN and IBAN detectors on the
// canonical view, and the view itself, at 10 KB to 10 MB; ns/byte must
// stay flat.
func BenchmarkDigitsAdversarial(b *testing.B) {
	dets := []struct {
		name string
		d    Detector
	}{{"card", CreditCard{}}, {"ssn", SSN{}}, {"iban", IBAN{}}}
	for _, in := range digitAdversarial {
		for _, size := range []int{10 << 10, 100 << 10, 1 << 20, 10 << 20} {
			v := digitAdversarialValue(in.unit, size)
			name := fmt.Sprintf("%dKB", size>>10)
			b.Run(fmt.Sprintf("canon/%s/%s", in.name, name), func(b *testing.B) {
				b.SetBytes(int64(len(v)))
				cv := new(canonView)
				for b.Loop() {
					if needsCanon(v) {
						cv.build(v)
					}
				}
			})
			text := v
			f := Field{context: contextMask(v)}
			if needsCanon(v) {
				cv := new(canonView)
				cv.build(v)
				text, f.canon = cv.b, cv
			}
			for _, d := range dets {
				b.Run(fmt.Sprintf("%s/%s/%s", d.name, in.name, name), func(b *testing.B) {
					b.SetBytes(int64(len(v)))
					var dst []Finding
					for b.Loop() {
						dst = d.d.Find(dst[:0], text, f)
					}
				})
			}
		}
	}
}
