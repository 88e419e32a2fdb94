package detectors

import (
	"fmt"
	"testing"
)

// Adversarial inputs for phone, ip_address and date_of_birth: long runs
// of separated digits and half-numbers that once made Phone.Find re-read
// the whole run from every start position (quadratic: 21 s of CPU for
// 320 KB). Every one of these detectors must be linear: the benchmark
// reports time per byte (b.SetBytes), flat from 10 KB to 10 MB, and
// TestAdversarialLinear holds it to that.

// adversarialInputs are the shapes, each a unit repeated to size.
var adversarialInputs = []struct{ name, unit string }{
	{"spaced", "1 2 3 4 5 6 7 8 9 0 "},                      // one digit, one space
	{"pairs", "12 34 56 78 90 "},                            // two digits, one space
	{"us_prefix", "+1 (206) 555-"},                          // a phone's head, never its tail
	{"every_sep", "1-2.3 4(5)6 7-8.9 (0) 1  2--3..4 ((5 "},  // digits with every separator
	{"parens", "(((((((((((((((((((((((((((((("},            // starts without a digit
	{"paren_spaces", "( ( ( ( ( ( ( ( ( ( ( ( ( ( ( "},      // the same, spaced
	{"spaces", "1      2      3      4      "},              // digits far apart
	{"phones", "+1 (206) 555-0100, 020 7946 0958; "},        // valid numbers, each validated
	{"dotted", "52.85.210.141.1.2.3.4.5.6.7.8."},            // dotted quads run together
	{"quads", "52.85.210.141 "},                             // addresses, each checked
	{"hexcolons", "ab:cd:ef:01:23:45:67:89:"},               // an IPv6 address that never ends
	{"dates", "dob 1.2.1960.3.4.1961 born 12/12/12/12/12 "}, // birth words and date pieces
	{"dob_words", "born on Jan 2nd, 1960 and 2 January "},   // dates in words, half of them whole
}

func adversarial(unit string, size int) []byte {
	b := make([]byte, 0, size+len(unit))
	for len(b) < size {
		b = append(b, unit...)
	}
	return b[:size]
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMB", n>>20)
	}
	return fmt.Sprintf("%dKB", n>>10)
}

var adversarialDetectors = []struct {
	name  string
	d     Detector
	field string
}{
	{"phone", Phone{}, "Description"},
	{"phone_hinted", Phone{}, "Phone"},
	{"ip_address", IPAddress{}, "Description"},
	{"date_of_birth", DateOfBirth{}, "Description"},
}

// BenchmarkAdversarial runs each detector over each adversarial shape at
// 10 KB, 100 KB, 1 MB and 10 MB.
func BenchmarkAdversarial(b *testing.B) {
	for _, in := range adversarialInputs {
		for _, d := range adversarialDetectors {
			for _, size := range []int{10 << 10, 100 << 10, 1 << 20, 10 << 20} {
				b.Run(fmt.Sprintf("%s/%s/%s", d.name, in.name, sizeName(size)), func(b *testing.B) {
					v := adversarial(in.unit, size)
					f := ClassifyField(d.field)
					f.context = contextMask(v)
					b.SetBytes(int64(len(v)))
					var dst []Finding
					for b.Loop() {
						dst = d.d.Find(dst[:0], v, f)
					}
				})
			}
		}
	}
}

// BenchmarkAdversarialScan is the same through the whole scanner, every
// detector included, at 1 MB.
func BenchmarkAdversarialScan(b *testing.B) {
	s := NewScanner(Default())
	for _, in := range adversarialInputs {
		b.Run(in.name, func(b *testing.B) {
			v := adversarial(in.unit, 1<<20)
			f := ClassifyField("Description")
			b.SetBytes(int64(len(v)))
			var dst []Finding
			for b.Loop() {
				dst = s.Scan(dst[:0], v, f)
			}
		})
	}
}
