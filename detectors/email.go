package detectors

import "bytes"

// Email finds addresses local@domain.tld inside any text.
type Email struct{}

func (Email) Name() string     { return "email" }
func (Email) Category() string { return CategoryEmail }
func (Email) trigger() trigger { return trigAt }

func isLocal(c byte) bool {
	return isDigit(c) || isUpperOrLower(c) || c >= 0x80 || bytes.IndexByte([]byte("!#$%&'*+/=?^_`{|}~.-"), c) >= 0
}

func isDomain(c byte) bool {
	return isDigit(c) || isUpperOrLower(c) || c >= 0x80 || c == '-' || c == '.'
}

func (e Email) Find(dst []Finding, v []byte, f Field) []Finding {
	conf := 0.95
	if f.Hint == CategoryEmail {
		conf = 0.99
	}
	for i := 0; i < len(v); i++ {
		if v[i] != '@' {
			continue
		}
		s := i
		for s > 0 && isLocal(v[s-1]) {
			s--
		}
		for s < i && v[s] == '.' {
			s++
		}
		e := i + 1
		for e < len(v) && isDomain(v[e]) {
			e++
		}
		for e > i+1 && (v[e-1] == '.' || v[e-1] == '-') {
			e--
		}
		if s == i || e <= i+1 || i-s > 64 {
			continue
		}
		if !validDomain(v[i+1 : e]) {
			continue
		}
		dst = append(dst, Finding{Category: CategoryEmail, Detector: "email", Start: s, End: e, Confidence: conf})
		i = e
	}
	return dst
}

// validDomain checks a host name the way DNS allows it (RFC 1035, with
// IDN labels as UTF-8): at most 253 bytes, at least two labels of 1–63
// bytes that neither start nor end with '-', and a top-level label of two
// or more bytes without digits.
func validDomain(dom []byte) bool {
	if len(dom) > 253 {
		return false
	}
	labels := 0
	for len(dom) > 0 {
		n := bytes.IndexByte(dom, '.')
		last := n < 0
		if last {
			n = len(dom)
		}
		l := dom[:n]
		if n == 0 || n > 63 || l[0] == '-' || l[n-1] == '-' {
			return false
		}
		labels++
		if last {
			if labels < 2 || n < 2 {
				return false
			}
			for _, c := range l {
				if isDigit(c) {
					return false
				}
			}
			return true
		}
		dom = dom[n+1:]
	}
	return false // ends with '.'
}
