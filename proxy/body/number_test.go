package body

import (
	"math/big"
	"strings"
	"testing"
)

func TestIntegerDigitsOfJSONNumbers(t *testing.T) {
	for num, want := range map[string]string{
		"4111111111111111.0":    "4111111111111111",
		"4.111111111111111e15":  "4111111111111111",
		"4111111111111111E0":    "4111111111111111",
		"-41111111111111110e-1": "4111111111111111",
		"0.4111111111111111e16": "4111111111111111",
		"12.00":                 "12",
		"4111111111111111":      "", // plain: scanned as written
		"1.5":                   "",
		"-0.0":                  "",
		"1e400":                 "",
		"1e-400":                "",
		"1e99999999999999999":   "",
	} {
		got, ok := IntegerDigits([]byte(num))
		if string(got) != want || ok != (want != "") {
			t.Errorf("%s: %q %v, want %q", num, got, ok, want)
		}
	}
}

func TestRoundedDigits(t *testing.T) {
	for num, want := range map[string]string{
		"4111111111111110.9":    "4111111111111111",
		"4111111111111111.2":    "4111111111111111",
		"-411111111111.5":       "411111111112",
		"12345.67":              "", // an amount
		"4111111111111111":      "", // no fraction: scanned as written
		"4.1e15":                "4100000000000000",
		"4.1111111111111109e15": "4111111111111111",
		"41111111111111109e-1":  "4111111111111111",
		"1.5e3":                 "", // an amount
	} {
		got, ok := RoundedDigits([]byte(num))
		if string(got) != want || ok != (want != "") {
			t.Errorf("%s: %q %v, want %q", num, got, ok, want)
		}
	}
}

// FuzzIntegerDigits: a JSON number written with a fraction or an exponent
// is scanned as the integer it stands for (4.111111111111111e15 is a card
// number to the CRM). For every number WalkJSON accepts, IntegerDigits
// returns exactly the digits of its absolute value when that is an
// integer of 1 to maxIntegerDigits digits written with a fraction or an
// exponent (of at most three digits), and nothing otherwise.
func FuzzIntegerDigits(f *testing.F) {
	for _, s := range []string{"4.111111111111111e15", "4111111111111111.0", "-12.00", "4.1e2", "41E+1", "1e-1", "0.0", "1e999", "123", "1.5", "10e-1", "0.000e5", "1e40", "1e39", "4.1e0002", "-0e-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, num string) {
		var kind Kind
		if WalkJSON([]byte(num), Limits{}, func(v *Value) error {
			kind, num = v.Kind, string(v.Str) // the literal, without the spaces around it
			return nil
		}) != nil || kind != KindNumber {
			return
		}
		got, ok := IntegerDigits([]byte(num))
		want, wantOK := refIntegerDigits(num)
		if ok != wantOK || string(got) != want {
			t.Fatalf("IntegerDigits(%q) = %q, %v; want %q, %v", num, got, ok, want, wantOK)
		}
	})
}

// refIntegerDigits is what IntegerDigits must return, computed with
// math/big: the digits of |num| when it is an integer of 1 to
// maxIntegerDigits digits and num has a fraction or an exponent, whose
// digits (leading zeros aside) are at most three.
func refIntegerDigits(num string) (string, bool) {
	lower := strings.ToLower(num)
	if !strings.ContainsAny(lower, ".e") {
		return "", false
	}
	if _, exp, ok := strings.Cut(lower, "e"); ok && len(strings.TrimLeft(strings.TrimLeft(exp, "+-"), "0")) > 3 {
		return "", false
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		panic("big.Rat refuses the JSON number " + num)
	}
	if !r.IsInt() || r.Sign() == 0 {
		return "", false
	}
	d := new(big.Int).Abs(r.Num()).String()
	if len(d) > maxIntegerDigits {
		return "", false
	}
	return d, true
}
