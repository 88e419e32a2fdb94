package detectors

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// libphonenumber's Parse runs a dozen regexps and allocates a PhoneNumber
// before any check, and its validity functions rebuild and look up every
// pattern on each call: together most of a scan's CPU on phone-dense CRM
// records. This file compiles the library's own metadata once per region
// and follows the library's parse and validity rules on a candidate's
// digits, so a candidate costs the few anchored matches validity needs.
// What the port does not cover (a '+' followed by 0 or by no known
// calling code, a region that is not in the metadata) is left to the
// library itself (phoneDefer); a differential test holds this port to the
// library's answers.

const (
	phoneMinNSN = 2  // MIN_LENGTH_FOR_NSN
	phoneMaxNSN = 17 // MAX_LENGTH_FOR_NSN
)

// phoneDesc is one number type of a region: possible national lengths and
// the national number pattern, anchored at both ends.
type phoneDesc struct {
	lengths uint32 // bit n set: length n possible; 0: no constraint
	pat     *digitMatcher
}

func (d *phoneDesc) match(nsn []byte) bool {
	if d.pat == nil || d.lengths != 0 && d.lengths&(1<<len(nsn)) == 0 {
		return false
	}
	return d.pat.Match(nsn)
}

// phonePrefix matches a prefix at the start of the digits: plain digits
// compare bytes, anything else is a pattern anchored at the start.
type phonePrefix struct {
	lit string
	re  *regexp.Regexp
}

// match returns the prefix's length, or -1.
func (p *phonePrefix) match(d []byte) int {
	switch {
	case p.lit != "":
		if len(d) >= len(p.lit) && string(d[:len(p.lit)]) == p.lit {
			return len(p.lit)
		}
	case p.re != nil:
		if loc := p.re.FindIndex(d); loc != nil {
			return loc[1]
		}
	}
	return -1
}

// phoneRegion is one region's metadata, compiled on first use.
type phoneRegion struct {
	meta     *phonenumbers.PhoneMetadata
	once     sync.Once
	broken   bool // a pattern did not compile: defer to the library
	cc       int
	ccDigits string

	general      phoneDesc
	possible     []int32 // general possible lengths, ascending
	localOnly    []int32
	types        []phoneDesc // in getNumberTypeHelper's order
	anyType      []phoneDesc // types, one pattern per length set (nil: check each of types)
	leading      *digitMatcher
	idd          phonePrefix
	national     phonePrefix
	transform    []byte // the national prefix's transform rule, if any
	hasNationalP bool
}

type phoneTables struct {
	byRegion map[string]*phoneRegion
	byCC     [1000][]*phoneRegion // by calling code (three digits at most): main region first, as the library orders them
}

var phoneMeta = sync.OnceValue(func() *phoneTables {
	t := &phoneTables{byRegion: map[string]*phoneRegion{}}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return t // every lookup misses: candidates are deferred to the library
	}
	nonGeo := map[int]*phoneRegion{}
	for _, m := range coll.GetMetadata() {
		r := &phoneRegion{meta: m, cc: int(m.GetCountryCode())}
		r.ccDigits = strconv.Itoa(r.cc)
		if m.GetId() == "001" {
			nonGeo[r.cc] = r
			continue
		}
		t.byRegion[m.GetId()] = r
	}
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		for _, id := range phonenumbers.GetRegionCodesForCountryCode(cc) {
			r := t.byRegion[id]
			if id == "001" {
				r = nonGeo[cc]
			}
			if r != nil && cc > 0 && cc < len(t.byCC) {
				t.byCC[cc] = append(t.byCC[cc], r)
			}
		}
	}
	return t
})

// regions are the calling code's regions, none for a code out of range.
func (t *phoneTables) regions(cc int) []*phoneRegion {
	if cc < 0 || cc >= len(t.byCC) {
		return nil
	}
	return t.byCC[cc]
}

