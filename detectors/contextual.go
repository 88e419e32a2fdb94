package detectors

import "bytes"

// Identifiers whose digits alone are too common to trust: each needs a
// field hint or a context word shortly before it, and passes its check
// where the scheme has one.

var (
	nhsContext      = newContext("nhs")
	sinContext      = newContext("sin", "social insurance")
	npiContext      = newContext("npi", "provider id")
	passportContext = newContext("passport*")
	bankContext     = newContext("account number*", "account no", "acct", "a/c", "bank account*", "routing")
)

// digitsWithContext reports runs of n digits (separators seps) that sit in
// a field hinted as category or follow a context word, and pass check.
// check names the validator; a func value here would make the digit
// buffer escape and allocate on every value.
type check uint8

const (
	checkNone check = iota
	checkNHS
	checkSIN
	checkNPI
)

func (c check) ok(d []byte) bool {
	switch c {
	case checkNHS:
		return nhsValid(d)
	case checkSIN:
		return d[0] != '0' && d[0] != '8' && luhn(d)
	case checkNPI:
		return (d[0] == '1' || d[0] == '2') && npiLuhn(d)
	}
	return true
}

func digitsWithContext(dst []Finding, v []byte, f Field, category, detector, seps string, lengths []int, ctx contextSet, chk check) []Finding {
	if f.Hint != category && !f.present(ctx) {
		return dst // no hint and no context word anywhere: no run can qualify
	}
	var buf [32]byte
	for pos := 0; ; {
		r, next, ok := nextDigitRun(v, pos, seps, buf[:0])
		if !ok {
			break
		}
		pos = next
		fits := false
		for _, n := range lengths {
			fits = fits || len(r.digits) == n
		}
		if !fits || afterCurrency(v, r.start) || !(f.Hint == category || hasContext(v[:r.start], ctx)) || !chk.ok(r.digits) {
			continue
		}
		// 0.9: a context-confirmed identifier outranks an unhinted phone
		// reading of the same digits.
		dst = append(dst, Finding{Category: category, Detector: detector, Start: r.start, End: r.end, Confidence: 0.9})
	}
	return dst
}

// afterCurrency reports whether a currency sign ($, €, £) comes right
// before v[start:], spaces allowed: $ 1234567 is money, not an account.
func afterCurrency(v []byte, start int) bool {
	b := bytes.TrimRight(v[:start], " ")
	return bytes.HasSuffix(b, []byte("$")) || bytes.HasSuffix(b, []byte("€")) || bytes.HasSuffix(b, []byte("£"))
}
