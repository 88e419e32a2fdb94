package detectors

import (
	"sort"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The canonical view: what the digit detectors read when a value holds
// anything but printable ASCII. A user who wants a card number past the
// proxy writes it with full-width digits (４１１１…), non-breaking or
// ideographic spaces, zero-width characters or soft hyphens between the
// digits; the view undoes all of that in one linear pass, and keeps, per
// canonical byte, where in the original value it came from, so findings
// are reported (and rewritten) in the original bytes.
//
// The mapping, character by character:
//   - a Unicode decimal digit (Nd: full-width, Arabic-Indic, Devanagari,
//     mathematical …) becomes its ASCII digit, as NFKC does for the
//     compatibility ones;
//   - a full-width ASCII form (U+FF01–FF5E) becomes its ASCII character;
//   - a space separator (Zs: U+00A0, U+2009, U+202F, U+3000 …), \v and \f
//     become ' '; a line or paragraph separator '\n';
//   - a dash (Pd, U+2212) becomes '-'; a middle dot or dot leader '.';
//     a fraction or division slash '/';
//   - an invisible character (Cf: zero-width space and joiners, U+2060,
//     U+FEFF, the soft hyphen, bidi controls) and a control byte other
//     than \t \n \r (NUL …) are removed: invisible, they group nothing,
//     so 4111<ZWSP>1111… reads as the plain number it shows;
//   - anything else (letters, invalid UTF-8) is copied byte for byte.
//
// Scan builds the view only for a value that needs it (the prefilter's
// trigCanon: a byte >= 0x80 or a control byte), and runs only the digit
// detectors on it (canonical); plain ASCII values cost nothing more than
// the prefilter's own pass.

// canonView is a value's canonical bytes and the span map back.
type canonView struct {
	b []byte
	// lo[k], hi[k]: the original bytes canonical byte k comes from.
	lo, hi []int32
}

// canonical marks the detectors that read the canonical view.
type canonical interface{ canonical() }

var canonPool = sync.Pool{New: func() any { return new(canonView) }}

// build fills cv with v's canonical view; false when it is v itself (an
// accented name: nothing to map), and the view is not worth using.
func (cv *canonView) build(v []byte) bool {
	cv.b, cv.lo, cv.hi = cv.b[:0], cv.lo[:0], cv.hi[:0]
	changed := false
	emit := func(c byte, lo, hi int) {
		cv.b = append(cv.b, c)
		cv.lo = append(cv.lo, int32(lo))
		cv.hi = append(cv.hi, int32(hi))
	}
	for i := 0; i < len(v); {
		c := v[i]
		if c < 0x80 {
			switch {
			case c >= 0x20 || c == '\t' || c == '\n' || c == '\r':
				emit(c, i, i+1)
			case c == '\v' || c == '\f':
				emit(' ', i, i+1)
				changed = true
			default: // NUL and the other controls: removed
				changed = true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(v[i:])
		if m, ok := canonRune(r); ok && !(r == utf8.RuneError && size == 1) {
			if m >= 0 {
				emit(byte(m), i, i+size)
			}
			changed = true
		} else {
			for k := range size {
				emit(v[i+k], i+k, i+k+1)
			}
		}
		i += size
	}
	return changed
}

// canonRune maps a non-ASCII rune: ok false keeps it as it is, m < 0
// removes it, else m is its ASCII byte.
func canonRune(r rune) (m int, ok bool) {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII, digits included
		return int(r - 0xFEE0), true
	case unicode.Is(unicode.Nd, r):
		return '0' + ndValue(r), true
	case r == 0x2028 || r == 0x2029:
		return '\n', true
	case unicode.Is(unicode.Zs, r):
		return ' ', true
	case unicode.Is(unicode.Cf, r), r <= 0x9F: // invisible; C1 controls
		return -1, true
	case unicode.Is(unicode.Pd, r), r == 0x2212:
		return '-', true
	case r == 0x00B7, r == 0x2024, r == 0x2027, r == 0x30FB, r == 0xFF65, r == 0x2022:
		return '.', true
	case r == 0x2044, r == 0x2215:
		return '/', true
	}
	return 0, false
}

// ndZeros are the first characters of the runs of Nd digits (each run is
// whole tens of digits, zero first: Unicode's stability policy).
var ndZeros = func() (z []rune) {
	for _, r := range unicode.Nd.R16 {
		for c := rune(r.Lo); c <= rune(r.Hi); c += 10 * rune(r.Stride) {
			z = append(z, c)
		}
	}
	for _, r := range unicode.Nd.R32 {
		for c := rune(r.Lo); c <= rune(r.Hi); c += 10 * rune(r.Stride) {
			z = append(z, c)
		}
	}
	return z
}()

// ndValue is the value of the Nd digit r.
func ndValue(r rune) int {
	k := sort.Search(len(ndZeros), func(i int) bool { return ndZeros[i] > r }) - 1
	return int(r-ndZeros[k]) % 10
}

// span maps canonical [s, e) to the original bytes.
func (cv *canonView) span(s, e int) (int, int) { return int(cv.lo[s]), int(cv.hi[e-1]) }

// gapBefore reports whether something was removed (an invisible
// character) between canonical bytes k-1 and k.
func (cv *canonView) gapBefore(k int) bool {
	return cv != nil && k > 0 && k < len(cv.lo) && cv.lo[k] > cv.hi[k-1]
}
