package detectors

import "github.com/nyaruka/phonenumbers"

// CreditCard finds payment card numbers: 13–19 digits in a known network's
// IIN range with a valid Luhn check digit, written plain or in groups as
// cards print them (fours, the last group 1–4; 4-6-4/5/6; 8-8), the groups
// joined by any short run of separators (groups.go). A number glued to
// letters (Visa4111…, 4111…x) counts in a card field or after a card
// word; one after a '+' unless it is a valid phone number with that
// country code (16 digits or more never are: E.164 stops at 15). Trailing
// digits (a CVV, an expiry: 4111 1111 1111 1111 .12/29, 4111…,123) are
// not swallowed: the shortest valid window of groups is taken.
type CreditCard struct{}

func (CreditCard) Name() string     { return "credit_card" }
func (CreditCard) Category() string { return CategoryCreditCard }
func (CreditCard) trigger() trigger { return trigThirteen }
func (CreditCard) canonical()       {}

// cardContext: the words that let a number glued to letters count.
var cardContext = newContext("card*", "visa", "mastercard", "amex")

// maxCardGroups is the most groups a card is printed in (4-4-4-4-3).
const maxCardGroups = 5

func (CreditCard) Find(dst []Finding, v []byte, f Field) []Finding {
	conf := 0.9
	if f.Hint == CategoryCreditCard {
		conf = 0.99
	}
	var (
		ring    [maxCardGroups]digitGroup // the current run's last groups, oldest first
		n       int
		lastEnd int // findings do not overlap
		buf     [19]byte
	)
	gr := newGroupReader(v)
	for {
		g, ok := gr.next()
		if !ok {
			return dst
		}
		if !g.joined {
			n = 0
		}
		if n == len(ring) {
			copy(ring[:], ring[1:])
			n--
		}
		ring[n] = g
		n++
		// The windows ending at g, shortest first.
		digits := 0
		for k := n - 1; k >= 0; k-- {
			w := ring[k:n]
			digits += w[0].len()
			if digits > 19 {
				break
			}
			if digits < 13 || w[0].start < lastEnd || !cardGrouping(w) {
				continue
			}
			d := buf[:0]
			for _, x := range w {
				d = append(d, v[x.start:x.end]...)
			}
			if !knownIIN(d) || !luhn(d) {
				continue
			}
			s, e := w[0].start, g.end
			runStart := !w[0].joined
			gluedL := runStart && s > 0 && isUpperOrLower(v[s-1])
			gluedR := e < len(v) && isUpperOrLower(v[e])
			if gluedL || gluedR {
				// Letters around the digits: a card word must say so, and
				// the word may hold no other digits (an id, a hash).
				if !gluedToken(v, s, e) || !(f.Hint == CategoryCreditCard || hasContext(v[:s], cardContext)) {
					continue
				}
			}
			if runStart && s > 0 && v[s-1] == '+' && len(d) <= 15 && plusPhone(d) {
				continue // +49 151 …: a phone's country code
			}
			dst = append(dst, Finding{Category: CategoryCreditCard, Detector: "credit_card", Start: s, End: e, Confidence: conf})
			lastEnd = e
			break
		}
	}
}

// cardGrouping accepts the groups of a window as cards print them: one
// group; fours, the last 1–4; 4-6-4, 4-6-5, 4-6-6; 8-8.
func cardGrouping(w []digitGroup) bool {
	if len(w) == 1 {
		return true
	}
	switch w[0].len() {
	case 8:
		return len(w) == 2 && w[1].len() == 8
	case 4:
		if len(w) == 3 && w[1].len() == 6 && w[2].len() >= 4 && w[2].len() <= 6 {
			return true
		}
		for i, x := range w[1:] {
			if l := x.len(); l != 4 && !(i == len(w)-2 && l >= 1 && l < 4) {
				return false
			}
		}
		return true
	}
	return false
}

// plusPhone reports whether '+' followed by digits d is a valid phone
// number (libphonenumber): such a number is not a card.
func plusPhone(d []byte) bool {
	num, err := phonenumbers.Parse("+"+string(d), "ZZ")
	return err == nil && phonenumbers.IsValidNumber(num)
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

// cardGroups (Phone's: one raw candidate, single separators) accepts an unseparated number, or separated groups as cards
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
