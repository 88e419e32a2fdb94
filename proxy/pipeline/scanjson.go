package pipeline

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/crm"
)

// ScanJSONFields walks a JSON document and scans every non-empty string and
// number under its field's hint, as the pipeline does (veil scan) (the object-aware fieldClassifier, the
// name read through wrappers: hintName). fn sees every scalar leaf,
// scanned or not, with its field and findings (valid only during the
// call).
func ScanJSONFields(s *detectors.Scanner, doc []byte, lim body.Limits, fn func(v *body.Value, f *detectors.Field, finds []detectors.Finding) error) error {
	return scanJSONNames(s, doc, lim, func(v *body.Value, _ *shapePlan, f *detectors.Field, finds []detectors.Finding) error {
		return fn(v, f, finds)
	}, jsonScan{})
}

// jsonScan is what scanJSONNames does besides scanning values.
type jsonScan struct {
	// name, unless nil, is called for every member whose name holds
	// findings (scanName), with them (valid only during the call), before
	// fn for its value.
	name func(v *body.Value, finds []detectors.Finding) error
	// kept, unless nil, holds the shapes and their plans from earlier
	// messages of its kind; without, the walk numbers its own.
	kept *shapesKept
	// budget is ticked once per scalar value, before it is scanned
	// (budget.go); nil: none.
	budget *inspectBudget
	// quiet leaves out of fn the values that matter to no one
	// (shapePlan.quiet).
	quiet bool
}

// scanJSONNames is ScanJSONFields as o asks, and fn gets the value's plan
// too (nil without a shape), whose role the caller may keep.
func scanJSONNames(s *detectors.Scanner, doc []byte, lim body.Limits, fn func(v *body.Value, plan *shapePlan, f *detectors.Field, finds []detectors.Finding) error,
	o jsonScan) error {
	name, kept := o.name, o.kept
	var (
		fields  fieldClassifier
		props   propertyNamed
		scratch []detectors.Finding
		plans   *shapeMemo
		shapes  *body.Shapes
		one     detectors.Field // a field classified for one value
	)
	if kept != nil {
		plans, shapes = &kept.memo, &kept.shapes
	} else {
		plans = getMemo()
		defer putMemo(plans)
	}
	return body.WalkJSONShapes(doc, lim, shapes, func(v *body.Value) error {
		plan := plans.of(v)
		if name != nil && len(v.Key) > 0 && (plan == nil || !plan.cleanName) {
			if scratch = scanName(s, scratch[:0], v.Key); len(scratch) > 0 {
				if err := name(v, scratch); err != nil {
					return err
				}
			} else if plan != nil {
				plan.cleanName = true
			}
		}
		if v.Kind == body.KindObject || v.Kind == body.KindArray {
			return nil
		}
		if err := o.budget.tick(); err != nil { // the client gone, the budget spent
			return err
		}
		fields.observe(v)
		props.observe(v)
		f := &noField
		scratch = scratch[:0]
		if (v.Kind == body.KindString || v.Kind == body.KindNumber) && len(v.Str) > 0 {
			switch n := props.of(v); {
			case n != nil:
				one = fields.classify(n)
				f = &one
			case plan == nil:
				one = fields.classify(hintName(v))
				f = &one
			default:
				f = plan.fieldOf(&fields, v)
			}
			scratch = s.Scan(scratch, v.Str, *f)
		}
		if o.quiet && plan.quiet(v, scratch) {
			return nil
		}
		return fn(v, plan, f, scratch)
	})
}

// A shape's plan (body.Value.Shape: one key path, array indices left out)
// holds what scanJSONNames works out from names alone, once per shape and
// message: whether the member name is clean, and the field the value is
// scanned as, for the object it was classified under (a page of mixed
// objects, a SOSL result, classifies again when the object changes); and
// what walkJSON works out, the value's role in its record.
type shapePlan struct {
	cleanName bool
	keptField
	role shapeRole
}

func (p *shapePlan) fieldOf(c *fieldClassifier, v *body.Value) *detectors.Field {
	if p.stale(c) {
		p.keep(c, hintName(v))
	}
	return &p.field
}

// keptField is a field classified once and kept for the values after it
// (a JSON shape's plan, an XML name's slot): for the object it was
// classified under, so that a page of mixed objects (a SOSL result)
// classifies again when the object changes.
type keptField struct {
	classified bool
	object     string
	field      detectors.Field
}

// stale reports whether the field is to be classified for c's object.
func (k *keptField) stale(c *fieldClassifier) bool { return !k.classified || k.object != c.object }

// keep classifies name for c's object and keeps it.
func (k *keptField) keep(c *fieldClassifier, name []byte) {
	k.field, k.object, k.classified = c.classify(name), c.object, true
}

// noField is the field of a value not scanned (a container, a boolean,
// a null, an empty string): no name, no hint. Read only.
var noField detectors.Field

// shapeMemo is what a walk keeps by shape (plans), each walk its own,
// pooled.
type shapeMemo struct {
	plans []shapePlan
	// walkJSON's pointers, before they become one string, and their ends.
	pointers []byte
	ends     []int
}

var memoPool = sync.Pool{New: func() any { return new(shapeMemo) }}

func getMemo() *shapeMemo { return memoPool.Get().(*shapeMemo) }

func putMemo(m *shapeMemo) {
	m.plans = reuse(m.plans)
	if cap(m.pointers) > maxPooledBytes || cap(m.ends) > maxPooledLeaves {
		m.pointers, m.ends = nil, nil
	}
	m.pointers, m.ends = m.pointers[:0], m.ends[:0]
	memoPool.Put(m)
}

// reuse empties s for the next walk; one page of unusual width is not
// kept alive.
func reuse[T any](s []T) []T {
	if cap(s) > 1024 {
		return nil
	}
	clear(s)
	return s[:0]
}

