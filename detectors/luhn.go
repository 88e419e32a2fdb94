package detectors

// luhn reports whether the digits pass the Luhn check.
func luhn(d []byte) bool { return luhnSum(d)%10 == 0 }

// digitRun is a run of digits allowing single separators from seps.
type digitRun struct {
	start, end int
	digits     []byte
}

// nextDigitRun finds the first maximal digit run in v at or after from
// (single separators from seps allowed between digits) that touches no
// letter or digit on either side and is not part of a decimal or grouped
// number (joinedNumber). Its digits are appended to buf[:0]. ok is
// false when there is none; next is where to continue. A loop, not a
// callback: callbacks capturing the findings slice escape and allocate.
func nextDigitRun(v []byte, from int, seps string, buf []byte) (r digitRun, next int, ok bool) {
	for i := from; i < len(v); {
		if !isDigit(v[i]) || (i > 0 && (isDigit(v[i-1]) || isUpperOrLower(v[i-1]))) {
			i++
			continue
		}
		j := i
		buf = buf[:0]
		for j < len(v) {
			if isDigit(v[j]) {
				buf = append(buf, v[j])
				j++
				continue
			}
			if j+1 < len(v) && isDigit(v[j+1]) && containsByte(seps, v[j]) && isDigit(v[j-1]) {
				j++
				continue
			}
			break
		}
		if j < len(v) && isUpperOrLower(v[j]) || joinedNumber(v, i, j) {
			i = j
			continue
		}
		return digitRun{start: i, end: j, digits: buf}, j, true
	}
	return digitRun{}, len(v), false
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// joinedNumber reports whether the digits v[start:end] continue across a
// '.' or ',' into more digits on either side: 1234567.89 and 1,234,567
// are amounts, not identifiers. Every digit detector refuses such runs,
// and the prefilter counts on it.
func joinedNumber(v []byte, start, end int) bool {
	return end+1 < len(v) && (v[end] == '.' || v[end] == ',') && isDigit(v[end+1]) ||
		start >= 2 && (v[start-1] == '.' || v[start-1] == ',') && isDigit(v[start-2])
}
