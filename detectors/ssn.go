package detectors

// SSN finds US Social Security numbers AAA-GG-SSSS (dashes or spaces), and
// nine plain digits only in an SSN field or after an SSN context word.
// Never-issued ranges are rejected: area 000, 666, 900–999; group 00;
// serial 0000.
type SSN struct{}

func (SSN) Name() string     { return "us_ssn" }
func (SSN) Category() string { return CategoryUSSSN }
func (SSN) trigger() trigger { return trigNine }
func (SSN) canonical()       {}

var ssnContext = newContext("ssn*", "social security", "soc sec", "ss#")

// Find reads AAA-GG-SSSS with the same separator run (1 to maxSepRun bytes
// of groups.go's separators: 123.45.6789, 123 - 45 - 6789) in both gaps,
// the groups not continued by that separator on either side (a longer
// grouped number); or nine plain digits (in the canonical view, invisible
// characters after the third and fifth digit make them separated).
// Digits glued to letters need the field or a context word.
func (SSN) Find(dst []Finding, v []byte, f Field) []Finding {
	hinted := f.Hint == CategoryUSSSN
	gr := newGroupReader(v)
	for {
		g, ok := gr.next()
		if !ok {
			return dst
		}
		s, e, separated := g.start, 0, false
		switch g.len() {
		case 3:
			e, separated = ssnSeparated(v, s)
			if e < 0 {
				continue
			}
		case 9:
			e = g.end
			separated = f.canon.gapBefore(s+3) && f.canon.gapBefore(s+5)
			// Nine plain digits are an SSN in its field or after its
			// word, even continued by ",123" (which elsewhere makes them
			// part of an amount); without either, never.
			if !separated && !(hinted || hasContext(v[:s], ssnContext)) {
				continue
			}
		default:
			continue
		}
		if (s > 0 && isUpperOrLower(v[s-1]) || e < len(v) && isUpperOrLower(v[e])) &&
			(!gluedToken(v, s, e) || !(hinted || hasContext(v[:s], ssnContext))) {
			continue // glued to letters (A123-45-6789): only with the word, never in an id
		}
		var d [9]byte
		k := 0
		for i := s; i < e; i++ {
			if isDigit(v[i]) {
				d[k] = v[i]
				k++
			}
		}
		area, group, serial := prefixNum(d[:], 3), prefixNum(d[3:], 2), prefixNum(d[5:], 4)
		if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
			continue
		}
		conf := 0.9
		switch {
		case separated && hinted:
			conf = 0.99
		case separated:
			conf = 0.85
		}
		dst = append(dst, Finding{Category: CategoryUSSSN, Detector: "us_ssn", Start: s, End: e, Confidence: conf})
	}
}

// ssnSeparated reads 3-2-4 groups from the three digits at v[s:]: the end
// of the last group, or -1. Both gaps must be the same separator run, and
// neither side may continue with it into more digits.
func ssnSeparated(v []byte, s int) (int, bool) {
	a := s + 3
	b := sepRun(v, a)
	if b < 0 || b+2 > len(v) || !isDigit(v[b+1]) || b+2 < len(v) && isDigit(v[b+2]) {
		return -1, false
	}
	sep := v[a:b]
	c := b + 2
	d := sepRun(v, c)
	if d < 0 || string(v[c:d]) != string(sep) || d+4 > len(v) || !digitsOnly(v[d:d+4]) || d+4 < len(v) && isDigit(v[d+4]) {
		return -1, false
	}
	e := d + 4
	if e+len(sep) < len(v) && string(v[e:e+len(sep)]) == string(sep) && isDigit(v[e+len(sep)]) {
		return -1, false // 123-45-6789-0…: a longer number
	}
	if s-len(sep) >= 1 && string(v[s-len(sep):s]) == string(sep) && isDigit(v[s-len(sep)-1]) {
		return -1, false // …1-123-45-6789
	}
	return e, true
}

// ssnShaped: 123-45-6789 or 123 45 6789, the 3-2-4 grouping SSNs and
// ITINs share.
func ssnShaped(raw []byte) bool {
	return len(raw) == 11 && (raw[3] == '-' && raw[6] == '-' || raw[3] == ' ' && raw[6] == ' ')
}
