package detectors

import "time"

// DateOfBirth finds a calendar date in free text when a birth word comes
// shortly before it ("DOB: 1985-04-12", "born on 2 January 1960",
// "Birthday: Jan 2nd, 1960", "geboren am 02.01.1960", "b. 2/1/1960").
// Dates are read in the common forms: ISO and year-first with '-', '/'
// or '.' (1960-01-02, 1960/01/02); D/M/YYYY and M/D/YYYY with '/', '.'
// or '-'; and with an English month name, full or short (Jan, Jan., Sept),
// before or after the day, the day with an ordinal suffix or not ("2nd",
// "2nd of"), a comma after the day or the month or not. The date must
// exist and lie between 1900 and today; the finding is the date alone.
// Dates without such a word (CreatedDate, "meeting on Jan 2 2024",
// "closed on 2024-01-31") are not birth dates; fields named as one
// (Birthdate) are reported whole by FieldHint.
type DateOfBirth struct{}

func (DateOfBirth) Name() string     { return "date_of_birth" }
func (DateOfBirth) Category() string { return CategoryDateOfBirth }
func (DateOfBirth) canonical()       {} // a date in full-width digits or with Unicode spaces is one

// trigFive, not a run of five: a date in words may have no run of five
// digits ("DOB Jan 2, 1960": the comma splits it) and be shorter than
// trigLong; but every date it reads has a day and a four-digit year, so
// five digits at least in the value. Find reads a short value's words
// itself, and returns at once when it has none.
func (DateOfBirth) trigger() trigger { return trigFive }

// dobContext are the words that make a date a birth date when they come
// at most 32 bytes before it, with no other date between them ("DOB
// 1984/02/29, renewal due 2025/02/28": the second is no birth date);
// dobInitial is "b." (born), which does only
// right before the date ("b. 2/1/1960"), as everywhere else it is a
// letter in a list or an initial.
var (
	dobContext = newContext("dob", "d.o.b", "date of birth", "birth date", "birthdate", "birthday", "birth_date",
		"born", "geb", "geboren", "geburtsdatum", "geburtstag", "né", "née")
	dobInitial = newContext("b.")
)

func (DateOfBirth) Find(dst []Finding, v []byte, f Field) []Finding {
	m := f.context
	if m&(dobContext.mask|dobInitial.mask) == 0 {
		// The scanner reads a value's context words when it has a run of
		// five digits or twenty bytes: a shorter one, with a date's five
		// digits at least, is read here.
		if len(v) >= genericMin || !fiveDigits(v) {
			return dst
		}
		if m = contextMask(v); m&(dobContext.mask|dobInitial.mask) == 0 {
			return dst
		}
	}
	near, initial := m&dobContext.mask != 0, m&dobInitial.mask != 0
	last := 0 // the end of the last date read: a birth word is one date's
	for i := 0; i+8 <= len(v); i++ {
		c := v[i]
		if !isDigit(c) && !isMonthInitial(c) || i > 0 && isAlnumByte(v[i-1]) {
			continue
		}
		if i > 1 && isDateSep(v[i-1]) && isDigit(v[i-2]) {
			continue // the middle of a longer dotted or dashed number
		}
		end, ok := matchDate(v[i:])
		if !ok {
			continue
		}
		if near && hasContext(v[last:i], dobContext) || initial && afterInitial(v[last:i]) {
			dst = append(dst, Finding{Category: CategoryDateOfBirth, Detector: "date_of_birth", Start: i, End: i + end, Confidence: 0.85})
		}
		last = i + end
		i += end - 1
	}
	return dst
}

// fiveDigits reports whether v holds five digits: a day and a year.
func fiveDigits(v []byte) bool {
	n := 0
	for _, c := range v {
		if isDigit(c) {
			if n++; n == 5 {
				return true
			}
		}
	}
	return false
}

// afterInitial reports whether before ends with the word "b." and spaces.
func afterInitial(before []byte) bool {
	k := len(before)
	for k > 0 && before[k-1] == ' ' {
		k--
	}
	return k >= 2 && before[k-1] == '.' && before[k-2]|0x20 == 'b' && (k == 2 || !isAlnumByte(before[k-3]))
}

func isDateSep(c byte) bool { return c == '-' || c == '/' || c == '.' }

// matchDate reads a date at the start of b and returns its length.
func matchDate(b []byte) (int, bool) {
	if isDigit(b[0]) {
		if end, ok := matchNumericDate(b); ok {
			return end, true
		}
		return matchDayMonthYear(b)
	}
	return matchMonthDayYear(b)
}

