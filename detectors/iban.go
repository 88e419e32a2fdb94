package detectors

// IBAN finds International Bank Account Numbers: country code, two check
// digits, the BBAN of the country's registered length, and mod-97 == 1.
// The country code and check digits are written together; after them any
// short separator run (groups.go: "DE89 3704-0044.0532 0130 00", Unicode
// spaces in the canonical view) may stand between characters: the
// registered length and mod-97 are the proof, not the grouping.
type IBAN struct{}

func (IBAN) Name() string     { return "iban" }
func (IBAN) Category() string { return CategoryIBAN }
func (IBAN) trigger() trigger { return trigIBAN }
func (IBAN) canonical()       {}

// ibanLength is the SWIFT IBAN registry's total length per country.
var ibanLength = map[[2]byte]int{
	{'A', 'D'}: 24, {'A', 'E'}: 23, {'A', 'L'}: 28, {'A', 'T'}: 20, {'A', 'Z'}: 28, {'B', 'A'}: 20, {'B', 'E'}: 16,
	{'B', 'G'}: 22, {'B', 'H'}: 22, {'B', 'R'}: 29, {'B', 'Y'}: 28, {'C', 'H'}: 21, {'C', 'R'}: 22, {'C', 'Y'}: 28,
	{'C', 'Z'}: 24, {'D', 'E'}: 22, {'D', 'K'}: 18, {'D', 'O'}: 28, {'E', 'E'}: 20, {'E', 'G'}: 29, {'E', 'S'}: 24,
	{'F', 'I'}: 18, {'F', 'O'}: 18, {'F', 'R'}: 27, {'G', 'B'}: 22, {'G', 'E'}: 22, {'G', 'I'}: 23, {'G', 'L'}: 18,
	{'G', 'R'}: 27, {'G', 'T'}: 28, {'H', 'R'}: 21, {'H', 'U'}: 28, {'I', 'E'}: 22, {'I', 'L'}: 23, {'I', 'Q'}: 23,
	{'I', 'S'}: 26, {'I', 'T'}: 27, {'J', 'O'}: 30, {'K', 'W'}: 30, {'K', 'Z'}: 20, {'L', 'B'}: 28, {'L', 'C'}: 32,
	{'L', 'I'}: 21, {'L', 'T'}: 20, {'L', 'U'}: 20, {'L', 'V'}: 21, {'L', 'Y'}: 25, {'M', 'C'}: 27, {'M', 'D'}: 24,
	{'M', 'E'}: 22, {'M', 'K'}: 19, {'M', 'R'}: 27, {'M', 'T'}: 31, {'M', 'U'}: 30, {'N', 'L'}: 18, {'N', 'O'}: 15,
	{'P', 'K'}: 24, {'P', 'L'}: 28, {'P', 'S'}: 29, {'P', 'T'}: 25, {'Q', 'A'}: 29, {'R', 'O'}: 24, {'R', 'S'}: 22,
	{'S', 'A'}: 24, {'S', 'C'}: 31, {'S', 'D'}: 18, {'S', 'E'}: 24, {'S', 'I'}: 19, {'S', 'K'}: 24, {'S', 'M'}: 27,
	{'S', 'T'}: 25, {'S', 'V'}: 28, {'T', 'L'}: 23, {'T', 'N'}: 24, {'T', 'R'}: 26, {'U', 'A'}: 29, {'V', 'A'}: 22,
	{'V', 'G'}: 24, {'X', 'K'}: 20,
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 32
	}
	return c
}

func isAlnumByte(c byte) bool { return isDigit(c) || isUpperOrLower(c) }

func (IBAN) Find(dst []Finding, v []byte, f Field) []Finding {
	conf := 0.95
	if f.Hint == CategoryIBAN {
		conf = 0.99
	}
	for i := 0; i+4 < len(v); i++ {
		if !isUpperOrLower(v[i]) || !isUpperOrLower(v[i+1]) || !isDigit(v[i+2]) || !isDigit(v[i+3]) {
			continue
		}
		// Glued to a word ("IBANGB82…", "…32ok") only where the word is
		// "IBAN" or the field is an IBAN's: elsewhere a run of letters
		// and digits (a hash, a token) is no place to look.
		glued := f.Hint == CategoryIBAN
		if i > 0 && isAlnumByte(v[i-1]) {
			if !glued && !ibanWordBefore(v, i) {
				continue
			}
			glued = true
		}
		want, ok := ibanLength[[2]byte{upper(v[i]), upper(v[i+1])}]
		if !ok {
			continue
		}
		var chars [34]byte
		n, j := 0, i
		for j < len(v) && n < want {
			c := v[j]
			if isAlnumByte(c) {
				chars[n] = upper(c)
				n++
				j++
				continue
			}
			if n >= 4 && isGroupSep[c] {
				k := j
				for k < len(v) && isGroupSep[v[k]] && k-j < maxSepRun {
					k++
				}
				if k < len(v) && isAlnumByte(v[k]) {
					j = k
					continue
				}
			}
			break
		}
		if n != want || (j < len(v) && isAlnumByte(v[j]) && !glued) || !mod97(chars[:n]) {
			continue
		}
		dst = append(dst, Finding{Category: CategoryIBAN, Detector: "iban", Start: i, End: j, Confidence: conf})
		i = j
	}
	return dst
}

// mod97 computes the ISO 7064 check over the rearranged IBAN.
func mod97(s []byte) bool {
	r := 0
	step := func(c byte) {
		if isDigit(c) {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A'+10)) % 97
		}
	}
	for _, c := range s[4:] {
		step(c)
	}
	for _, c := range s[:4] {
		step(c)
	}
	return r == 1
}

// ibanWordBefore reports whether the letters glued before v[i] are the
// word IBAN (any case), with nothing alphanumeric before it.
func ibanWordBefore(v []byte, i int) bool {
	const word = "iban"
	if i < len(word) || (i > len(word) && isAlnumByte(v[i-len(word)-1])) {
		return false
	}
	for k := range len(word) {
		if v[i-len(word)+k]|0x20 != word[k] {
			return false
		}
	}
	return true
}
