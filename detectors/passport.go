package detectors

// Passport: a 6–9 character alphanumeric token holding digits, after the
// word "passport" or in a passport field.
type Passport struct{}

func (Passport) Name() string     { return "passport" }
func (Passport) Category() string { return CategoryPassport }
func (Passport) trigger() trigger { return trigRun5 }

func (Passport) Find(dst []Finding, v []byte, f Field) []Finding {
	if f.Hint != CategoryPassport && !f.present(passportContext) {
		return dst
	}
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
