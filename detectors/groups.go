package detectors

// Digit groups: how the card, SSN and IBAN detectors read a number
// written in pieces. A group is a maximal run of ASCII digits; two groups
// are joined when 1 to maxSepRun separator bytes (space, tab, newline,
// CR, '.', '-', '/', '_') and nothing else stand between them: "4111 -
// 1111", "4111.1111", "4111\t1111". The separators decide nothing else;
// precision comes from each detector's validation (IIN and Luhn, SSN
// ranges, mod-97) and its grouping rules. Reading groups is one pass,
// each byte looked at once.

// maxSepRun bounds the separators between two groups.
const maxSepRun = 3

var isGroupSep = func() (t [256]bool) {
	for _, c := range " \t\n\r.-/_" {
		t[c] = true
	}
	return t
}()

// digitGroup is one maximal digit run of a value.
type digitGroup struct {
	start, end int
	joined     bool // joined to the previous group by separators
}

func (g digitGroup) len() int { return g.end - g.start }

// groupReader yields a value's digit groups in order.
type groupReader struct {
	v       []byte
	pos     int
	prevEnd int // end of the previous group, -1 before the first
}

func newGroupReader(v []byte) groupReader { return groupReader{v: v, prevEnd: -1} }

func (g *groupReader) next() (digitGroup, bool) {
	v := g.v
	i := g.pos
	for i < len(v) && !isDigit(v[i]) {
		i++
	}
	if i >= len(v) {
		g.pos = len(v)
		return digitGroup{}, false
	}
	j := i + 1
	for j < len(v) && isDigit(v[j]) {
		j++
	}
	joined := false
	if g.prevEnd >= 0 && i-g.prevEnd <= maxSepRun {
		joined = true
		for k := g.prevEnd; k < i; k++ {
			joined = joined && isGroupSep[v[k]]
		}
	}
	g.pos, g.prevEnd = j, j
	return digitGroup{start: i, end: j, joined: joined}, true
}

// sepRun returns the end of the separator run at v[i:] that joins it to a
// digit (1..maxSepRun separator bytes then a digit), or -1.
func sepRun(v []byte, i int) int {
	k := i
	for k < len(v) && isGroupSep[v[k]] && k-i < maxSepRun {
		k++
	}
	if k == i || k >= len(v) || !isDigit(v[k]) {
		return -1
	}
	return k
}

// gluedToken reports whether the digits v[s:e] sit in a word of letters
// and these digits only (Visa4111…, 4111…exp): false when the word holds
// other digits too, as Salesforce ids and hashes do (0015g00000XyZ12AAB).
func gluedToken(v []byte, s, e int) bool {
	for i := s - 1; i >= 0 && isAlnumByte(v[i]); i-- {
		if isDigit(v[i]) {
			return false
		}
	}
	for i := e; i < len(v) && isAlnumByte(v[i]); i++ {
		if isDigit(v[i]) {
			return false
		}
	}
	return true
}

func digitsOnly(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return true
}
