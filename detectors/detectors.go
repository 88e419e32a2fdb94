// Package detectors finds personal data in values: one detector per file,
// pure functions over []byte, an explicit Default list, and a Scanner whose
// byte-class prefilter runs once per value so validators see candidates only.
package detectors

import (
	"bytes"
	"math/bits"
	"sort"
)

// Categories: the vocabulary the policy, events and metrics share.
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

	cvv  bool  // the name is a card security code's (cvv, cvc, security_code …)
	hint uint8 // Hint's index in hintCategories (hints.go), set with it by ClassifyField

	context uint64 // context words in the value being scanned (context.go), set by the scanner

	canon *canonView // the canonical view the value is (canon.go), set by the scanner for the digit detectors

	// A Field is passed by value to every detector a value wakes, and
	// copied on in their helpers: the compiler copies it sixteen bytes at
	// a time, and at 72 bytes its last move overlaps the one before (the
	// likely cost: the next copy's load of those bytes spans two stores,
	// which the CPU cannot forward). At 80 bytes it does not, and Scan is
	// faster by the same instructions: a phone value by about 10 %, a
	// first name by a quarter (BenchmarkScanField).
	// TestFieldSizeIsWholeMoves keeps it a multiple of sixteen.
	_ [8]byte
}

// Detector finds one kind of personal data.
type Detector interface {
	Name() string
	Category() string
	Find(dst []Finding, value []byte, field Field) []Finding
}

// trigger is what the prefilter saw in a value.
type trigger uint32

const (
	trigAt       trigger = 1 << iota // '@'
	trigDigits                       // a digit run of 7+ (separators allowed) standing alone
	trigIBAN                         // two letters followed by two digits
	trigSecret                       // a secret format's head: "AKIA"/"ASIA", "eyJ", "xox", "-----", or a '_' after gh[pousr], github, sk or rk
	trigToken                        // "vt." or "+999": Veil's own tokens
	trigRun5                         // a digit run of 5+, separators of any kind joining it: bank accounts, NINOs, passports
	trigIP                           // digit '.' digit, or ':' between hex digits or colons
	trigMBI                          // a word starting with 1-9 then a letter
	trigLong                         // 20 bytes or more, a digit among them (set by Scan): a generic secret's
	trigHinted                       // the field's name hints a category (set by Scan)
	trigAny                          // always
	trigNine                         // nine digits or more in the value, however written: SSNs
	trigFive                         // five digits or more in the value, however written: a date's day and year
	trigDigit                        // a digit anywhere: a card code after its word (and trigLong)
	trigCanon                        // a byte >= 0x80 or a control byte other than \t \n \r: the canonical view may differ (wakes no detector)
	trigDigits9                      // trigDigits, and nine digits or more in the value: SINs, ITINs
	trigDigits10                     // trigDigits, and ten or more: NHS numbers, NPIs
	trigDigits11                     // trigDigits, and eleven or more: CPFs
	trigThirteen                     // thirteen digits or more in the value, however written: cards, card tokens
	numTriggers                      // not a trigger: the bit after the last one
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
		CardVerification{},
		FieldHint{},
		VeilToken{},
	}
}

// Scanner runs detectors over values. Immutable and safe for concurrent use.
type Scanner struct {
	ds []Detector
	// canon is the detectors that read the canonical view (canon.go).
	canon uint64
	// byTrig is, for each trigger bit, the detectors it runs (bit i is
	// ds[i]); byCat the detectors of a category, run as well when the
	// field's name hints it.
	byTrig [32]uint64 // a trigger has 32 bits
	byCat  map[string]uint64
	byHint []uint64 // byCat by hintCategories' index
	// exhaustive runs every detector on every value: no prefilter, no
	// machine values (the tests' reference).
	exhaustive bool
}

// NewScanner builds a scanner over at most 64 detectors.
func NewScanner(ds []Detector) *Scanner {
	if len(ds) > 64 {
		panic("detectors: more than 64 detectors")
	}
	s := &Scanner{ds: ds, byCat: make(map[string]uint64)}
	for i, d := range ds {
		t := trigAny
		if tr, ok := d.(triggered); ok {
			t = tr.trigger()
		}
		for b := range s.byTrig {
			if t&(1<<b) != 0 {
				s.byTrig[b] |= 1 << i
			}
		}
		s.byCat[d.Category()] |= 1 << i
		if _, ok := d.(canonical); ok {
			s.canon |= 1 << i
		}
	}
	s.byHint = make([]uint64, len(hintCategories))
	for i, c := range hintCategories {
		s.byHint[i] = s.byCat[c]
	}
	return s
}

