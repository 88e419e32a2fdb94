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
		dom := v[i+1 : e]
		dot := bytes.LastIndexByte(dom, '.')
		if dot <= 0 || len(dom)-dot-1 < 2 || bytes.Contains(dom, []byte("..")) {
			continue
		}
		tld := dom[dot+1:]
		okTLD := true
		for _, c := range tld {
			if isDigit(c) {
				okTLD = false
			}
		}
		if !okTLD {
			continue
		}
		dst = append(dst, Finding{Category: CategoryEmail, Detector: "email", Start: s, End: e, Confidence: conf})
		i = e
	}
	return dst
}
