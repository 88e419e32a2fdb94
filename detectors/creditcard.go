package detectors

// CreditCard finds payment card numbers: 13–19 digits (single space or dash
// separators), a known network's IIN range, and a valid Luhn check digit.
type CreditCard struct{}

func (CreditCard) Name() string     { return "credit_card" }
func (CreditCard) Category() string { return CategoryCreditCard }
func (CreditCard) trigger() trigger { return trigDigits }

func (CreditCard) Find(dst []Finding, v []byte, f Field) []Finding {
	var buf [32]byte
	conf := 0.9
	if f.Hint == CategoryCreditCard {
		conf = 0.99
	}
	for pos := 0; ; {
		r, next, ok := nextDigitRun(v, pos, " -", buf[:0])
		if !ok {
			break
		}
		pos = next
		if len(r.digits) < 13 || len(r.digits) > 19 || !knownIIN(r.digits) || !luhn(r.digits) {
			continue
		}
		if r.start > 0 && v[r.start-1] == '+' { // +49 151 …: a phone's country code
			continue
		}
		if !cardGroups(v[r.start:r.end]) {
			continue
		}
		dst = append(dst, Finding{Category: CategoryCreditCard, Detector: "credit_card", Start: r.start, End: r.end, Confidence: conf})
	}
	return dst
}

func prefixNum(d []byte, n int) int {
	x := 0
	for i := 0; i < n && i < len(d); i++ {
		x = x*10 + int(d[i]-'0')
	}
	return x
}

// knownIIN checks the issuer ranges of the major networks.
func knownIIN(d []byte) bool {
	n := len(d)
	p1, p2, p3, p4, p6 := prefixNum(d, 1), prefixNum(d, 2), prefixNum(d, 3), prefixNum(d, 4), prefixNum(d, 6)
	switch {
	case p1 == 4: // Visa
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p2 == 34 || p2 == 37: // Amex
		return n == 15
	case p4 == 6011, p3 >= 644 && p3 <= 649, p2 == 65, p6 >= 622126 && p6 <= 622925: // Discover
		return n >= 16 && n <= 19
	case p4 >= 3528 && p4 <= 3589: // JCB
		return n >= 16 && n <= 19
	case p2 == 36, p2 == 38, p3 >= 300 && p3 <= 305: // Diners
		return n >= 14 && n <= 19
	case p2 == 62: // UnionPay
		return n >= 16 && n <= 19
	case p2 == 50, p2 >= 56 && p2 <= 58, p2 == 63, p2 == 67: // Maestro
		return n >= 12 && n <= 19
	}
	return false
}

// cardGroups accepts an unseparated number, or separated groups as cards
// print them: fours (the last group may be shorter: 19 digits), or Amex /
// Diners 4-6-5 and 4-6-4.
func cardGroups(raw []byte) bool {
	var groups []int
	n := 0
	for _, c := range raw {
		if isDigit(c) {
			n++
			continue
		}
		groups = append(groups, n)
		n = 0
	}
	groups = append(groups, n)
	if len(groups) == 1 {
		return true
	}
	if len(groups) == 3 && groups[0] == 4 && groups[1] == 6 && (groups[2] == 5 || groups[2] == 4) {
		return true
	}
	for i, g := range groups {
		if g != 4 && !(i == len(groups)-1 && g >= 1 && g < 4) {
			return false
		}
	}
	return true
}