// Scan appends the findings in value to dst, sorted by Start, overlaps resolved.
func (s *Scanner) Scan(dst []Finding, value []byte, field Field) []Finding {
	if field.Hint == "" && field.Region == "" && !field.cvv && !s.exhaustive && machineValue(value) {
		return dst // an id, a timestamp, a record URL (machine.go)
	}
	// The canonical view, when the value has other than printable ASCII
	// and mapping changes it: the digit detectors read it, the prefilter
	// and the context words are read on both.
	seen := prefilter(value) | trigAny
	var cv *canonView
	if seen&trigCanon != 0 {
		cv = canonPool.Get().(*canonView)
		if cv.build(value) {
			seen |= prefilter(cv.b)
		} else {
			canonPool.Put(cv)
			cv = nil
		}
	}
	if s.exhaustive {
		seen = numTriggers - 1 // every trigger bit
	}
	// A value without a digit holds no generic secret (its entropy test
	// wants letters and digits), no card code and no number a context word
	// stands for: its context words are not worth reading.
	if len(value) >= genericMin && seen&trigDigit != 0 {
		seen |= trigLong
	}
	if seen&trigDigit != 0 {
		field.context = contextMask(value)
		if cv != nil {
			field.context |= contextMask(cv.b)
		}
	}
	var run uint64
	for t := seen; t != 0; t &= t - 1 {
		run |= s.byTrig[bits.TrailingZeros32(uint32(t))]
	}
	if field.Hint != "" {
		run |= s.byTrig[bits.TrailingZeros32(uint32(trigHinted))]
		if h := field.hintID(); h != 0 {
			run |= s.byHint[h]
		} else {
			run |= s.byCat[field.Hint] // a category no name hints, set by the caller
		}
	}
	base := len(dst)
	for ; run != 0; run &= run - 1 {
		i := bits.TrailingZeros64(run)
		if cv == nil || s.canon&(1<<i) == 0 {
			dst = s.ds[i].Find(dst, value, field)
			continue
		}
		cf := field
		cf.canon = cv
		from := len(dst)
		dst = s.ds[i].Find(dst, cv.b, cf)
		for k := from; k < len(dst); k++ {
			dst[k].Start, dst[k].End = cv.span(dst[k].Start, dst[k].End)
		}
	}
	if cv != nil {
		canonPool.Put(cv)
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
//
// trigRun5 counts digits loosely (separators of any kind and number join
// them, letters around them do not matter): NINOs and passports are
// digits inside letters. trigDigits is stricter, reading digit runs the
// way the digit detectors do (nextDigitRun, Phone): a run glued to a
// letter on either side (a Salesforce id, 2025-06-08T21:14) counts for
// nothing, nor do an ISO date or an amount (10037.50: one separator, a
// '.'), which every digit detector refuses anyway.
func prefilter(v []byte) trigger {
	var t trigger
	loose, total := 0, 0
	wide, narrow := strictRun{}, strictRun{narrow: true}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch byteClass[c] {
		case clsPlain, clsHead:
			// Most bytes: end what is open, look for a head, then skip the
			// plain ones after.
			if loose|wide.digits|narrow.digits != 0 {
				loose = 0
				t |= wide.end(v, i) | narrow.end(v, i)
			}
			switch c { // clsHead: a letter that starts or ends a secret's head
			// The heads are compared byte by byte, each at its rarest
			// letter ("eyJ" at its 'J', looking back: 'e' is the commonest
			// letter), and a call to compare two or three bytes costs more
			// than reading them.
			case 'A':
				if i+3 < len(v) && v[i+1] == 'K' && v[i+2] == 'I' && v[i+3] == 'A' || i+3 < len(v) && v[i+1] == 'S' && v[i+2] == 'I' && v[i+3] == 'A' {
					t |= trigSecret // AKIA, ASIA
				}
			case 'J':
				if i >= 2 && v[i-2] == 'e' && v[i-1] == 'y' {
					t |= trigSecret // eyJ
				}
			case 'x':
				if i+2 < len(v) && v[i+1] == 'o' && v[i+2] == 'x' {
					t |= trigSecret // xox
				}
			}
			// Nothing is open now, so a space changes nothing either (a
			// separator only joins digits): words and the spaces between
			// them are skipped alike.
			for i+1 < len(v) && skipped[v[i+1]] {
				i++
			}
		case clsCanon:
			// Not printable ASCII: ends what is open, as a plain byte
			// does, and asks for the canonical view.
			t |= trigCanon
			if loose|wide.digits|narrow.digits != 0 {
				loose = 0
				t |= wide.end(v, i) | narrow.end(v, i)
			}
		case clsDigit:
			// The digits right after this one only lengthen the runs (a
			// digit after a digit starts nothing, and no separator is
			// pending): the run is taken at once. Ids and timestamps are
			// mostly such digits.
			j := i + 1
			for j < len(v) && isDigit(v[j]) {
				j++
			}
			if loose += j - i; loose >= 5 {
				t |= trigRun5
			}
			total += j - i
			t |= wide.digit(v, i) | narrow.digit(v, i)
			if c != '0' && i+1 < len(v) && isUpperOrLower(v[i+1]) && (i == 0 || !isAlnumByte(v[i-1])) {
				t |= trigMBI
			}
			// Two letters then two digits: an IBAN's country and check.
			if i >= 2 && i+1 < len(v) && isUpperOrLower(v[i-2]) && isUpperOrLower(v[i-1]) && isDigit(v[i+1]) {
				t |= trigIBAN
			}
			if n := j - i - 1; n > 0 {
				wide.digits, wide.last = wide.digits+n, j-1
				narrow.digits, narrow.last = narrow.digits+n, j-1
				i = j - 1
			}
		case clsSep:
			switch c {
			case '-':
				if bytes.HasPrefix(v[i:], pemDashes) {
					t |= trigSecret
				}
			case '.':
				if i > 0 && i+1 < len(v) && isDigit(v[i-1]) && isDigit(v[i+1]) {
					t |= trigIP
				}
				if i >= 2 && v[i-2] == 'v' && v[i-1] == 't' {
					t |= trigToken // vt., read at its '.'
				}
			}
			// A separator outside a strict run (most are the spaces
			// between words) changes nothing: sep returns at once.
			if wide.digits|narrow.digits != 0 {
				t |= wide.sep(v, i, c) | narrow.sep(v, i, c)
			}
		default: // clsSpecial: ends a strict run, and may start something
			if c != '+' && c != '/' { // both join a loose run (02/03/1980)
				loose = 0
			}
			if wide.digits|narrow.digits != 0 {
				t |= wide.end(v, i) | narrow.end(v, i)
			}
			switch c {
			case '@':
				t |= trigAt
			case '+': // starts a number, does not join two
				if bytes.HasPrefix(v[i+1:], tokenPhoneCC) {
					t |= trigToken
				}
			case '_':
				if secretUnderscore(v, i) {
					t |= trigSecret
				}
			case ':':
				if i > 0 && i+1 < len(v) && (isHexByte(v[i-1]) || v[i-1] == ':') && (isHexByte(v[i+1]) || v[i+1] == ':') {
					t |= trigIP
				}
			}
		}
	}
	if total == 0 {
		return t // no digit: no run to end, nothing to count
	}
	t |= wide.end(v, len(v)) | narrow.end(v, len(v))
	return t | countTriggers(t, total)
}

// countTriggers are the triggers that count the value's digits (total,
// however written), given what else the prefilter saw (t): a detector
// that wants n digits in one number is not woken by fewer in the value.
func countTriggers(t trigger, total int) trigger {
	if total < 5 {
		if total == 0 {
			return 0
		}
		return trigDigit
	}
	c := trigDigit | trigFive
	if total >= 9 {
		c |= trigNine
		if t&trigDigits != 0 {
			c |= trigDigits9
			if total >= 10 {
				c |= trigDigits10
			}
			if total >= 11 {
				c |= trigDigits11
			}
		}
		if total >= 13 {
			c |= trigThirteen
		}
	}
	return c
}

// Byte classes for the prefilter. '/' is special, not a separator: no
// digit detector reads across it.
const (
	clsPlain   = iota // nothing to do but end a run
	clsDigit          // 0-9
	clsSep            // joins digits: space - . ( )
	clsSpecial        // ends a run and may start a trigger
	clsHead           // a letter that starts or ends a secret's head: A (AKIA, ASIA), J (eyJ), x (xox)
	clsCanon          // >= 0x80, or a control byte other than \t \n \r: the canonical view may differ
)

var byteClass = func() (t [256]uint8) {
	for c := range 256 {
		if c >= 0x80 || c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			t[c] = clsCanon
		}
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = clsDigit
	}
	for _, c := range " -.()" {
		t[c] = clsSep
	}
	for _, c := range "@+/_:" {
		t[c] = clsSpecial
	}
	for _, c := range "AJx" {
		t[c] = clsHead
	}
	return t
}()

