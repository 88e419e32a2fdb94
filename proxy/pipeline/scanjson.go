package pipeline

import (
	"sync"
	"sync/atomic"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/proxy/body"
)

// ScanJSONFields walks a JSON document and scans every non-empty string and
// number under its field's hint, as the pipeline does (veil scan) (the object-aware fieldClassifier, the
// name read through wrappers: hintName). fn sees every scalar leaf,
// scanned or not, with its field and findings (valid only during the
// call).
func ScanJSONFields(s *detectors.Scanner, doc []byte, lim body.Limits, fn func(v *body.Value, f detectors.Field, finds []detectors.Finding) error) error {
	return scanJSONNames(s, doc, lim, fn, nil)
}

// scanJSONNames is ScanJSONFields that scans member names too (scanName), and
// calls name, unless nil, for every member whose name holds findings, with
// them (valid only during the call), before fn for its value.
func scanJSONNames(s *detectors.Scanner, doc []byte, lim body.Limits, fn func(v *body.Value, f detectors.Field, finds []detectors.Finding) error,
	name func(v *body.Value, finds []detectors.Finding) error) error {
	var (
		fields  fieldClassifier
		props   propertyNamed
		scratch []detectors.Finding
	)
	return body.WalkJSON(doc, lim, func(v *body.Value) error {
		if name != nil && len(v.Key) > 0 {
			if scratch = scanName(s, scratch[:0], v.Key); len(scratch) > 0 {
				if err := name(v, scratch); err != nil {
					return err
				}
			}
		}
		if v.Kind == body.KindObject || v.Kind == body.KindArray {
			return nil
		}
		fields.observe(v)
		props.observe(v)
		var f detectors.Field
		scratch = scratch[:0]
		if (v.Kind == body.KindString || v.Kind == body.KindNumber) && len(v.Str) > 0 {
			n := props.of(v)
			if n == nil {
				n = hintName(v)
			}
			f = fields.classify(n)
			scratch = s.Scan(scratch, v.Str, f)
		}
		return fn(v, f, scratch)
	})
}

// fieldClassifier classifies member names knowing the object the current
// record is (Salesforce attributes.type, met before the record's fields),
// so that an Account's Name is not a person's.
type fieldClassifier struct {
	object string
	key    []byte
}

func (c *fieldClassifier) observe(v *body.Value) {
	n := v.Segments()
	if v.Kind != body.KindString || n < 2 || string(v.Key) != "type" {
		return
	}
	if k, _ := v.Segment(n - 2); string(k) == "attributes" && string(v.Str) != c.object {
		c.object = string(v.Str)
	}
}

func (c *fieldClassifier) classify(name []byte) detectors.Field {
	c.key = append(append(append(c.key[:0], c.object...), 0), name...)
	if f, ok := (*fieldCache.Load())[string(c.key)]; ok {
		return f
	}
	f := detectors.ClassifyFieldOf(c.object, string(name))
	rememberField(string(c.key), f)
	return f
}

// fieldCache keeps classified (object, field) names process-wide: a CRM's
// schema is small and every message repeats it. Readers load an immutable
// map without locking; a miss copies it with the new name. It stops
// growing at fieldCacheMax names (field names come from traffic), after
// which new names are classified on every use.
var (
	fieldCache   atomic.Pointer[map[string]detectors.Field]
	fieldCacheMu sync.Mutex
)

const fieldCacheMax = 4096

func init() { fieldCache.Store(&map[string]detectors.Field{}) }

func rememberField(key string, f detectors.Field) {
	fieldCacheMu.Lock()
	defer fieldCacheMu.Unlock()
	old := *fieldCache.Load()
	if _, ok := old[key]; ok || len(old) >= fieldCacheMax {
		return
	}
	m := make(map[string]detectors.Field, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[key] = f
	fieldCache.Store(&m)
}
