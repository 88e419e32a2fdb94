package detectors

import "bytes"

// VeilToken finds the tokens Veil's vault writes in place of values, so
// that responses can be detokenized for authorised readers. The grammar is
// exact and carries its own check, so a token is recognised with
// certainty and nothing else is:
//
//	text   "vt." + n base32 chars + 1 check char      n = 7..40 (an SSN's 11
//	       characters, an IBAN's length, or 20 for free text); Crockford
//	       base32 lower case, the check is the weighted sum mod 32. The
//	       body's first char is the category the token stands for
//	       (TokenCode), so the policy can tell an SSN's token from an
//	       e-mail's without asking the vault
//	email  a text token + "@veil.invalid" (RFC 2606 reserved TLD)
//	phone  "+999 " + 8..11 digits + 1 check digit (+999 is an unassigned
//	       ITU code: never a real number)
//	card   16 digits: "99" + 9 token digits + 1 check digit + the value's
//	       last 4, the check chosen so the Luhn sum is 5 mod 10: never a
//	       valid PAN. A check digit catches only 9 in 10 other numbers, so
//	       a stray 16-digit "99…" number may read as a token; detokenizing
//	       it finds nothing and yields a redaction, never a wrong value.
//
// The format functions (TextToken, EmailToken, PhoneToken, CardToken) are
// what the vault uses to write them, and TokenCategory reads the category
// back; one grammar, one place.
type VeilToken struct{}

func (VeilToken) Name() string     { return "veil_token" }
func (VeilToken) Category() string { return CategoryVeilToken }
func (VeilToken) trigger() trigger { return trigToken | trigThirteen }

const (
	tokenPrefix   = "vt."
	tokenDomain   = "@veil.invalid"
	tokenPhone    = "+999 "
	tokenAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	tokenMinBody  = 7
	tokenMaxBody  = 40
)

// TokenAlphabet is the alphabet of a text token's body (Crockford base32,
// lower case): the vault draws token bodies from it.
const TokenAlphabet = tokenAlphabet

// tokenCategories are the categories a text token can stand for, indexed
// by the value of the body's first char. Append only: a token written
// today must read the same category forever. Index 0 is a token of no
// known category.
var tokenCategories = [...]string{
	"", CategoryPersonName, CategoryEmail, CategoryPhone, CategoryStreetAddress, CategoryPostalCode,
	CategoryDateOfBirth, CategoryIPAddress, CategoryCreditCard, CategoryUSSSN, CategoryUSITIN, CategoryIBAN,
	CategoryBankAccount, CategoryUKNINO, CategoryUKNHS, CategoryBRCPF, CategoryCASIN, CategoryUSMBI,
	CategoryUSNPI, CategoryPassport, CategorySecret,
}

// TokenCode is the first body char of a text token standing for a value
// of category; false for a category no token stands for.
func TokenCode(category string) (byte, bool) {
	for i, c := range tokenCategories {
		if i > 0 && c == category {
			return tokenAlphabet[i], true
		}
	}
	return 0, false
}

// TokenCategory is the category of the value a token stands for: phone for
// a phone token, credit_card for a card token, a text token's (e-mail
// tokens included) from its first body char; "" when tok is not a whole
// token or names no category.
func TokenCategory(tok []byte) string {
	if matchToken(tok, 0) != len(tok) {
		return ""
	}
	switch {
	case hasPrefix(tok, tokenPhone):
		return CategoryPhone
	case hasPrefix(tok, tokenPrefix):
		if v := int(tokenValue[tok[len(tokenPrefix)]]); v < len(tokenCategories) {
			return tokenCategories[v]
		}
		return ""
	}
	return CategoryCreditCard
}

// tokenValue maps a base32 char to its value, or -1. A function-built
// var, not init: package-level tokens built from it initialise first.
var tokenValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(tokenAlphabet); i++ {
		t[tokenAlphabet[i]] = int8(i)
	}
	return t
}()

