package detectors

// luhn reports whether the digits pass the Luhn check.
func luhn(d []byte) bool {
	sum, double := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}

// digitRun is a run of digits allowing single separators from seps.
type digitRun struct {
	start, end int
	digits     []byte
}

// digitRuns calls fn for every maximal digit run in v (single separators
// from seps allowed between digits), not touching letters or digits on
// either side.
func digitRuns(v []byte, seps string, buf []byte, fn func(r digitRun)) {
	for i := 0; i < len(v); {
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
		if j < len(v) && isUpperOrLower(v[j]) {
			i = j
			continue
		}
		fn(digitRun{start: i, end: j, digits: buf})
		i = j
	}
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}
