package detectors

import "math"

// GenericSecret finds credentials with no published format: a run of 20–200
// key characters (letters, digits, + / = _ - .) with letters and digits
// and at least 3.5 bits of entropy per character, after a credential word
// ("password", "api key", "token" …) or in a field named as one
// (Password__c, api_key). Random keys have 4+ bits; words, ids and
// sentences fall short.
type GenericSecret struct{}

func (GenericSecret) Name() string     { return "generic_secret" }
func (GenericSecret) Category() string { return CategorySecret }
func (GenericSecret) trigger() trigger { return trigLong }

var secretContext = newContext("password*", "passwd", "pwd", "secret*", "api key*", "api_key", "apikey", "token*", "access key*", "auth*")

const (
	genericMin     = 20
	genericMax     = 200
	genericEntropy = 3.5
)

func isKeyChar(c byte) bool {
	return isB62(c) || c == '+' || c == '/' || c == '=' || c == '_' || c == '-' || c == '.'
}

func (GenericSecret) Find(dst []Finding, v []byte, f Field) []Finding {
	hinted := f.Hint == CategorySecret
	if !hinted && !f.present(secretContext) {
		return dst
	}
	for i := 0; i < len(v); i++ {
		if !isKeyChar(v[i]) || i > 0 && isKeyChar(v[i-1]) {
			continue
		}
		j := i
		for j < len(v) && isKeyChar(v[j]) {
			j++
		}
		for j > i && (v[j-1] == '.' || v[j-1] == '-') { // sentence punctuation
			j--
		}
		for k := i; k < j && (isUpperOrLower(v[k]) || v[k] == '_' || v[k] == '='); k++ {
			if v[k] == '=' { // key=value: the value is the candidate
				i = k + 1
				break
			}
		}
		if n := j - i; n >= genericMin && n <= genericMax && random(v[i:j]) && (hinted || hasContext(v[:i], secretContext)) {
			conf := 0.8
			if hinted {
				conf = 0.9
			}
			dst = append(dst, Finding{Category: CategorySecret, Detector: "generic_secret", Start: i, End: j, Confidence: conf})
		}
		i = j
	}
	return dst
}

// random: letters and digits both present, and Shannon entropy of the
// bytes at least genericEntropy bits per character.
func random(s []byte) bool {
	var counts [128]uint16
	letters, digits := false, false
	for _, c := range s {
		counts[c&0x7f]++
		letters = letters || isUpperOrLower(c)
		digits = digits || isDigit(c)
	}
	if !letters || !digits {
		return false
	}
	h, n := 0.0, float64(len(s))
	for _, k := range counts {
		if k > 0 {
			p := float64(k) / n
			h -= p * math.Log2(p)
		}
	}
	return h >= genericEntropy
}
