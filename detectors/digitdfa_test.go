package detectors

import (
	"math/rand/v2"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// Every national number pattern of every region's metadata (and every
// leading-digits pattern, matched as a prefix): the DFA answers as the
// anchored regexp does, on each type's example number, its one-digit
// mutations (changed, dropped, added) and random digit strings of every
// length a candidate can have.
func TestDigitMatcherAgreesWithRegexp(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var patterns, withDFA, checked, matched int
	check := func(rg string, dm *digitMatcher, example string) {
		patterns++
		if dm.next == nil {
			return
		}
		withDFA++
		var inputs [][]byte
		if example != "" {
			b := []byte(example)
			inputs = append(inputs, b)
			for i := range b {
				for c := byte('0'); c <= '9'; c++ {
					m := append([]byte(nil), b...)
					m[i] = c
					inputs = append(inputs, m, append(append(append([]byte(nil), b[:i]...), c), b[i:]...))
				}
				inputs = append(inputs, append(append([]byte(nil), b[:i]...), b[i+1:]...))
			}
		}
		inputs = appendRandomDigits(inputs, r, 0, phoneMaxNSN, 8)
		for _, in := range inputs {
			want := dm.re.Match(in)
			if got := dm.Match(in); got != want {
				t.Fatalf("%s pattern %q (prefix %v) on %q: DFA %v, regexp %v", rg, dm.re, dm.prefix, in, got, want)
			}
			checked++
			if want {
				matched++
			}
		}
	}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range coll.GetMetadata() {
		rg := m.GetId()
		for _, d := range []*phonenumbers.PhoneNumberDesc{m.GetGeneralDesc(), m.GetFixedLine(), m.GetMobile(), m.GetTollFree(),
			m.GetPremiumRate(), m.GetSharedCost(), m.GetVoip(), m.GetPersonalNumber(), m.GetPager(), m.GetUan(), m.GetVoicemail()} {
			if d == nil || d.GetNationalNumberPattern() == "" {
				continue
			}
			dm, err := compileDigitMatcher(d.GetNationalNumberPattern())
			if err != nil {
				t.Fatalf("%s: %v", rg, err)
			}
			check(rg, dm, d.GetExampleNumber())
		}
		if ld := m.GetLeadingDigits(); ld != "" {
			dm, err := compileDigitPrefix(ld)
			if err != nil {
				t.Fatalf("%s: %v", rg, err)
			}
			check(rg, dm, m.GetGeneralDesc().GetExampleNumber())
		}
	}
	// Not all digits: the regexp answers.
	dm, _ := compileDigitMatcher(`\d{3}`)
	if dm.Match([]byte("1a3")) || !dm.Match([]byte("123")) || dm.Match([]byte("1234")) {
		t.Error(`\d{3}`)
	}
	if pm, _ := compileDigitPrefix(`12|3`); !pm.Match([]byte("1299")) || !pm.Match([]byte("3")) || pm.Match([]byte("13")) || !pm.Match([]byte("3x")) {
		t.Error(`prefix 12|3`)
	}
	if withDFA < patterns*9/10 || matched < checked/50 {
		t.Fatalf("%d of %d patterns have a DFA; %d of %d inputs matched: the test did not test", withDFA, patterns, matched, checked)
	}
	t.Logf("%d patterns, %d with a DFA; %d inputs, %d matching", patterns, withDFA, checked, matched)
}

// appendRandomDigits appends, for every length from lo to hi, each
// strings of that many random digits.
func appendRandomDigits(dst [][]byte, r *rand.Rand, lo, hi, each int) [][]byte {
	for n := lo; n <= hi; n++ {
		for range each {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte('0' + r.IntN(10))
			}
			dst = append(dst, b)
		}
	}
	return dst
}