func (r *phoneRegion) compile() {
	r.once.Do(func() {
		m := r.meta
		desc := func(d *phonenumbers.PhoneNumberDesc) phoneDesc {
			if d == nil || d.GetNationalNumberPattern() == "" {
				return phoneDesc{}
			}
			var out phoneDesc
			for _, l := range d.GetPossibleLength() {
				if l < 0 { // -1: no numbers of this type
					return phoneDesc{}
				}
				if l < 32 {
					out.lengths |= 1 << l
				}
			}
			pat, err := compileDigitMatcher(d.GetNationalNumberPattern())
			if err != nil {
				r.broken = true
				return phoneDesc{}
			}
			out.pat = pat
			return out
		}
		r.general = desc(m.GetGeneralDesc())
		r.possible = m.GetGeneralDesc().GetPossibleLength()
		r.localOnly = m.GetGeneralDesc().GetPossibleLengthLocalOnly()
		for _, d := range []*phonenumbers.PhoneNumberDesc{m.GetPremiumRate(), m.GetTollFree(), m.GetSharedCost(),
			m.GetVoip(), m.GetPersonalNumber(), m.GetPager(), m.GetUan(), m.GetVoicemail(), m.GetFixedLine()} {
			r.types = append(r.types, desc(d))
		}
		if !m.GetSameMobileAndFixedLinePattern() {
			r.types = append(r.types, desc(m.GetMobile()))
		}
		r.anyType = unionTypes(r.types)
		if ld := m.GetLeadingDigits(); ld != "" {
			re, err := compileDigitPrefix(ld)
			r.leading, r.broken = re, r.broken || err != nil
		}
		r.transform = []byte(m.GetNationalPrefixTransformRule())
		prefix := func(p string) phonePrefix {
			if p == "" {
				return phonePrefix{}
			}
			if isAllDigits(p) && len(r.transform) == 0 {
				return phonePrefix{lit: p}
			}
			re, err := regexp.Compile("^(?:" + p + ")")
			if err != nil {
				r.broken = true
			}
			return phonePrefix{re: re}
		}
		r.idd = prefix(m.GetInternationalPrefix())
		npp := m.GetNationalPrefixForParsing()
		r.national = prefix(npp)
		r.hasNationalP = npp != ""
		if r.general.pat == nil {
			r.broken = true
		}
	})
}

func isAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

type phoneLength uint8

const (
	phoneIsPossible phoneLength = iota
	phoneLocalOnly
	phoneTooShort
	phoneTooLong
	phoneInvalidLength
)

// testLength is the library's testNumberLength for the general type.
func (r *phoneRegion) testLength(nsn []byte) phoneLength {
	if len(r.possible) == 0 || r.possible[0] == -1 {
		return phoneInvalidLength
	}
	n := int32(len(nsn))
	for _, l := range r.localOnly {
		if l == n {
			return phoneLocalOnly
		}
	}
	switch {
	case r.possible[0] == n:
		return phoneIsPossible
	case r.possible[0] > n:
		return phoneTooShort
	case r.possible[len(r.possible)-1] < n:
		return phoneTooLong
	}
	for _, l := range r.possible[1:] {
		if l == n {
			return phoneIsPossible
		}
	}
	return phoneInvalidLength
}

// valid is getNumberTypeHelper(nsn) != UNKNOWN: the general pattern, and
// one type's. Which type does not matter here, so the types of the same
// possible lengths are one pattern (unionTypes), not one match each.
func (r *phoneRegion) valid(nsn []byte) bool {
	if !r.general.match(nsn) {
		return false
	}
	types := r.types
	if r.anyType != nil {
		types = r.anyType
	}
	for i := range types {
		if types[i].match(nsn) {
			return true
		}
	}
	return false
}

// unionTypes is types with those of the same possible lengths joined
// into one alternation, each compiled to one digit DFA: a region's ten
// types are mostly one or two length sets, so a number is a match or two
// rather than ten. nil when an alternation's DFA would not be built (too
// many states): the types are then matched one by one.
func unionTypes(types []phoneDesc) []phoneDesc {
	var out []phoneDesc
	var pats [][]string
	for _, d := range types {
		if d.pat == nil {
			continue
		}
		k := slices.IndexFunc(out, func(o phoneDesc) bool { return o.lengths == d.lengths })
		if k < 0 {
			k = len(out)
			out, pats = append(out, phoneDesc{lengths: d.lengths}), append(pats, nil)
		}
		pats[k] = append(pats[k], "(?:"+d.pat.pattern+")")
	}
	for k := range out {
		pat, err := compileDigitMatcher(strings.Join(pats[k], "|"))
		if err != nil || pat.next == nil {
			return nil
		}
		out[k].pat = pat
	}
	return out
}