func tokenCheck(body []byte) byte {
	sum := 0
	for i, c := range body {
		sum += (i + 1) * int(tokenValue[c])
	}
	return tokenAlphabet[sum%32]
}

// TextToken returns the text token for body, which must be 7..40 chars of
// the base32 alphabet "0123456789abcdefghjkmnpqrstvwxyz".
func TextToken(body string) string {
	return tokenPrefix + body + string(tokenCheck([]byte(body)))
}

// EmailToken returns the email form of a text token body.
func EmailToken(body string) string { return TextToken(body) + tokenDomain }

// PhoneToken returns the phone token for 8..11 digits.
func PhoneToken(digits string) string {
	return tokenPhone + digits + string(rune('0'+digitCheck([]byte(digits))))
}

// CardToken returns the card token for 9 token digits and the value's
// last 4 digits.
func CardToken(mid, last4 string) string {
	d := []byte("99" + mid + "0" + last4)
	// The check digit sits before the last 4; pick it so the Luhn sum is 5.
	for c := byte('0'); c <= '9'; c++ {
		d[11] = c
		if luhnSum(d)%10 == 5 {
			break
		}
	}
	return string(d)
}

func digitCheck(d []byte) int {
	sum := 0
	for i, c := range d {
		sum += (i%3 + 1) * int(c-'0')
	}
	return sum % 10
}

func luhnSum(d []byte) int {
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
	return sum
}

func (VeilToken) Find(dst []Finding, v []byte, f Field) []Finding {
	for i := 0; i < len(v); i++ {
		if i > 0 && isAlnumByte(v[i-1]) {
			continue
		}
		if end := matchToken(v, i); end > 0 {
			dst = append(dst, Finding{Category: CategoryVeilToken, Detector: "veil_token", Start: i, End: end, Confidence: 1})
			i = end - 1
		}
	}
	return dst
}

// matchToken returns the end of a token starting at i, or 0.
func matchToken(v []byte, i int) int {
	rest := v[i:]
	switch {
	case hasPrefix(rest, tokenPrefix):
		j := len(tokenPrefix)
		for j < len(rest) && j-len(tokenPrefix) <= tokenMaxBody && tokenValue[rest[j]] >= 0 {
			j++
		}
		n := j - len(tokenPrefix) - 1 // body length, the last char is the check
		if n < tokenMinBody || n > tokenMaxBody || j < len(rest) && isAlnumByte(rest[j]) {
			return 0
		}
		if tokenCheck(rest[len(tokenPrefix):j-1]) != rest[j-1] {
			return 0
		}
		if hasPrefix(rest[j:], tokenDomain) && (j+len(tokenDomain) == len(rest) || !isDomain(rest[j+len(tokenDomain)])) {
			j += len(tokenDomain)
		}
		return i + j
	case hasPrefix(rest, tokenPhone):
		j := len(tokenPhone)
		for j < len(rest) && isDigit(rest[j]) {
			j++
		}
		d := rest[len(tokenPhone):j]
		if len(d) < 9 || len(d) > 12 || j < len(rest) && isAlnumByte(rest[j]) || digitCheck(d[:len(d)-1]) != int(d[len(d)-1]-'0') {
			return 0
		}
		return i + j
	case len(rest) >= 16 && rest[0] == '9' && rest[1] == '9':
		for k := 0; k < 16; k++ {
			if !isDigit(rest[k]) {
				return 0
			}
		}
		// Sixteen digits standing alone: not the start of a longer
		// number (9904… 0, 9904….50).
		if len(rest) > 16 && isAlnumByte(rest[16]) || len(rest) > 17 && bytes.IndexByte([]byte(" -.,"), rest[16]) >= 0 && isDigit(rest[17]) ||
			joinedNumber(v, i, i+16) || luhnSum(rest[:16])%10 != 5 {
			return 0
		}
		return i + 16
	}
	return 0
}

func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }
