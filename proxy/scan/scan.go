// Package scan runs the detectors outside the message path: over documents
// for `veil scan` (JSON and Bulk API CSV, as the pipeline reads them), and
// over log values for the logging core's redaction.
package scan

import (
	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/pipeline"
)

// Finding is one finding in a document scanned outside the proxy path
// (veil scan): where it is, what it is, and the matched text.
type Finding struct {
	Pointer    string  `json:"pointer"`
	Category   string  `json:"category"`
	Detector   string  `json:"detector"`
	Confidence float64 `json:"confidence"`
	Text       string  `json:"text"`
	Start      int     `json:"start"` // byte offsets within the value
	End        int     `json:"end"`
}

// JSON runs the detectors over every string and number of a JSON
// document, as the pipeline does.
func JSON(s *detectors.Scanner, doc []byte, lim body.Limits) ([]Finding, error) {
	var out []Finding
	err := pipeline.ScanJSONFields(s, doc, lim, func(v *body.Value, _ *detectors.Field, finds []detectors.Finding) error {
		out = appendFindings(out, finds, v.Str, v.Pointer)
		return nil
	})
	return out, err
}

// CSV runs the detectors over every data cell of a Bulk API CSV
// document; the column name is the field.
func CSV(s *detectors.Scanner, doc []byte) ([]Finding, error) {
	var out []Finding
	var scratch []detectors.Finding
	fields := map[string]detectors.Field{} // by column name, classified once
	err := body.WalkCSV(doc, body.SniffCSV(doc), func(c *body.Cell) error {
		if len(c.Value) == 0 {
			return nil
		}
		f, ok := fields[string(c.Column)]
		if !ok {
			f = detectors.ClassifyFieldOf("", string(c.Column))
			fields[string(c.Column)] = f
		}
		scratch = s.Scan(scratch[:0], c.Value, f)
		out = appendFindings(out, scratch, c.Value, c.Pointer)
		return nil
	})
	return out, err
}

func appendFindings(out []Finding, finds []detectors.Finding, value []byte, pointer func() string) []Finding {
	if len(finds) == 0 {
		return out
	}
	p := pointer()
	for _, f := range finds {
		out = append(out, Finding{Pointer: p, Category: f.Category, Detector: f.Detector, Confidence: f.Confidence,
			Text: string(value[f.Start:f.End]), Start: f.Start, End: f.End})
	}
	return out
}
