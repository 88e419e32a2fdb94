package detectors

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestPhoneMetaAgreesWithLibrary holds the compiled-metadata port to
// libphonenumber's own Parse, IsValidNumber and IsPossibleNumber: example
// numbers of every type for many regions, in national, international and
// E.164 form, their one-digit mutations, and random digit strings, each
// parsed with several default regions. Deferred candidates are the
// library's answer by construction and are only counted.
func TestPhoneMetaAgreesWithLibrary(t *testing.T) {
	regions := []string{"US", "CA", "GB", "DE", "FR", "IT", "ES", "NL", "BE", "AT", "CH", "IE", "PT", "SE",
		"PL", "AU", "IN", "ZA", "JP", "CN", "BR", "MX", "AR", "NZ", "SG", "RU", "JM", "IM"}
	types := []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE,
		phonenumbers.PREMIUM_RATE, phonenumbers.VOIP, phonenumbers.UAN}
	var cands []string
	add := func(s string) {
		if s != "" {
			cands = append(cands, s)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, rg := range regions {
		for _, typ := range types {
			n := phonenumbers.GetExampleNumberForType(rg, typ)
			if n == nil {
				continue
			}
			for _, f := range []phonenumbers.PhoneNumberFormat{phonenumbers.NATIONAL, phonenumbers.INTERNATIONAL, phonenumbers.E164} {
				s := phonenumbers.Format(n, f)
				add(s)
				b := []byte(s)
				for k := 0; k < 3; k++ { // one digit changed, dropped, added
					i := r.IntN(len(b))
					if isDigit(b[i]) {
						m := append([]byte(nil), b...)
						m[i] = byte('0' + r.IntN(10))
						add(string(m))
						add(string(b[:i]) + string(b[i+1:]))
						add(string(b[:i]) + "7" + string(b[i:]))
					}
				}
			}
		}
	}
	for k := 0; k < 3000; k++ {
		var sb strings.Builder
		switch r.IntN(5) {
		case 0:
			sb.WriteByte('+')
		case 1:
			sb.WriteString("0")
		case 2:
			sb.WriteString("00")
		case 3:
			sb.WriteString("011")
		}
		for n := 7 + r.IntN(9); n > 0; n-- {
			sb.WriteByte(byte('0' + r.IntN(10)))
		}
		add(sb.String())
	}
	checked, deferred := 0, 0
	var digits []byte
	for _, c := range cands {
		digits = digits[:0]
		for i := 0; i < len(c); i++ {
			if isDigit(c[i]) {
				digits = append(digits, c[i])
			}
		}
		if len(digits) > 15 {
			continue
		}
		plus := strings.HasPrefix(c, "+")
		for _, rg := range []string{"US", "GB", "DE", "FR", "AU", "IN", "BR", "JP", "IT", "AR", "MX", "JM"} {
			cc, nsn, st := phoneParse(digits, plus, rg)
			if st == phoneDefer {
				deferred++
				continue
			}
			checked++
			num, err := phonenumbers.Parse(c, rg)
			wantOK := err == nil
			if gotOK := st == phoneOK; gotOK != wantOK {
				t.Errorf("%q in %s: parse ok=%v, library err=%v", c, rg, gotOK, err)
				continue
			}
			if !wantOK {
				continue
			}
			if cc != int(num.GetCountryCode()) || string(nsn) != phonenumbers.GetNationalSignificantNumber(num) {
				t.Errorf("%q in %s: got +%d %s, library +%d %s", c, rg, cc, nsn, num.GetCountryCode(), phonenumbers.GetNationalSignificantNumber(num))
				continue
			}
			if got, want := phoneValid(cc, nsn), phonenumbers.IsValidNumber(num); got != want {
				t.Errorf("%q in %s: valid=%v, library %v", c, rg, got, want)
			}
			if got, want := phonePossible(cc, nsn), phonenumbers.IsPossibleNumber(num); got != want {
				t.Errorf("%q in %s: possible=%v, library %v", c, rg, got, want)
			}
		}
	}
	t.Logf("%d candidates checked against the library, %d deferred to it", checked, deferred)
	if checked < 10*deferred {
		t.Errorf("the port answers %d, defers %d: it should answer nearly all", checked, deferred)
	}
}

// TestPhoneTypesUnionMatchesEach holds a region's joined type patterns
// (unionTypes) to its types matched one by one, in every region of the
// metadata: each type's example number, its one-digit changes, and
// random digit strings of every national length.
func TestPhoneTypesUnionMatchesEach(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	eachType := func(rg *phoneRegion, nsn []byte) bool {
		for i := range rg.types {
			if rg.types[i].match(nsn) {
				return true
			}
		}
		return false
	}
	checked, matched := 0, 0
	for id, rg := range phoneMeta().byRegion {
		rg.compile()
		if rg.broken {
			continue
		}
		if rg.anyType == nil {
			t.Errorf("%s: the types were not joined", id)
			continue
		}
		var cands [][]byte
		for _, typ := range []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE,
			phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST, phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER,
			phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL} {
			n := phonenumbers.GetExampleNumberForType(id, typ)
			if n == nil {
				continue
			}
			nsn := []byte(phonenumbers.GetNationalSignificantNumber(n))
			cands = append(cands, nsn)
			for k := range nsn {
				m := slices.Clone(nsn)
				m[k] = byte('0' + r.IntN(10))
				cands = append(cands, m)
			}
		}
		cands = appendRandomDigits(cands, r, phoneMinNSN, phoneMaxNSN, 20)
		for _, nsn := range cands {
			want := rg.general.match(nsn) && eachType(rg, nsn)
			if got := rg.valid(nsn); got != want {
				t.Errorf("%s: %s valid=%v, the types one by one say %v", id, nsn, got, want)
			}
			checked++
			if want {
				matched++
			}
		}
	}
	t.Logf("%d numbers in %d regions, %d valid", checked, len(phoneMeta().byRegion), matched)
	if matched < checked/10 {
		t.Errorf("only %d of %d numbers valid: the test holds few valid ones", matched, checked)
	}
}