// skipped is what the prefilter passes over once nothing is open: plain
// bytes and spaces.
var skipped = func() (t [256]bool) {
	for c := range 256 {
		t[c] = byteClass[c] == clsPlain || c == ' '
	}
	return t
}()

// strictRun is a digit run the prefilter is in, for trigDigits: digits
// joined by separators, where a separator counts only once a digit
// follows it (a trailing "." or " " ends the run, it is not part of it).
// A narrow run, as nextDigitRun reads them, ends at two separators in a
// row; a wide one, as Phone reads them ("0 (1) 23 45 67"), goes on.
type strictRun struct {
	narrow      bool
	start, last int  // first digit, last digit
	digits      int  // 0: not in a run
	seps, dots  int  // separators followed by a digit
	pending     int  // separators since the last digit
	pendingDot  bool // one of them is a '.'
	glued       bool // a letter right before the run
}

func (r *strictRun) digit(v []byte, i int) trigger {
	var t trigger
	if r.narrow && r.pending > 1 {
		t = r.end(v, i)
	}
	if r.digits == 0 || r.glued && r.pending > 0 {
		// A new run; or a glued one starting again after a separator, as
		// the detectors start again there (A0 0 100000).
		*r = strictRun{narrow: r.narrow, start: i, glued: i > 0 && isUpperOrLower(v[i-1])}
	} else if r.pending > 0 {
		r.seps += r.pending
		if r.pendingDot {
			r.dots++
		}
		r.pending, r.pendingDot = 0, false
	}
	r.digits++
	r.last = i
	return t
}