// stripNational is maybeStripNationalPrefixAndCarrierCode: the prefix goes
// (or, with a transform rule whose last group matched, is rewritten by it)
// unless the number was viable with it and is not without it. Only a
// transform allocates.
func (r *phoneRegion) stripNational(num []byte) []byte {
	if len(num) == 0 || !r.hasNationalP {
		return num
	}
	if len(r.transform) > 0 {
		loc := r.national.re.FindSubmatchIndex(num)
		if loc == nil {
			return num
		}
		if last := len(loc)/2 - 1; loc[last*2] >= 0 {
			out := append(r.national.re.Expand(nil, r.transform, num, loc), num[loc[1]:]...)
			if r.general.pat.Match(num) && !r.general.pat.Match(out) {
				return num
			}
			return out
		}
		if r.general.pat.Match(num) && !r.general.pat.Match(num[loc[1]:]) {
			return num
		}
		return num[loc[1]:]
	}
	n := r.national.match(num)
	if n < 0 {
		return num
	}
	if r.general.pat.Match(num) && !r.general.pat.Match(num[n:]) {
		return num
	}
	return num[n:]
}

type phoneStatus uint8

const (
	phoneOK      phoneStatus = iota
	phoneInvalid             // Parse would fail
	phoneDefer               // ask the library
)

// phoneParse follows Parse on normalized digits (plus: the candidate began
// with '+') for the default region, returning the country calling code
// and the national significant number (a subslice of digits).
func phoneParse(digits []byte, plus bool, region string) (int, []byte, phoneStatus) {
	t := phoneMeta()
	def := t.byRegion[region]
	if def == nil {
		return 0, nil, phoneDefer
	}
	def.compile()
	if def.broken {
		return 0, nil, phoneDefer
	}
	meta, national, cc := def, digits, 0
	full, intl := digits, plus
	if !plus {
		if n := def.idd.match(digits); n >= 0 && !(n < len(digits) && digits[n] == '0') {
			full, intl = digits[n:], true
		}
	}
	if intl {
		if len(full) <= phoneMinNSN {
			return 0, nil, phoneInvalid
		}
		if full[0] == '0' {
			return 0, nil, phoneDefer // the library retries without the '+'
		}
		c := 0
		for i := 1; i <= 3 && i <= len(full); i++ {
			c = c*10 + int(full[i-1]-'0')
			if rs := t.byCC[c]; len(rs) > 0 {
				cc, national, meta = c, full[i:], rs[0]
				break
			}
		}
		if cc == 0 {
			return 0, nil, phoneDefer
		}
		meta.compile()
		if meta.broken {
			return 0, nil, phoneDefer
		}
	} else {
		cc = def.cc
		if len(full) > len(def.ccDigits) && string(full[:len(def.ccDigits)]) == def.ccDigits {
			potential := def.stripNational(full[len(def.ccDigits):])
			fullValid := def.general.pat.Match(full)
			if (!fullValid && def.general.pat.Match(potential)) || def.testLength(full) == phoneTooLong {
				national = potential
			}
		}
	}
	if len(national) < phoneMinNSN {
		return 0, nil, phoneInvalid
	}
	if p := meta.stripNational(national); len(p) != len(national) {
		switch meta.testLength(p) {
		case phoneIsPossible, phoneTooLong:
			national = p
		}
	}
	if len(national) < phoneMinNSN || len(national) > phoneMaxNSN {
		return 0, nil, phoneInvalid
	}
	return cc, national, phoneOK
}

// phoneValid is IsValidNumber: the region is found as the library finds it
// (leading digits, else full validation), then the number checked there.
func phoneValid(cc int, nsn []byte) bool {
	rs := phoneMeta().regions(cc)
	for _, r := range rs {
		r.compile()
		if len(rs) == 1 {
			return r.valid(nsn)
		}
		if r.leading != nil {
			if r.leading.Match(nsn) {
				return r.valid(nsn)
			}
			continue
		}
		if r.valid(nsn) {
			return true
		}
	}
	return false
}

// phonePossible is IsPossibleNumber: the length fits the main region.
func phonePossible(cc int, nsn []byte) bool {
	rs := phoneMeta().regions(cc)
	if len(rs) == 0 {
		return false
	}
	rs[0].compile()
	switch rs[0].testLength(nsn) {
	case phoneIsPossible, phoneLocalOnly:
		return true
	}
	return false
}
