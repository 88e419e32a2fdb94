package detectors

// USITIN finds US Individual Taxpayer Identification Numbers: 9XX-GG-SSSS
// with group 50–65, 70–88, 90–92 or 94–99 (IRS ranges), separated, or nine
// plain digits in an ITIN field / after "itin".
type USITIN struct{}

func (USITIN) Name() string     { return "us_itin" }
func (USITIN) Category() string { return CategoryUSITIN }
func (USITIN) canonical()       {} // reads the canonical view (canon.go)
func (USITIN) trigger() trigger { return trigDigits9 }

var itinContext = newContext("itin", "taxpayer id")

func (USITIN) Find(dst []Finding, v []byte, f Field) []Finding {
	var buf [32]byte
	for pos := 0; ; {
		r, next, ok := nextDigitRun(v, pos, "- ", buf[:0])
		if !ok {
			break
		}
		pos = next
		d := r.digits
		if len(d) != 9 || d[0] != '9' {
			continue
		}
		g := prefixNum(d[3:], 2)
		if !(g >= 50 && g <= 65 || g >= 70 && g <= 88 || g >= 90 && g <= 92 || g >= 94 && g <= 99) {
			continue
		}
		raw := v[r.start:r.end]
		separated := ssnShaped(raw)
		if !separated && !(f.Hint == CategoryUSITIN || hasContext(v[:r.start], itinContext)) {
			continue
		}
		dst = append(dst, Finding{Category: CategoryUSITIN, Detector: "us_itin", Start: r.start, End: r.end, Confidence: 0.9})
	}
	return dst
}
