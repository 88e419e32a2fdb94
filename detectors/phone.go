package detectors

import (
	"bytes"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Phone finds telephone numbers validated by libphonenumber: the region
// comes from the field (or E.164's '+'), else US. Plain digit runs count
// only in a phone field or after a phone context word; ISO dates, SSN
// shapes and card numbers are never phones.
type Phone struct{}

func (Phone) Name() string     { return "phone" }
func (Phone) Category() string { return CategoryPhone }
func (Phone) trigger() trigger { return trigDigits }

var phoneContext = newContext("phone*", "tel*", "call*", "mobile*", "cell", "fax*", "whatsapp")

func (Phone) Find(dst []Finding, v []byte, f Field) []Finding {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(isDigit(c) || c == '+' || c == '(') || (i > 0 && (isAlnumByte(v[i-1]) || v[i-1] == '-' || v[i-1] == '/' || v[i-1] == '.')) {
			continue
		}
		j, digits, seps, plus := i, 0, 0, c == '+'
		if plus {
			j++
		}
		for j < len(v) {
			b := v[j]
			if isDigit(b) {
				digits++
			} else if b == ' ' || b == '-' || b == '.' || b == '(' || b == ')' {
				if j+1 < len(v) && !(isDigit(v[j+1]) || v[j+1] == '(' || v[j+1] == ' ') {
					break
				}
				seps++
			} else {
				break
			}
			j++
		}
		for j > i && !isDigit(v[j-1]) {
			j--
			seps--
		}
		if digits < 7 || digits > 15 || (j < len(v) && isAlnumByte(v[j])) {
			continue
		}
		cand := v[i:j]
		if notPhone(cand, digits) {
			i = j
			continue
		}
		hinted := f.Hint == CategoryPhone
		if !hinted && !plus && seps == 0 && !hasContext(v[:i], phoneContext) {
			i = j
			continue
		}
		region := f.Region
		if region == "" {
			region = "US"
		}
		conf, ok := validPhone(cand, region, plus, hinted, seps > 0)
		if !ok {
			i = j
			continue
		}
		dst = append(dst, Finding{Category: CategoryPhone, Detector: "phone", Start: i, End: j, Confidence: conf})
		i = j
	}
	return dst
}

// notPhone rejects shapes that are something else: ISO dates, SSNs, cards,
// decimal amounts (10037.50, (3100.00): one '.' and no other separator
// between the first digit and the last).
func notPhone(c []byte, digits int) bool {
	inner := c[bytes.IndexAny(c, "0123456789"):] // from the first digit
	if countSeps(inner) == 1 && bytes.IndexByte(inner, '.') >= 0 {
		return true
	}
	if len(inner) == 10 && inner[4] == '-' && inner[7] == '-' { // 2024-01-31
		return true
	}
	if len(inner) == 11 && inner[3] == '-' && inner[6] == '-' { // 123-45-6789
		return true
	}
	if digits >= 13 && c[0] != '+' && cardGroups(c) {
		d := make([]byte, 0, digits)
		for _, b := range c {
			if isDigit(b) {
				d = append(d, b)
			}
		}
		if knownIIN(d) && luhn(d) {
			return true
		}
	}
	return false
}

// trunkRegions use a leading 0 for national numbers (020 7946 0958): a
// candidate in that form that is not valid in the default region is tried
// in each of them.
var trunkRegions = []string{"GB", "DE", "FR", "IT", "ES", "NL", "BE", "AT", "CH", "IE", "PT", "SE", "PL", "BR", "AU", "IN", "ZA"}

// validPhone decides a candidate: valid for its region (or, in national
// form with a leading 0, for a trunk-prefix region); or, where the shape
// already says phone (a '+' country code, or a field named as a phone), a
// possible number by length. Candidates are at most 15 digits.
func validPhone(cand []byte, region string, plus, hinted, separated bool) (float64, bool) {
	buf := phoneBufs.Get().(*[24]byte)
	defer phoneBufs.Put(buf)
	digits := buf[:0]
	for _, b := range cand {
		if isDigit(b) {
			digits = append(digits, b)
		}
	}
	valid, possible := phoneCheck(cand, digits, plus, region)
	if valid {
		if hinted {
			return 0.97, true
		}
		return 0.85, true
	}
	if !plus && cand[0] == '0' && (hinted || separated) {
		for _, rg := range trunkRegions {
			if v, _ := phoneCheck(cand, digits, false, rg); v {
				if hinted {
					return 0.95, true
				}
				return 0.8, true
			}
		}
	}
	if possible && (plus || hinted) {
		if hinted {
			return 0.9, true
		}
		return 0.75, true
	}
	return 0, false
}

func countSeps(c []byte) int {
	n := 0
	for _, b := range c {
		if !isDigit(b) && b != '+' {
			n++
		}
	}
	return n
}

var phoneBufs = sync.Pool{New: func() any { return new([24]byte) }}

// phoneCheck reports whether the candidate parses in region and is a
// valid, or at least a possible, number: through the compiled metadata,
// or libphonenumber itself where the port defers.
func phoneCheck(cand, digits []byte, plus bool, region string) (valid, possible bool) {
	cc, nsn, st := phoneParse(digits, plus, region)
	switch st {
	case phoneOK:
		if phoneValid(cc, nsn) {
			return true, true
		}
		return false, phonePossible(cc, nsn)
	case phoneDefer:
		num, err := phonenumbers.Parse(string(cand), region)
		if err != nil {
			return false, false
		}
		if phonenumbers.IsValidNumber(num) {
			return true, true
		}
		return false, phonenumbers.IsPossibleNumber(num)
	}
	return false, false
}
