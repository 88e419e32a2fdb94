package body

import "slices"

// rewriteMaxDepth is encoding/json's nesting limit.
const rewriteMaxDepth = 10000

// Edits to apply when re-encoding a document. Offsets are the Value.Start
// of values from a WalkJSON of the same document.
type Edits struct {
	// Replace maps a value's start to the new contents of a string that
	// takes its place, whatever its kind (containers too). The contents are
	// raw, not JSON: RewriteJSON quotes and escapes them.
	Replace map[int][]byte
	// Drop maps a value's start to true to remove it: an object member with
	// its name, or an array element. Drop wins over Replace.
	Drop map[int]bool
	// DropPointers removes the values at these RFC 6901 pointers, leaves or
	// containers, like Drop. A pointer that names nothing is ignored; the
	// count RewriteJSON returns tells how many matched.
	DropPointers []string
}

func (e *Edits) empty() bool {
	return e == nil || len(e.Replace) == 0 && len(e.Drop) == 0 && len(e.DropPointers) == 0
}

// RewriteJSON appends doc with the edits applied to dst and returns it with
// how many DropPointers matched. Everything outside the edited values is
// copied byte for byte (whitespace, escapes, number spellings); separators
// stay valid whichever members or elements go, first, last or all.
//
// The document is walked again and validated as WalkJSON does, nesting
// up to rewriteMaxDepth: the caller's own limits held in the WalkJSON that
// produced the offsets. With no edits at all, doc is copied as it is without
// being read. Besides the walk's errors it returns an *Error with code
// invalid_edit for an offset that is not a value's start, for dropping
// the top value, and for a malformed pointer (Offset is then its index in
// DropPointers). On error dst is returned unchanged. dst must not share
// memory with doc.
func RewriteJSON(dst []byte, doc []byte, e *Edits) ([]byte, int, error) {
	if e.empty() {
		return append(dst, doc...), 0, nil
	}
	r := rewriter{doc: doc, out: dst, e: e, mute: -1}
	// The walk meets values in order of Start: a sorted list of the edited
	// offsets is matched in step, with no map lookup for untouched values.
	r.offs = make([]int, 0, len(e.Replace)+len(e.Drop))
	for off := range e.Replace {
		r.offs = append(r.offs, off)
	}
	for off := range e.Drop {
		r.offs = append(r.offs, off)
	}
	slices.Sort(r.offs)
	r.offs = slices.Compact(r.offs)
	for i, s := range e.DropPointers {
		p, ok := parsePointer(s)
		if !ok {
			return dst, 0, &Error{Code: CodeInvalidEdit, Offset: i}
		}
		r.ptrs = append(r.ptrs, p)
	}
	if len(r.ptrs) > 0 {
		// The candidates of the virtual parent of the top value: all.
		for i := range r.ptrs {
			r.cand = append(r.cand, int32(i))
		}
		r.spans = append(r.spans, span{0, len(r.cand)})
	}

	w := getWalker(doc, Limits{MaxDepth: rewriteMaxDepth})
	w.onValue, w.onEnd = r.value, r.end
	err := w.run()
	putWalker(w)
	if err == nil && r.next < len(r.offs) {
		err = &Error{Code: CodeInvalidEdit, Offset: r.offs[r.next]}
	}
	if err != nil {
		return dst, 0, err
	}
	r.flush(len(doc))
	return r.out, r.matched, nil
}

// rewriter copies doc to out lazily: doc[:copied] has been written or
// deliberately left out.
type rewriter struct {
	doc    []byte
	out    []byte
	e      *Edits
	copied int

	// mute is the depth of the value being dropped or replaced, -1 when
	// none: nothing inside it is written.
	mute     int
	muteDrop bool
	frames   []rframe // by depth, the open containers

	ptrs    []pointer
	cand    []int32 // stacked candidate lists: pointers whose prefix matches
	spans   []span  // spans[d+1] is the list of the container at depth d
	matched int     // DropPointers matched

	offs []int // the offsets in Replace and Drop, sorted
	next int   // offs[next] is the next one to meet
}

// rframe is what the rewriter knows of an open container.
type rframe struct {
	kept      int  // members or elements written so far
	prevEnd   int  // where the previous member or element ended
	itemStart int  // where the current one started
	skipSep   bool // the members before were all dropped: leave out the next comma
}

type span struct{ from, to int }

func (r *rewriter) flush(to int) {
	r.out = append(r.out, r.doc[r.copied:to]...)
	r.copied = to
}

// value is called for every value before its contents.
func (r *rewriter) value(v *Value) error {
	d := v.Depth
	drop := len(r.ptrs) > 0 && r.matchPointers(v)
	var rep []byte
	var replace bool
	if r.next < len(r.offs) {
		switch off := r.offs[r.next]; {
		case off < v.Start:
			return &Error{Code: CodeInvalidEdit, Offset: off}
		case off == v.Start:
			r.next++
			drop = drop || r.e.Drop[off]
			rep, replace = r.e.Replace[off]
		}
	}
	container := v.Kind == KindObject || v.Kind == KindArray
	if r.mute >= 0 {
		return nil
	}
	if d > 0 {
		p := &r.frames[d-1]
		if p.skipSep {
			r.copied, p.skipSep = v.item, false
		}
		p.itemStart = v.item
	}
	switch {
	case drop:
		if d == 0 {
			return &Error{Code: CodeInvalidEdit, Offset: v.Start}
		}
		r.mute, r.muteDrop = d, true
	case replace:
		r.flush(v.Start)
		r.out = AppendJSONString(r.out, rep)
		r.mute, r.muteDrop = d, false
	case container:
		r.frames = append(r.frames[:d], rframe{})
	}
	if !container {
		return r.end(v)
	}
	return nil
}

// end is called after every value, with its End.
func (r *rewriter) end(v *Value) error {
	d := v.Depth
	switch {
	case r.mute >= 0 && d > r.mute:
		return nil
	case r.mute == d:
		r.mute = -1
		if r.muteDrop {
			p := &r.frames[d-1]
			if p.kept > 0 {
				// Leave out ", value": the comma before it goes with it.
				r.flush(p.prevEnd)
			} else {
				// Leave out "value" now and its comma when the next comes.
				r.flush(p.itemStart)
				p.skipSep = true
			}
			r.copied, p.prevEnd = v.End, v.End
			return nil
		}
		r.copied = v.End
	}
	if d > 0 {
		p := &r.frames[d-1]
		p.kept++
		p.prevEnd = v.End
	}
	return nil
}

// matchPointers narrows the parent's candidate pointers to those that go
// through v, stacks them for v's contents, and reports whether one of them
// ends at v. It keeps matching inside dropped values so the count is true.
func (r *rewriter) matchPointers(v *Value) bool {
	d := v.Depth
	parent := r.spans[d]
	if parent.from == parent.to {
		if v.Kind == KindObject || v.Kind == KindArray {
			r.spans = append(r.spans[:d+1], span{parent.to, parent.to})
		}
		return false
	}
	hit := false
	r.cand = r.cand[:parent.to]
	for _, c := range r.cand[parent.from:parent.to] {
		p := r.ptrs[c]
		if d > 0 && !p.matches(d-1, v) {
			continue
		}
		if len(p) == d {
			hit = true
			r.matched++
		} else {
			r.cand = append(r.cand, c)
		}
	}
	if v.Kind == KindObject || v.Kind == KindArray {
		r.spans = append(r.spans[:d+1], span{parent.to, len(r.cand)})
	} else {
		r.cand = r.cand[:parent.to]
	}
	return hit
}
