package scan

import (
	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/proxy/transform"
)

// LogScrubber returns the log redaction function for proxy/logging: it runs
// the detectors over a log value (message, string, error text) and replaces
// what they find. The logging core calls it only for values that trip its
// cheap pre-check.
func LogScrubber() func([]byte) []byte {
	s := detectors.NewScanner(detectors.Default())
	return func(line []byte) []byte {
		finds := s.Scan(nil, line, detectors.Field{})
		if len(finds) == 0 {
			return line
		}
		out := make([]byte, 0, len(line))
		last := 0
		for _, f := range finds {
			if f.Start < last { // overlapping; the scanner resolves these, be safe anyway
				continue
			}
			out = append(out, line[last:f.Start]...)
			out = append(out, transform.Redacted(f.Category)...)
			last = f.End
		}
		return append(out, line[last:]...)
	}
}
