package pipeline

import (
	"slices"

	"github.com/veil-proxy/veil/policy"
)

// Summary is what one message leaves for the audit event, the watch and
// the inventory: counts, record ids and names, never a value.
type Summary struct {
	Categories map[string]int // findings by category
	Actions    map[string]int // findings by the action applied
	RecordIDs  []string       // records holding findings
	PIIRecords int            // records holding findings, with or without an id
	NoID       int            // records holding findings whose id the message does not carry
	Path       string         // the URL path as audited (auditPath): known segments, "[category]", "[segment]"

	// A streamed response's (proxy/inspect/stream.go): its chunks, and the record ids
	// past the bound of its event.
	Chunks, RecordIDsOmitted int
	// Bytes is a streamed body's size, decoded, as read; proxy/record sizes a
	// body read whole itself.
	Bytes int64
}

// summarize fills the counts and ids of a decided message.
func summarize(in *policy.Input, m *Message, urls []urlFind) Summary {
	s := Summary{Path: auditPath(m.Route, m.Path, urls)} // safepath.go
	if len(in.Findings) > 0 {
		var t actionTally // by category: a handful, counted in a list, then one map
		for i := range in.Findings {
			t.inc(in.Findings[i].Category)
		}
		s.Categories = make(map[string]int, max(4, len(t.counts)))
		for _, c := range t.counts {
			s.Categories[c.label] += c.n
		}
	}
	ids := 0
	for i := range in.Records {
		if in.Records[i].ID != "" {
			ids++
		}
	}
	if ids > 0 {
		s.RecordIDs = make([]string, 0, ids)
	}
	for _, r := range in.Records {
		s.PIIRecords++
		if r.ID != "" {
			s.RecordIDs = append(s.RecordIDs, r.ID)
		} else if r.Index >= 0 {
			s.NoID++
		}
	}
	return s
}

// FieldCount is what the inventory learns from a message: n findings of
// a category in a field of an object.
type FieldCount struct {
	Object, Field, Category string
	N                       int
}

// fieldCounts counts a message's findings per (object, field, category),
// for the inventory. A message holds a handful of such triples: a short
// list searched in turn costs less than a map. Records are sorted by
// index (detect sorts them).
func fieldCounts(in *policy.Input) []FieldCount {
	var counts []FieldCount
	for _, f := range in.Findings {
		obj := in.Object
		if k, ok := slices.BinarySearchFunc(in.Records, f.Record, func(r policy.Record, i int) int { return r.Index - i }); ok {
			obj = in.Records[k].Object
		}
		found := false
		for k := range counts {
			if c := &counts[k]; c.Object == obj && c.Field == f.Field && c.Category == f.Category {
				c.N++
				found = true
				break
			}
		}
		if !found {
			counts = append(counts, FieldCount{obj, f.Field, f.Category, 1})
		}
	}
	return counts
}
