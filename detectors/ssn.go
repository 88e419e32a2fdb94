package detectors

// SSN finds US Social Security numbers AAA-GG-SSSS (dashes or spaces), and
// nine plain digits only in an SSN field or after an SSN context word.
// Never-issued ranges are rejected: area 000, 666, 900–999; group 00;
// serial 0000.
type SSN struct{}

func (SSN) Name() string     { return "us_ssn" }
func (SSN) Category() string { return CategoryUSSSN }
func (SSN) trigger() trigger { return trigDigits }

var ssnContext = newContext("ssn*", "social security", "soc sec", "ss#")

func (SSN) Find(dst []Finding, v []byte, f Field) []Finding {
	var buf [32]byte
	for pos := 0; ; {
		r, next, ok := nextDigitRun(v, pos, "- ", buf[:0])
		if !ok {
			break
		}
		pos = next
		if len(r.digits) != 9 {
			continue
		}
		raw := v[r.start:r.end]
		separated := ssnShaped(raw)
		conf := 0.85
		switch {
		case separated && f.Hint == CategoryUSSSN:
			conf = 0.99
		case separated:
		case len(raw) == 9 && (f.Hint == CategoryUSSSN || hasContext(v[:r.start], ssnContext)):
			conf = 0.9
		default:
			continue
		}
		d := r.digits
		area, group, serial := prefixNum(d, 3), prefixNum(d[3:], 2), prefixNum(d[5:], 4)
		if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
			continue
		}
		dst = append(dst, Finding{Category: CategoryUSSSN, Detector: "us_ssn", Start: r.start, End: r.end, Confidence: conf})
	}
	return dst
}

// ssnShaped: 123-45-6789 or 123 45 6789, the 3-2-4 grouping SSNs and
// ITINs share.
func ssnShaped(raw []byte) bool {
	return len(raw) == 11 && (raw[3] == '-' && raw[6] == '-' || raw[3] == ' ' && raw[6] == ' ')
}
