package detectors

// UKNINO finds UK National Insurance numbers: two prefix letters (not D,
// F, I, Q, U, V; second not O; not the unallocated BG, GB, KN, NK, NT, TN,
// ZZ), six digits (optionally paired by spaces) and a suffix A–D.
type UKNINO struct{}

func (UKNINO) Name() string     { return "uk_nino" }
func (UKNINO) Category() string { return CategoryUKNINO }

var ninoBadPrefix = map[[2]byte]bool{{'B', 'G'}: true, {'G', 'B'}: true, {'K', 'N'}: true, {'N', 'K'}: true, {'N', 'T'}: true, {'T', 'N'}: true, {'Z', 'Z'}: true}

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
		a, b := upper(v[i]), upper(v[i+1])
		if !ninoLetter(a, false) || !ninoLetter(b, true) || ninoBadPrefix[[2]byte{a, b}] || (i > 0 && isAlnumByte(v[i-1])) {
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
