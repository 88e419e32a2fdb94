package pipeline

import (
	"bytes"
	"sync"
	"sync/atomic"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/proxy/body"
)

// Field names hidden by wrappers. CRMs and their APIs often wrap a field's
// value in an object or an array rather than writing it under the field's
// name:
//
//	Salesforce UI API   {"fields":{"Birthdate":{"value":"1960-01-02","displayValue":"1/2/1960"}}}
//	Salesforce GraphQL  {"node":{"Birthdate":{"value":"1960-01-02"}}}
//	HubSpot history     {"propertiesWithHistory":{"date_of_birth":[{"value":"1960-01-02","timestamp":"…"}]}}
//	HubSpot v1          {"properties":{"firstname":{"value":"Jane","versions":[{"value":"Jane"}]}}}
//
// The field hint comes from the nearest member name that is not a
// wrapper (hintName), so that a birthdate in a UI API record is read as
// one, as it is in a REST record.

// isWrapperKey reports whether a member name wraps the value of the field
// named above it rather than naming a field itself. "label" is not one:
// in UI API object info (fields.Birthdate.label = "Birthdate") it is
// metadata, which the enclosing field's hint would wrongly redact.
func isWrapperKey(k []byte) bool {
	switch string(k) {
	case "value", "displayValue", "formattedValue", "versions":
		return true
	}
	return false
}

// hintName is the member name whose hint applies to v: the nearest
// enclosing member name that is not a wrapper (array indexes skipped), or,
// when every enclosing name is one, the nearest (fieldName's answer).
func hintName(v *body.Value) []byte {
	if v.Key != nil && !isWrapperKey(v.Key) {
		return v.Key
	}
	var nearest []byte
	for i := v.Segments() - 1; i >= 0; i-- {
		k, _ := v.Segment(i)
		if k == nil {
			continue
		}
		if !isWrapperKey(k) {
			return k
		}
		if nearest == nil {
			nearest = k
		}
	}
	return nearest
}

// propertyNamed remembers the property a search filter names, so that its
// value is scanned under that property's hint: HubSpot's
// {"filterGroups":[{"filters":[{"propertyName":"date_of_birth","operator":"EQ","value":"1960-01-02"}]}]}
// (also "values":[…] and "highValue"). The filter's object is known by its
// pointer. A value written before its propertyName keeps the hint of its
// own name ("value": none); pattern detectors find it all the same.
type propertyNamed struct {
	object []byte // pointer of the object holding the last propertyName
	name   []byte
	buf    []byte
}

// observe notes a propertyName member.
func (p *propertyNamed) observe(v *body.Value) {
	if v.Kind != body.KindString || string(v.Key) != "propertyName" {
		return
	}
	p.object = v.AppendPrefixPointer(p.object[:0], v.Segments()-1)
	p.name = append(p.name[:0], v.Str...)
}

// of returns the property v is the value of, or nil: v is the value,
// highValue or an element of values of the object that named it.
func (p *propertyNamed) of(v *body.Value) []byte {
	if p.name == nil {
		return nil
	}
	n := v.Segments()
	var parent int // segments of the filter object
	switch {
	case string(v.Key) == "value" || string(v.Key) == "highValue":
		parent = n - 1
	case v.Key == nil && n >= 2:
		if k, _ := v.Segment(n - 2); string(k) != "values" {
			return nil
		}
		parent = n - 2
	default:
		return nil
	}
	p.buf = v.AppendPrefixPointer(p.buf[:0], parent)
	if !bytes.Equal(p.buf, p.object) {
		return nil
	}
	return p.name
}

// Member names and CSV column names are scanned too: a card number or an
// SSN can be a name ({"4111111111111111":"x"}). A finding there cannot be
// rewritten in place, so it is a name leaf (leaf.name): unless the policy
// allows it, refusal refuses the message, as for a form field's name.
//
// Names repeat on every record of a page, so a name is scanned once:
// clean names (no findings; nearly all of them) are kept process-wide,
// per scanner, up to cleanNamesMax, read without locking; a name holding
// findings is scanned again wherever it appears (the message is about to
// be refused or the policy asked).

type cleanNameSet struct {
	scanner *detectors.Scanner
	names   map[string]struct{}
}

var (
	cleanNames   atomic.Pointer[cleanNameSet]
	cleanNamesMu sync.Mutex
)

const (
	cleanNamesMax = 8192
	cleanNameLen  = 128 // longer names are scanned every time
)

// scanName appends the findings in member or column name to dst.
func scanName(s *detectors.Scanner, dst []detectors.Finding, name []byte) []detectors.Finding {
	if len(name) == 0 {
		return dst
	}
	set := cleanNames.Load()
	if set != nil && set.scanner == s {
		if _, ok := set.names[string(name)]; ok {
			return dst
		}
	}
	n := len(dst)
	dst = s.Scan(dst, name, detectors.Field{})
	if len(dst) == n && len(name) <= cleanNameLen {
		rememberCleanName(s, string(name))
	}
	return dst
}

func rememberCleanName(s *detectors.Scanner, name string) {
	cleanNamesMu.Lock()
	defer cleanNamesMu.Unlock()
	old := cleanNames.Load()
	if old != nil && old.scanner == s {
		if _, ok := old.names[name]; ok || len(old.names) >= cleanNamesMax {
			return
		}
	} else {
		old = &cleanNameSet{scanner: s}
	}
	m := make(map[string]struct{}, len(old.names)+1)
	for k := range old.names {
		m[k] = struct{}{}
	}
	m[name] = struct{}{}
	cleanNames.Store(&cleanNameSet{scanner: s, names: m})
}

// csvHeader returns the column names of a CSV document that has a header
// and no data row (WalkCSV calls back for data cells only): the header is
// read as a data row of itself.
func csvHeader(doc []byte, o body.CSVOptions) [][]byte {
	d := make([]byte, 0, 2*len(doc)+1)
	d = append(d, doc...)
	if len(d) > 0 && d[len(d)-1] != '\n' {
		d = append(d, '\n')
	}
	d = append(d, doc...)
	var names [][]byte
	_ = body.WalkCSV(d, o, func(c *body.Cell) error {
		if c.Row == 0 {
			names = append(names, append([]byte(nil), c.Column...))
		}
		return nil
	})
	return names
}
