// Package detectors finds personal data in values: one detector per file,
// pure functions over []byte, an explicit Default list, and a Scanner that
// runs a cheap byte-class prefilter once per value so validators only see
// candidates.
package detectors

import (
	"bytes"
	"sort"
)

// Categories (DESIGN.md vocabulary).
const (
	CategoryPersonName    = "person_name"
	CategoryEmail         = "email"
	CategoryPhone         = "phone"
	CategoryStreetAddress = "street_address"
	CategoryPostalCode    = "postal_code"
	CategoryDateOfBirth   = "date_of_birth"
	CategoryCreditCard    = "credit_card"
	CategoryUSSSN         = "us_ssn"
	CategoryIBAN          = "iban"
	CategoryIPAddress     = "ip_address"
	CategoryUSITIN        = "us_itin"
	CategoryBankAccount   = "bank_account"
	CategoryUKNINO        = "uk_nino"
	CategoryUKNHS         = "uk_nhs"
	CategoryBRCPF         = "br_cpf"
	CategoryCASIN         = "ca_sin"
	CategoryUSMBI         = "us_mbi"
	CategoryUSNPI         = "us_npi"
	CategoryPassport      = "passport"
	CategorySecret        = "secret"
	CategoryVeilToken     = "veil_token"
)

// Finding is one piece of personal data inside a value.
type Finding struct {
	Category   string
	Detector   string
	Start, End int
	Confidence float64
}

// Field is a field name classified once.
type Field struct {
	Name   string
	Hint   string // category the name suggests, or ""
	Region string // phone region the name suggests, or ""

	context uint64 // context words in the value being scanned (context.go), set by the scanner
}

// Detector finds one kind of personal data.
type Detector interface {
	Name() string
	Category() string
	Find(dst []Finding, value []byte, field Field) []Finding
}

// trigger is what the prefilter saw in a value.
type trigger uint8

const (
	trigAt     trigger = 1 << iota // '@'
	trigDigits                     // a digit run of 7+ (separators allowed)
	trigIBAN                       // two letters followed by two digits
	trigSecret                     // '_', "-----", "AKIA"/"ASIA", "eyJ" or "xox": what every secret format needs
	trigToken                      // "vt." or "+999": Veil's own tokens
	trigRun5                       // a digit run of 5+: worth looking for context words
	trigAny                        // always
)

// triggered is the optional ability to be skipped by the prefilter.
type triggered interface{ trigger() trigger }

// Default is the detector list, one line per detector.
func Default() []Detector {
	return []Detector{
		Email{},
		CreditCard{},
		SSN{},
		IBAN{},
		Phone{},
		Secret{},
		IPAddress{},
		UKNINO{},
		BRCPF{},
		USITIN{},
		UKNHS{},
		CASIN{},
		USNPI{},
		USMBI{},
		Passport{},
		BankAccount{},
		DateOfBirth{},
		GenericSecret{},
		FieldHint{},
		VeilToken{},
	}
}

// Scanner runs detectors over values. Immutable and safe for concurrent use.
type Scanner struct {
	ds    []Detector
	trigs []trigger
	cats  []string
}

// NewScanner builds a scanner.
func NewScanner(ds []Detector) *Scanner {
	s := &Scanner{ds: ds}
	for _, d := range ds {
		t := trigAny
		if tr, ok := d.(triggered); ok {
			t = tr.trigger()
		}
		s.trigs = append(s.trigs, t)
		s.cats = append(s.cats, d.Category())
	}
	return s
}

// Scan appends the findings in value to dst, sorted by Start, overlaps resolved.
func (s *Scanner) Scan(dst []Finding, value []byte, field Field) []Finding {
	seen := prefilter(value) | trigAny
	if seen&trigRun5 != 0 || len(value) >= genericMin {
		field.context = contextMask(value)
	}
	base := len(dst)
	for i, d := range s.ds {
		if s.trigs[i]&seen == 0 && field.Hint != s.cats[i] {
			continue
		}
		dst = d.Find(dst, value, field)
	}
	if len(dst) > base && field.present(negativeContext) {
		dst = dst[:base+weigh(dst[base:], value, field)]
	}
	if len(dst)-base > 1 {
		dst = dst[:base+resolve(dst[base:])]
	}
	return dst
}

// prefilter is one pass over the bytes.
func prefilter(v []byte) trigger {
	var t trigger
	run := 0
	for i, c := range v {
		switch {
		case c == '@':
			t |= trigAt
			run = 0
		case c >= '0' && c <= '9':
			run++
			if run >= 5 {
				t |= trigRun5
			}
			if run >= 7 {
				t |= trigDigits
			}
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '+' || c == '/':
			if c == '-' && bytes.HasPrefix(v[i:], pemDashes) {
				t |= trigSecret
			}
			if c == '+' && bytes.HasPrefix(v[i+1:], tokenPhoneCC) {
				t |= trigToken
			}
		default:
			run = 0
			switch c {
			case '_':
				t |= trigSecret
			case 'A':
				if bytes.HasPrefix(v[i:], awsAKIA) || bytes.HasPrefix(v[i:], awsASIA) {
					t |= trigSecret
				}
			case 'e':
				if bytes.HasPrefix(v[i:], jwtHead) {
					t |= trigSecret
				}
			case 'x':
				if bytes.HasPrefix(v[i:], slackHead) {
					t |= trigSecret
				}
			case 'v':
				if bytes.HasPrefix(v[i+1:], tokenHead) {
					t |= trigToken
				}
			}
			if i+3 < len(v) && isUpperOrLower(c) && isUpperOrLower(v[i+1]) && isDigit(v[i+2]) && isDigit(v[i+3]) {
				t |= trigIBAN
			}
		}
	}
	return t
}

var (
	pemDashes    = []byte("-----")
	awsAKIA      = []byte("AKIA")
	awsASIA      = []byte("ASIA")
	jwtHead      = []byte("eyJ")
	slackHead    = []byte("xox")
	tokenHead    = []byte("t.")
	tokenPhoneCC = []byte("999")
)

// resolve sorts findings and drops overlaps, keeping higher confidence then
// longer spans; a field-hint finding overlapping a pattern finding of the
// same category is merged into it.
func resolve(f []Finding) int {
	sort.SliceStable(f, func(i, j int) bool {
		if f[i].Confidence != f[j].Confidence {
			return f[i].Confidence > f[j].Confidence
		}
		return f[i].End-f[i].Start > f[j].End-f[j].Start
	})
	n := 0
	for _, c := range f {
		keep := true
		for _, k := range f[:n] {
			if c.Start < k.End && k.Start < c.End {
				keep = false
				break
			}
		}
		if keep {
			f[n] = c
			n++
		}
	}
	sort.Slice(f[:n], func(i, j int) bool { return f[i].Start < f[j].Start })
	return n
}

func isDigit(c byte) bool        { return c >= '0' && c <= '9' }
func isUpperOrLower(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
