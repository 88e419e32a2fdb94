package detectors

// USMBI: Medicare Beneficiary Identifiers, 11 characters in the CMS
// pattern C A AN N A AN N A A N N (letters exclude S L O I B Z), dashes
// allowed after the 4th and 7th.
type USMBI struct{}

func (USMBI) Name() string     { return "us_mbi" }
func (USMBI) Category() string { return CategoryUSMBI }
func (USMBI) trigger() trigger { return trigMBI }

func mbiAlpha(c byte) bool {
	c = upper(c)
	return c >= 'A' && c <= 'Z' && c != 'S' && c != 'L' && c != 'O' && c != 'I' && c != 'B' && c != 'Z'
}

func (USMBI) Find(dst []Finding, v []byte, f Field) []Finding {
	// position classes: c=1-9, a=alpha, x=alpha or digit, n=digit
	const pattern = "caxnaxnaann"
	for i := 0; i+11 <= len(v); i++ {
		if v[i] < '1' || v[i] > '9' || i > 0 && isAlnumByte(v[i-1]) {
			continue
		}
		j, k := i, 0
		for j < len(v) && k < len(pattern) {
			c := v[j]
			if c == '-' && (k == 4 || k == 7) && v[j-1] != '-' { // one dash
				j++
				continue
			}
			ok := false
			switch pattern[k] {
			case 'c':
				ok = c >= '1' && c <= '9'
			case 'a':
				ok = mbiAlpha(c)
			case 'x':
				ok = mbiAlpha(c) || isDigit(c)
			case 'n':
				ok = isDigit(c)
			}
			if !ok {
				break
			}
			j++
			k++
		}
		if k == len(pattern) && (j == len(v) || !isAlnumByte(v[j])) {
			dst = append(dst, Finding{Category: CategoryUSMBI, Detector: "us_mbi", Start: i, End: j, Confidence: 0.85})
			i = j
		}
	}
	return dst
}
