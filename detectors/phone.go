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

// Bounds on one candidate: E.164 allows 15 digits, country code included
// (011 44 20 7946 0958 is 15 with a US international prefix); 40 bytes
// leave room for any separators a person types between them.
const (
	phoneMinDigits = 7
	phoneMaxDigits = 15
	phoneMaxBytes  = 40
)

// Find reads each run of digits and separators once. A run ends where a
// byte can be neither (or a separator is followed by something other than
// a digit, '(' or ' '), wherever it started: every start inside a run
// shares its end. Of the run's starts (a digit, '+' or '(' not glued to
// a letter, digit, '-', '/' or '.'), the first whose candidate fits the
// bounds is the one candidate the run gets, and the scan goes on after
// the run: the work is linear in the value whatever it holds (a run of
// "1 2 3 4 …" a megabyte long is read once, and validated once).
func (Phone) Find(dst []Finding, v []byte, f Field) []Finding {
	for i := 0; i < len(v); i++ {
		if !phoneStart(v, i) {
			continue
		}
		j, digits := i, 0
		if v[i] == '+' {
			j++
		}
		for ; j < len(v); j++ {
			b := v[j]
			if isDigit(b) {
				digits++
			} else if !isPhoneSep(b) || j+1 < len(v) && !(isDigit(v[j+1]) || v[j+1] == '(' || v[j+1] == ' ') {
				break
			}
		}
		// Every start before the run's end ends there too, the ones in
		// its trailing separators ("((((", "( ( ( ") with no digit: the
		// scan goes on at the end whatever becomes of the candidate.
		next := max(i, j-1)
		for j > i && !isDigit(v[j-1]) {
			j--
		}
		if digits < phoneMinDigits || j < len(v) && isAlnumByte(v[j]) {
			i = max(next, j)
			continue
		}
		// The first start from which the run's tail fits the bounds.
		k := i
		for ; k < j && (digits > phoneMaxDigits || j-k > phoneMaxBytes || !phoneStart(v, k)); k++ {
			if isDigit(v[k]) {
				digits--
			}
		}
		if digits >= phoneMinDigits {
			if d := phoneCandidate(v, k, j, digits, f); d.End > 0 {
				dst = append(dst, d)
			}
		}
		i = max(next, j)
	}
	return dst
}

// phoneStart reports whether a candidate may start at v[i]: a digit, '+'
// or '(' that does not continue a word, a number or a date.
func phoneStart(v []byte, i int) bool {
	c := v[i]
	if !(isDigit(c) || c == '+' || c == '(') {
		return false
	}
	if i == 0 {
		return true
	}
	p := v[i-1]
	return !(isAlnumByte(p) || p == '-' || p == '/' || p == '.')
}

func isPhoneSep(b byte) bool { return b == ' ' || b == '-' || b == '.' || b == '(' || b == ')' }

// phoneCandidate decides v[i:j] (digits digits, within the bounds): a
// finding, or one with End 0.
func phoneCandidate(v []byte, i, j, digits int, f Field) Finding {
	cand := v[i:j]
	plus := cand[0] == '+'
	seps := len(cand) - digits
	if plus {
		seps--
	}
	if notPhone(cand, digits) {
		return Finding{}
	}
	hinted := f.Hint == CategoryPhone
	if !hinted && !plus && seps == 0 && !hasContext(v[:i], phoneContext) {
		return Finding{}
	}
	region := f.Region
	if region == "" {
		region = "US"
	}
	conf, ok := validPhone(cand, region, plus, hinted, seps > 0)
	if !ok {
		return Finding{}
	}
	return Finding{Category: CategoryPhone, Detector: "phone", Start: i, End: j, Confidence: conf}
}

// notPhone rejects shapes that are something else: ISO dates, SSNs, cards,
// decimal amounts (10037.50, (3100.00): one '.' and no other separator
// between the first digit and the last).
//
// Nor is a dotted quad (52.85.210.141: four parts of at most three digits,
// each at most 255) anywhere in the candidate an address's part: it is
// an IPv4 address (ipaddress.go), whether or not an IP detector reports
// it. Nor is a calendar date in dotted or dashed day-month-year or
// year-month-day form (02.01.1960, 1960.01.02, 2024-01-31 21:14): a date
// (dob.go).
func notPhone(c []byte, digits int) bool {
	first := 0
	for !isDigit(c[first]) { // a candidate holds digits
		first++
	}
	inner := c[first:] // from the first digit
	if hasDottedQuad(inner) || isDateShape(inner) {
		return true
	}
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

// phoneBufs hold a candidate's digits: they reach the metadata's regexps
// (stripNational), so a buffer on validPhone's stack would be moved to the heap.
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

// hasDottedQuad reports whether c holds a dotted quad: a piece of digits
// and dots, bounded by neither, that is four parts of one to three digits,
// each at most 255.
func hasDottedQuad(c []byte) bool {
	if bytes.Count(c, dot) < 3 { // most phone numbers have none
		return false
	}
	for i := 0; i < len(c); {
		if !isDigit(c[i]) && c[i] != '.' {
			i++
			continue
		}
		j := i
		for j < len(c) && (isDigit(c[j]) || c[j] == '.') {
			j++
		}
		if isDottedQuad(c[i:j]) {
			return true
		}
		i = j
	}
	return false
}

var dot = []byte{'.'}

// isDottedQuad: exactly d{1,3}.d{1,3}.d{1,3}.d{1,3}, each at most 255.
func isDottedQuad(p []byte) bool {
	parts, n, nd := 0, 0, 0
	for k := 0; k <= len(p); k++ {
		if k == len(p) || p[k] == '.' {
			if nd == 0 || n > 255 {
				return false
			}
			parts++
			n, nd = 0, 0
			continue
		}
		if nd++; nd > 3 {
			return false
		}
		n = n*10 + int(p[k]-'0')
	}
	return parts == 4
}

// isDateShape reports whether c (from its first digit) starts with a
// whole date, alone or before a space or a parenthesis: dd.mm.yyyy,
// dd-mm-yyyy, mm.dd.yyyy, yyyy-mm-dd, yyyy.mm.dd (one or two digits for
// the day and month), the same separator twice, the date a real one
// (02.01.1960; 2024-01-31 21:14, a date and a time).
func isDateShape(c []byte) bool {
	n := 0
	for n < len(c) && n <= 10 && (isDigit(c[n]) || c[n] == '-' || c[n] == '.') {
		n++
	}
	if n < 8 || n > 10 {
		return false
	}
	end, ok := matchNumericDate(c[:n])
	return ok && end == n
}