// matchNumericDate reads y-m-d (year first, '-', '/' or '.') or d/m/y and
// m/d/y ('/', '.' or '-', a four-digit year), the same separator twice,
// not followed by a letter, a digit or a separator and a digit.
func matchNumericDate(b []byte) (int, bool) {
	a, na := leadingNum(b, 4)
	if na == 0 || na >= len(b) {
		return 0, false
	}
	sep := b[na]
	if !isDateSep(sep) {
		return 0, false
	}
	m, nm := leadingNum(b[na+1:], 4)
	p := na + 1 + nm
	if nm == 0 || nm > 2 || p >= len(b) || b[p] != sep {
		return 0, false
	}
	c, nc := leadingNum(b[p+1:], 4)
	end := p + 1 + nc
	if !dateEnds(b, end) {
		return 0, false
	}
	var y, mo, d int
	switch {
	case na == 4 && nc <= 2 && nc > 0: // 1960-01-02, 1960/01/02, 1960.01.02
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

// matchDayMonthYear reads "2 January 1960", "2nd of Jan. 1960",
// "02-Jan-1960", "2 January, 1960".
func matchDayMonthYear(b []byte) (int, bool) {
	d, p, ok := readDay(b)
	if !ok {
		return 0, false
	}
	p, ok = dateGap(b, p, false)
	if !ok {
		return 0, false
	}
	if q := p + 2; q < len(b) && b[p]|0x20 == 'o' && b[p+1]|0x20 == 'f' && b[q] == ' ' { // "2nd of January"
		p = q + 1
	}
	mo, n := readMonth(b[p:])
	if mo == 0 {
		return 0, false
	}
	if p, ok = dateGap(b, p+n, true); !ok {
		return 0, false
	}
	y, ny := leadingNum(b[p:], 4)
	if ny != 4 || !dateEnds(b, p+4) || !validDate(y, mo, d) {
		return 0, false
	}
	return p + 4, true
}

// matchMonthDayYear reads "Jan 2 1960", "January 2nd, 1960", "Jan. 2,
// 1960", "Jan-02-1960".
func matchMonthDayYear(b []byte) (int, bool) {
	mo, p := readMonth(b)
	if mo == 0 {
		return 0, false
	}
	p, ok := dateGap(b, p, false)
	if !ok {
		return 0, false
	}
	d, n, ok := readDay(b[p:])
	if !ok {
		return 0, false
	}
	if p, ok = dateGap(b, p+n, true); !ok {
		return 0, false
	}
	y, ny := leadingNum(b[p:], 4)
	if ny != 4 || !dateEnds(b, p+4) || !validDate(y, mo, d) {
		return 0, false
	}
	return p + 4, true
}

// readDay reads a day of one or two digits and an optional ordinal suffix
// (st, nd, rd, th), returning the day and the bytes read.
func readDay(b []byte) (int, int, bool) {
	d, n := leadingNum(b, 3)
	if n == 0 || n > 2 || d < 1 || d > 31 {
		return 0, 0, false
	}
	if n+2 <= len(b) {
		switch x, y := b[n]|0x20, b[n+1]|0x20; {
		case x == 's' && y == 't', x == 'n' && y == 'd', x == 'r' && y == 'd', x == 't' && y == 'h':
			n += 2
		}
	}
	if n < len(b) && isAlnumByte(b[n]) {
		return 0, 0, false
	}
	return d, n, true
}

// dateGap skips what may come between two parts of a date in words from
// b[p]: one to three spaces, or one '-' or '/', after an optional '.'
// (Jan.) or, if comma, ','. It returns where the next part starts.
func dateGap(b []byte, p int, comma bool) (int, bool) {
	if p < len(b) && (b[p] == '.' || comma && b[p] == ',') {
		p++
	}
	switch {
	case p >= len(b):
		return 0, false
	case b[p] == '-' || b[p] == '/':
		return p + 1, true
	}
	s := p
	for p < len(b) && p-s < 3 && b[p] == ' ' {
		p++
	}
	return p, p > s
}

var monthNames = [...]string{"january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december"}

// isMonthInitial: the first letter of a month's name, either case.
func isMonthInitial(c byte) bool {
	switch c | 0x20 {
	case 'j', 'f', 'm', 'a', 's', 'o', 'n', 'd':
		return isUpperOrLower(c)
	}
	return false
}

// readMonth reads an English month name at the start of b, full or its
// first three letters (or "sept"), a whole word: the month (1-12, 0 for
// none) and its length.
func readMonth(b []byte) (int, int) {
	n := 0
	for n < len(b) && n < 10 && isUpperOrLower(b[n]) {
		n++
	}
	if n < 3 || n > 9 || n < len(b) && isDigit(b[n]) {
		return 0, 0
	}
	mo := monthByAbbrev[[3]byte{lowerASCII(b[0]), lowerASCII(b[1]), lowerASCII(b[2])}]
	if mo == 0 {
		return 0, 0
	}
	name := monthNames[mo-1]
	if n == 3 || n == len(name) && hasFoldPrefix(b, []byte(name)) || mo == 9 && n == 4 && b[3]|0x20 == 't' {
		return mo, n
	}
	return 0, 0
}

// monthByAbbrev is the month of each three-letter abbreviation.
var monthByAbbrev = func() map[[3]byte]int {
	m := make(map[[3]byte]int, 12)
	for i, name := range monthNames {
		m[[3]byte{name[0], name[1], name[2]}] = i + 1
	}
	return m
}()

// leadingNum reads up to max digits at the start of s: value and count.
func leadingNum(s []byte, max int) (int, int) {
	n, k := 0, 0
	for k < len(s) && k < max && isDigit(s[k]) {
		n = n*10 + int(s[k]-'0')
		k++
	}
	return n, k
}

// dateEnds reports whether a date may end before b[end]: not before a
// letter or a digit, nor before a separator and a digit (1.2.1960.5).
func dateEnds(b []byte, end int) bool {
	if end >= len(b) {
		return true
	}
	if isAlnumByte(b[end]) {
		return false
	}
	return !(isDateSep(b[end]) && end+1 < len(b) && isDigit(b[end+1]))
}

// validDate reports whether y-m-d exists and lies between 1900 and today.
func validDate(y, m, d int) bool {
	if y < 1900 || m < 1 || m > 12 || d < 1 || d > 31 {
		return false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	return t.Day() == d && (y < startYear || !t.After(time.Now()))
}

// startYear is the year the process started in: a date in an earlier
// year is in the past without asking the clock.
var startYear = time.Now().UTC().Year()