// sep takes separator c at v[i]. A narrow run ends at a parenthesis (no
// nextDigitRun separator); a wide run where Phone's candidate does: at a
// separator after a separator, unless a space or '('.
func (r *strictRun) sep(v []byte, i int, c byte) trigger {
	if r.digits == 0 {
		return 0
	}
	if r.narrow && (c == '(' || c == ')') || !r.narrow && r.pending > 0 && c != ' ' && c != '(' {
		return r.end(v, i)
	}
	r.pending++
	r.pendingDot = r.pendingDot || c == '.'
	return 0
}

// end closes the run before v[i] (i == len(v) at the end) and reports
// trigDigits if it counts.
func (r *strictRun) end(v []byte, i int) trigger {
	if r.digits == 0 {
		return 0
	}
	n := r.digits
	r.digits = 0
	after := r.last + 1
	switch {
	case n < 7, r.glued,
		after < len(v) && isUpperOrLower(v[after]),                        // glued on the right (2025-06-08T…)
		r.seps == 1 && r.dots == 1,                                        // an amount (joinedNumber)
		after-r.start == 10 && v[r.start+4] == '-' && v[r.start+7] == '-': // an ISO date
		return 0
	}
	return trigDigits
}

var (
	pemDashes    = []byte("-----")
	tokenPhoneCC = []byte("999")
)

// resolve sorts findings and drops overlaps, keeping higher confidence then
// longer spans; a field-hint finding overlapping a pattern finding of the
// same category is merged into it.
func resolve(f []Finding) int {
	if len(f) > resolveSmall {
		return resolveMany(f) // linear in the findings: the pairwise loop below is not
	}
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
