package scan

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/veil-proxy/veil/detectors"
)

// FuzzLogScrubber: the log redaction the logging core calls for a value
// that trips its pre-check. Whatever the line, every text the detectors
// find in it is gone (it occurs no more often than where they did not
// find it), each replaced by its category's [REDACTED:…]; what they do
// not find is left byte for byte, so a clean line comes back as it is;
// and valid UTF-8 stays valid.
func FuzzLogScrubber(f *testing.F) {
	for _, s := range []string{
		"body read failed: jane.doe@example.com 4111 1111 1111 1111",
		"ssn 123-45-6789 and 123-45-6789", "nothing here", "", "\xff\xfe 078-05-1120",
		"card=4111111111111111&iban=DE89370400440532013000", "+1 206 328 3475, +44 20 7946 0958",
	} {
		f.Add([]byte(s))
	}
	scrub := LogScrubber()
	s := detectors.NewScanner(detectors.Default())
	f.Fuzz(func(t *testing.T, line []byte) {
		in := append([]byte(nil), line...)
		out := scrub(line)
		if !bytes.Equal(line, in) {
			t.Fatalf("the scrubber changed its input")
		}
		finds := s.Scan(nil, in, detectors.Field{})
		if len(finds) == 0 {
			if !bytes.Equal(out, in) {
				t.Fatalf("clean %q scrubbed to %q", in, out)
			}
			return
		}
		if utf8.Valid(in) && !utf8.Valid(out) {
			t.Fatalf("%q scrubbed to invalid UTF-8 %q", in, out)
		}
		// Rebuild what the scrubbed line must be, finding by finding.
		var want []byte
		last := 0
		found := map[string]int{}
		for _, fd := range finds {
			want = append(append(want, in[last:fd.Start]...), "[REDACTED:"+fd.Category+"]"...)
			last = fd.End
			found[string(in[fd.Start:fd.End])]++
		}
		want = append(want, in[last:]...)
		if !bytes.Equal(out, want) {
			t.Fatalf("%q scrubbed to %q, want %q", in, out, want)
		}
		for text, n := range found {
			if bytes.Count(out, []byte(text)) > bytes.Count(in, []byte(text))-n {
				t.Fatalf("%q scrubbed to %q still holds %q", in, out, text)
			}
		}
	})
}