// at is &(*s)[i], growing *s with zero entries to hold it.
func at[T any](s *[]T, i int) *T {
	if n := len(*s); i >= n {
		*s = slices.Grow(*s, i+1-n)[:i+1]
		clear((*s)[n:])
	}
	return &(*s)[i]
}

// shapesKept is a numbering of key paths and what was worked out by shape
// (shapeMemo), kept from one message to the next of one kind (shapeKind),
// so that a page of one record does not work out its names again: the
// trie's lookups, field classifications, clean names, record sites and
// roles. Everything kept depends on the names on a key path and on the
// kind alone (a classification also on the object, which its plan keeps
// and checks); a message of another kind, or a numbering near its bounds,
// starts afresh. Pooled by the Pipeline; one message at a time.
type shapesKept struct {
	kind   shapeKind
	shapes body.Shapes
	memo   shapeMemo
}

// shapeKind is what a record's site (crm.SiteOf) and a member's role
// (crm.Describe) read besides the names on the path. The scanner and the
// consent fields are the Pipeline's, whose pool the kept shapes are in.
type shapeKind struct {
	dialect    string
	operation  string
	collection bool
	parents    bool
	numbered   bool // Call.Records is set
}

func kindOf(m *Message) shapeKind {
	return shapeKind{dialect: m.Route.Dialect, operation: m.Call.Operation, collection: m.Call.Collection,
		parents: m.Call.Parents, numbered: m.Call.Records != nil}
}

// getKept is kept shapes for a message of kind k.
func (p *Pipeline) getKept(k shapeKind) *shapesKept {
	kept, _ := p.kept.Get().(*shapesKept)
	if kept == nil {
		kept = new(shapesKept)
	}
	if kept.kind != k || kept.shapes.Full() || cap(kept.memo.plans) > maxShapePlans {
		kept.kind = k
		kept.shapes.Reset()
		kept.memo.plans = kept.memo.plans[:0]
		if cap(kept.memo.plans) > maxShapePlans {
			kept.memo.plans = nil
		}
	}
	return kept
}

// maxShapePlans bounds the plans kept by shape (body.Shapes.Full bounds
// the shapes themselves at half the walk's).
const maxShapePlans = 2048

func (p *Pipeline) putKept(kept *shapesKept) {
	if cap(kept.memo.pointers) > maxPooledBytes || cap(kept.memo.ends) > maxPooledLeaves {
		kept.memo.pointers, kept.memo.ends = nil, nil
	}
	kept.memo.pointers, kept.memo.ends = kept.memo.pointers[:0], kept.memo.ends[:0]
	p.kept.Put(kept)
}

// noPlans, for tests, works everything out per value, as without shapes.
var noPlans bool

// of is v's plan, nil for a value without a shape.
func (m *shapeMemo) of(v *body.Value) *shapePlan {
	if v.Shape < 0 || noPlans {
		return nil
	}
	return at(&m.plans, int(v.Shape))
}

// fieldClassifier classifies member names knowing the object the current
// record is (Salesforce attributes.type, met before the record's fields),
// so that an Account's Name is not a person's.
type fieldClassifier struct {
	object string
	key    []byte
}

func (c *fieldClassifier) observe(v *body.Value) {
	if v.Kind != body.KindString || string(v.Key) != "type" {
		return
	}
	n := v.Segments()
	if n < 2 {
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

// shapePlan.role keeps, by shape, a value's record site (crm.Site) and
// crm.Describe's answer. Describe reads the names on a value's path from
// its record's depth, which one shape has in every record but not
// necessarily everywhere (a record nested at another depth), so the
// depth is kept with it.
type shapeRole struct {
	site    crm.Site
	sited   bool
	depth   int // +1: 0 is no answer yet
	role    int
	consent string
}

// quiet reports that v, of this plan's shape (nil: none), matters to no
// one: no finding, not a number (whose integer digits walkJSON scans
// again), and of a shape known to mean nothing to its record.
func (p *shapePlan) quiet(v *body.Value, finds []detectors.Finding) bool {
	return len(finds) == 0 && v.Kind != body.KindNumber && p.roleOf().plain()
}

// roleOf is the plan's role entry, nil for a value without a plan.
func (p *shapePlan) roleOf() *shapeRole {
	if p == nil {
		return nil
	}
	return &p.role
}

// role is v's entry, nil for a value without a shape.
func (m *shapeMemo) role(v *body.Value) *shapeRole { return m.of(v).roleOf() }

// record is crm.RecordOf for v, whose role entry is e (nil: none).
func (e *shapeRole) record(c crm.Call, v *body.Value) (record, depth int) {
	if e == nil {
		return crm.RecordOf(c, valuePath{v})
	}
	if !e.sited {
		e.site, e.sited = crm.SiteOf(c, valuePath{v}), true
	}
	return e.site.Record(c, valuePath{v})
}

// plain reports that the shape is known to mean nothing to its record
// (no id, object, URL or consent flag, or no record at all): unless the
// value holds findings, where its record is does not matter.
func (e *shapeRole) plain() bool {
	if e == nil || !e.sited {
		return false
	}
	d := e.site.Depth()
	return d < 0 || e.depth == d+1 && e.role == crm.RoleNone // in no record, or in one as nothing it needs
}

// describe is crm.Describe for v, in its record at depth.
func (e *shapeRole) describe(v *body.Value, dialect string, depth int, extra map[string]string) (int, string) {
	if e == nil {
		return crm.Describe(dialect, valuePath{v}, depth, extra)
	}
	if e.depth != depth+1 {
		e.role, e.consent = crm.Describe(dialect, valuePath{v}, depth, extra)
		e.depth = depth + 1
	}
	return e.role, e.consent
}
