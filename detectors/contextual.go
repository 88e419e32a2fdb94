package detectors

// Identifiers whose digits alone are too common to trust: each needs a
// field hint or a context word shortly before it, and passes its check
// where the scheme has one.

// Categories of this file.
const (
	CategoryUKNHS       = "uk_nhs"
	CategoryCASIN       = "ca_sin"
	CategoryUSNPI       = "us_npi"
	CategoryUSMBI       = "us_mbi"
	CategoryPassport    = "passport"
	CategoryBankAccount = "bank_account"
)

var (
	nhsContext      = [][]byte{[]byte("nhs")}
	sinContext      = [][]byte{[]byte("sin"), []byte("social insurance")}
	npiContext      = [][]byte{[]byte("npi"), []byte("provider id")}
	passportContext = [][]byte{[]byte("passport")}
	bankContext     = [][]byte{[]byte("account number"), []byte("account no"), []byte("acct"), []byte("a/c"), []byte("bank account"), []byte("routing")}
)

// digitsWithContext reports runs of n digits (separators seps) that sit in
// a field hinted as category or follow a context word, and pass check.
func digitsWithContext(dst []Finding, v []byte, f Field, category, detector, seps string, lengths []int, ctx [][]byte, check func([]byte) bool) []Finding {
	var buf [32]byte
	digitRuns(v, seps, buf[:0], func(r digitRun) {
		ok := false
		for _, n := range lengths {
			ok = ok || len(r.digits) == n
		}
		if !ok || !(f.Hint == category || hasContext(v[:r.start], ctx)) || check != nil && !check(r.digits) {
			return
		}
		// 0.9: a context-confirmed identifier outranks an unhinted phone
		// reading of the same digits.
		dst = append(dst, Finding{Category: category, Detector: detector, Start: r.start, End: r.end, Confidence: 0.9})
	})
	return dst
}

// UKNHS: NHS numbers, ten digits (3-3-4), modulus 11 check digit.
type UKNHS struct{}

func (UKNHS) Name() string     { return "uk_nhs" }
func (UKNHS) Category() string { return CategoryUKNHS }
func (UKNHS) trigger() trigger { return trigDigits }
func (UKNHS) Find(dst []Finding, v []byte, f Field) []Finding {
	return digitsWithContext(dst, v, f, CategoryUKNHS, "uk_nhs", " -", []int{10}, nhsContext, nhsValid)
}

func nhsValid(d []byte) bool {
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(d[i]-'0') * (10 - i)
	}
	c := 11 - sum%11
	if c == 11 {
		c = 0
	}
	return c != 10 && byte(c)+'0' == d[9]
}

// CASIN: Canadian Social Insurance Numbers, nine digits (3-3-3), Luhn, not
// starting with 0 or 8.
type CASIN struct{}

func (CASIN) Name() string     { return "ca_sin" }
func (CASIN) Category() string { return CategoryCASIN }
func (CASIN) trigger() trigger { return trigDigits }
func (CASIN) Find(dst []Finding, v []byte, f Field) []Finding {
	return digitsWithContext(dst, v, f, CategoryCASIN, "ca_sin", " -", []int{9}, sinContext, func(d []byte) bool {
		return d[0] != '0' && d[0] != '8' && luhn(d)
	})
}

// USNPI: National Provider Identifiers, ten digits starting 1 or 2, Luhn
// over the number prefixed with 80840.
type USNPI struct{}

func (USNPI) Name() string     { return "us_npi" }
func (USNPI) Category() string { return CategoryUSNPI }
func (USNPI) trigger() trigger { return trigDigits }
func (USNPI) Find(dst []Finding, v []byte, f Field) []Finding {
	return digitsWithContext(dst, v, f, CategoryUSNPI, "us_npi", "", []int{10}, npiContext, func(d []byte) bool {
		return (d[0] == '1' || d[0] == '2') && luhn(append([]byte("80840"), d...))
	})
}

// BankAccount: 6–17 digit account numbers, only with a field hint or a
// context word (there is no checksum to lean on).
type BankAccount struct{}

func (BankAccount) Name() string     { return "bank_account" }
func (BankAccount) Category() string { return CategoryBankAccount }
func (BankAccount) trigger() trigger { return trigAny }
func (BankAccount) Find(dst []Finding, v []byte, f Field) []Finding {
	return digitsWithContext(dst, v, f, CategoryBankAccount, "bank_account", "- ", []int{6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}, bankContext, nil)
}

// USMBI: Medicare Beneficiary Identifiers, 11 characters in the CMS
// pattern C A AN N A AN N A A N N (letters exclude S L O I B Z), dashes
// allowed after the 4th and 7th.
type USMBI struct{}

func (USMBI) Name() string     { return "us_mbi" }
func (USMBI) Category() string { return CategoryUSMBI }

func mbiAlpha(c byte) bool {
	c = upper(c)
	return c >= 'A' && c <= 'Z' && c != 'S' && c != 'L' && c != 'O' && c != 'I' && c != 'B' && c != 'Z'
}

func (USMBI) Find(dst []Finding, v []byte, f Field) []Finding {
	// position classes: c=1-9, a=alpha, x=alpha or digit, n=digit
	const pattern = "caxnaxnaann"
	for i := 0; i+11 <= len(v); i++ {
		if v[i] < '1' || v[i] > '9' || i > 0 && isAlnumByte(v[i-1]) {
			continue
		}
		j, k := i, 0
		for j < len(v) && k < len(pattern) {
			c := v[j]
			if c == '-' && (k == 4 || k == 7) {
				j++
				continue
			}
			ok := false
			switch pattern[k] {
			case 'c':
				ok = c >= '1' && c <= '9'
			case 'a':
				ok = mbiAlpha(c)
			case 'x':
				ok = mbiAlpha(c) || isDigit(c)
			case 'n':
				ok = isDigit(c)
			}
			if !ok {
				break
			}
			j++
			k++
		}
		if k == len(pattern) && (j == len(v) || !isAlnumByte(v[j])) {
			dst = append(dst, Finding{Category: CategoryUSMBI, Detector: "us_mbi", Start: i, End: j, Confidence: 0.85})
			i = j
		}
	}
	return dst
}

// Passport: a 6–9 character alphanumeric token holding digits, after the
// word "passport" or in a passport field.
type Passport struct{}

func (Passport) Name() string     { return "passport" }
func (Passport) Category() string { return CategoryPassport }

func (Passport) Find(dst []Finding, v []byte, f Field) []Finding {
	for i := 0; i < len(v); i++ {
		if !isAlnumByte(v[i]) || i > 0 && isAlnumByte(v[i-1]) {
			continue
		}
		j, digits := i, 0
		for j < len(v) && isAlnumByte(v[j]) {
			if isDigit(v[j]) {
				digits++
			}
			j++
		}
		n := j - i
		if n >= 6 && n <= 9 && digits >= 5 && (f.Hint == CategoryPassport || hasContext(v[:i], passportContext)) {
			dst = append(dst, Finding{Category: CategoryPassport, Detector: "passport", Start: i, End: j, Confidence: 0.8})
		}
		i = j
	}
	return dst
}
