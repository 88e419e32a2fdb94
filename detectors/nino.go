package detectors

// UKNINO finds UK National Insurance numbers: two prefix letters (not D,
// F, I, Q, U, V; second not O; not the unallocated BG, GB, KN, NK, NT, TN,
// ZZ), six digits (optionally paired by spaces) and a suffix A–D.
type UKNINO struct{}

func (UKNINO) Name() string     { return "uk_nino" }
func (UKNINO) Category() string { return CategoryUKNINO }
func (UKNINO) trigger() trigger { return trigRun5 }

func ninoBadPrefix(a, b byte) bool {
	switch string([]byte{a, b}) {
	case "BG", "GB", "KN", "NK", "NT", "TN", "ZZ":
		return true
	}
	return false
}

func ninoLetter(c byte, second bool) bool {
	switch c {
	case 'D', 'F', 'I', 'Q', 'U', 'V':
		return false
	case 'O':
		return !second
	}
	return c >= 'A' && c <= 'Z'
}

func (UKNINO) Find(dst []Finding, v []byte, f Field) []Finding {
	for i := 0; i+9 <= len(v); i++ {
		// The cheap test first: six digits start right after the prefix
		// (or after one space).
		if d := v[i+2]; !isDigit(d) && !(d == ' ' && isDigit(v[i+3])) {
			continue
		}
		a, b := upper(v[i]), upper(v[i+1])
		if !ninoLetter(a, false) || !ninoLetter(b, true) || ninoBadPrefix(a, b) || (i > 0 && isAlnumByte(v[i-1])) {
			continue
		}
		j, n := i+2, 0
		for j < len(v) && n < 6 {
			if isDigit(v[j]) {
				n++
				j++
			} else if v[j] == ' ' && n%2 == 0 && j+1 < len(v) && isDigit(v[j+1]) || v[j] == ' ' && n == 0 {
				j++
			} else {
				break
			}
		}
		if n != 6 {
			continue
		}
		if j < len(v) && v[j] == ' ' {
			j++
		}
		if j >= len(v) || upper(v[j]) < 'A' || upper(v[j]) > 'D' || (j+1 < len(v) && isAlnumByte(v[j+1])) {
			continue
		}
		dst = append(dst, Finding{Category: CategoryUKNINO, Detector: "uk_nino", Start: i, End: j + 1, Confidence: 0.9})
		i = j
	}
	return dst
}
