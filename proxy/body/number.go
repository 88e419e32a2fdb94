package body

import (
	"math"
	"strconv"
	"strings"
)

// RoundedDigits returns the digits of the integer a CRM stores for a JSON
// number with a fraction or an exponent that is as long as a card's or an
// account number's (12 to 20 digits): a double's nearest integer
// (4111111111111110.9 and 4.1111111111111109e15 → 4111111111111111), sign
// dropped. Smaller numbers are amounts, not identifiers rounded.
func RoundedDigits(num []byte) ([]byte, bool) {
	s := strings.TrimPrefix(string(num), "-")
	if !strings.ContainsAny(s, ".eE") {
		return nil, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 1e11 || f >= 1e20 {
		return nil, false
	}
	return strconv.AppendFloat(nil, math.Round(f), 'f', 0, 64), true
}

// maxIntegerDigits bounds IntegerDigits: identifiers are far shorter.
const maxIntegerDigits = 40

// IntegerDigits returns the digits of the integer a JSON number written
// with a fraction or an exponent stands for (4.1e2 → 410, -12.00 → 12,
// sign dropped), or false when it is no integer, is written plainly
// already, or has more than maxIntegerDigits digits.
func IntegerDigits(num []byte) ([]byte, bool) {
	s := string(num)
	s = strings.TrimPrefix(s, "-")
	mant, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	intPart, frac, hasFrac := strings.Cut(mant, ".")
	if !hasExp && !hasFrac {
		return nil, false
	}
	e := 0
	if hasExp {
		exp = strings.TrimPrefix(exp, "+")
		neg := strings.HasPrefix(exp, "-")
		exp = strings.TrimLeft(strings.TrimPrefix(exp, "-"), "0")
		if len(exp) > 3 {
			return nil, false
		}
		for _, c := range exp {
			e = e*10 + int(c-'0')
		}
		if neg {
			e = -e
		}
	}
	digits := strings.TrimLeft(intPart+frac, "0")
	if digits == "" { // zero, however written: nothing to scan
		return nil, false
	}
	e -= len(frac)
	if e < 0 {
		if len(digits) < -e || strings.Trim(digits[len(digits)+e:], "0") != "" {
			return nil, false
		}
		digits = digits[:len(digits)+e]
	} else {
		if len(digits)+e > maxIntegerDigits {
			return nil, false
		}
		digits += strings.Repeat("0", e)
	}
	if digits == "" || len(digits) > maxIntegerDigits {
		return nil, false
	}
	return []byte(digits), true
}
