package detectors

import "time"

// DateOfBirth finds a calendar date in free text when a birth word comes
// shortly before it ("DOB: 1985-04-12", "born 12/04/1985"): ISO
// YYYY-MM-DD, and D/M/YYYY or M/D/YYYY with '/', '.' or '-'. The date
// must exist and lie between 1900 and today. Dates without such a word
// (CreatedDate, "closed on 2024-01-31") are not birth dates; fields named
// as one (Birthdate) are reported whole by FieldHint.
type DateOfBirth struct{}

func (DateOfBirth) Name() string     { return "date_of_birth" }
func (DateOfBirth) Category() string { return CategoryDateOfBirth }
func (DateOfBirth) trigger() trigger { return trigRun5 }

var dobContext = newContext("dob", "d.o.b", "date of birth", "birth date", "birthdate", "born")

func (DateOfBirth) Find(dst []Finding, v []byte, f Field) []Finding {
	if !f.present(dobContext) {
		return dst
	}
	for i := 0; i+8 <= len(v); i++ {
		if !isDigit(v[i]) || i > 0 && (isDigit(v[i-1]) || isUpperOrLower(v[i-1])) {
			continue
		}
		end, ok := matchDate(v[i:])
		if !ok || !hasContext(v[:i], dobContext) {
			continue
		}
		dst = append(dst, Finding{Category: CategoryDateOfBirth, Detector: "date_of_birth", Start: i, End: i + end, Confidence: 0.85})
		i += end
	}
	return dst
}

// matchDate reads a date at the start of b and returns its length.
func matchDate(b []byte) (int, bool) {
	num := func(s []byte) (int, int) { // value, digits
		n, k := 0, 0
		for k < len(s) && k < 4 && isDigit(s[k]) {
			n = n*10 + int(s[k]-'0')
			k++
		}
		return n, k
	}
	a, na := num(b)
	if na == 0 || na >= len(b) {
		return 0, false
	}
	sep := b[na]
	if sep != '-' && sep != '/' && sep != '.' {
		return 0, false
	}
	m, nm := num(b[na+1:])
	p := na + 1 + nm
	if nm == 0 || nm > 2 || p >= len(b) || b[p] != sep {
		return 0, false
	}
	c, nc := num(b[p+1:])
	end := p + 1 + nc
	if end < len(b) && (isDigit(b[end]) || isUpperOrLower(b[end])) {
		return 0, false
	}
	var y, mo, d int
	switch {
	case na == 4 && nc <= 2 && nc > 0 && sep == '-': // ISO
		y, mo, d = a, m, c
	case na <= 2 && nc == 4:
		y = c
		if a > 12 { // 31/12/1985: day first
			d, mo = a, m
		} else { // 12/31/1985 or ambiguous: either reading must be a date
			mo, d = a, m
			if !validDate(y, mo, d) {
				d, mo = a, m
			}
		}
	default:
		return 0, false
	}
	return end, validDate(y, mo, d)
}

func validDate(y, m, d int) bool {
	if y < 1900 || m < 1 || m > 12 || d < 1 {
		return false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	return t.Day() == d && !t.After(time.Now())
}
