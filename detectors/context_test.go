package detectors

import "testing"

// Context words move findings, and only as whole words.
func TestContextWords(t *testing.T) {
	s := NewScanner(Default())
	for _, c := range []struct {
		v, field, want string
		conf           float64 // 0: any
	}{
		{"Tel 4155550143", "Description", "phone", 0},
		{"hotel 4155550143", "Description", "", 0}, // "tel" inside a word is not context
		{"SIN 130 692 544", "Description", "ca_sin", 0},
		{"business 130 692 544", "Description", "", 0},
		// Negative context lowers an unhinted finding ...
		{"Card 4111 1111 1111 1111", "Description", "credit_card", 0.9},
		{"Order 4111 1111 1111 1111", "Description", "credit_card", 0.9 - NegativeContextPenalty},
		// ... drops one that was weak already ...
		{"Call 020 7946 0958", "Description", "phone", 0.8},
		{"Invoice ref 020 7946 0958", "Description", "", 0},
		// ... and never touches a hinted field or a value with its own proof.
		{"Order 020 7946 0958", "Phone", "phone", 0.95},
		{"Order confirmation sent to jane@example.com", "Description", "email", 0},
	} {
		got := s.Scan(nil, []byte(c.v), ClassifyField(c.field))
		switch {
		case c.want == "" && len(got) != 0:
			t.Errorf("%q: want nothing, got %+v", c.v, got)
		case c.want != "" && (len(got) != 1 || got[0].Category != c.want):
			t.Errorf("%q: got %+v, want one %s", c.v, got, c.want)
		case c.want != "" && c.conf != 0 && abs(got[0].Confidence-c.conf) > 1e-9:
			t.Errorf("%q: confidence %.2f, want %.2f", c.v, got[0].Confidence, c.conf)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestContextMask(t *testing.T) {
	m := contextMask([]byte("Customer SSN and PHONE on file"))
	if m&ssnContext.mask == 0 || m&phoneContext.mask == 0 || m&passportContext.mask != 0 {
		t.Errorf("mask %b misses ssn/phone or has passport", m)
	}
}

// TestContextSetBits: one bit a set, whatever its number of words, so
// the 64 bits are for sets; distinct sets never share one.
func TestContextSetBits(t *testing.T) {
	sets := []contextSet{phoneContext, dobContext, dobInitial, negativeContext, versionContext, ssnContext, passportContext}
	var seen uint64
	for _, s := range sets {
		if s.mask == 0 || s.mask&(s.mask-1) != 0 {
			t.Errorf("set %q: mask %b is not one bit", s.words[0].w, s.mask)
		}
		if seen&s.mask != 0 {
			t.Errorf("set %q shares its bit", s.words[0].w)
		}
		seen |= s.mask
	}
	if contextBits > 64 {
		t.Errorf("%d sets", contextBits)
	}
	for _, c := range []struct {
		v    string
		set  contextSet
		want bool
	}{
		{"Birthday: 1960-01-02", dobContext, true},
		{"geboren am 02.01.1960", dobContext, true},
		{"née le 2 janvier", dobContext, true},
		{"Stubborn", dobContext, false},
		{"b. 2/1/1960", dobInitial, true},
		{"Plan bb. 2/1/1960", dobInitial, false},
	} {
		if got := contextMask([]byte(c.v))&c.set.mask != 0; got != c.want {
			t.Errorf("contextMask(%q) has the set: %t, want %t", c.v, got, c.want)
		}
	}
}
