package body

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"sync"
)

// Kind is the JSON type of a value.
type Kind uint8

// Kinds of JSON values.
const (
	KindString Kind = iota
	KindNumber
	KindBool
	KindNull
	KindObject
	KindArray
)

var kindNames = [...]string{"string", "number", "bool", "null", "object", "array"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// DefaultMaxDepth is the nesting limit when Limits.MaxDepth is 0. CRM bodies
// nest a handful of levels (Composite sub-requests about ten); anything far
// deeper is an attack on the parser, not data.
const DefaultMaxDepth = 64

// Limits bound a walk.
type Limits struct {
	// MaxDepth is how many containers may nest: 1 allows [1,2] but not [[1]].
	// 0 means DefaultMaxDepth.
	MaxDepth int
}

// SkipChildren, returned by a WalkJSON callback for an object or array,
// skips the callbacks for everything inside it. The contents are still
// validated. For any other value it is the same as nil.
//
//lint:ignore ST1012 a sentinel that is no failure, named as fs.SkipDir is
var SkipChildren = errors.New("body: skip children")

// Value is one JSON value met during a walk. A Value and every slice in it
// belong to the walk and are only valid during the callback: copy what you
// keep.
type Value struct {
	Kind Kind
	// Key is the unescaped member name when the value is an object member
	// (empty but non-nil for the name ""), nil otherwise.
	Key []byte
	// Index is the value's index when it is an array element, -1 otherwise.
	Index int
	// Depth is how many containers enclose the value: 0 for the top value.
	Depth int
	// Start and End are the value's byte span in the document: strings with
	// their quotes, containers with their brackets. End is -1 for objects
	// and arrays, which are visited before their contents.
	Start, End int
	// Str holds the unescaped contents of a string (lone surrogate escapes
	// become U+FFFD) and the literal bytes of a number, true, false or
	// null. It is nil for objects and arrays.
	Str []byte
	// Shape numbers the value's key path with array indices left out
	// (records/*/Email is one shape for every record): values of one
	// shape have the same Key and the same names above it. Shapes are
	// numbered from 0 (the top value) per walk, densely, below
	// maxShapes; NoShape past that bound.
	Shape int32

	w    *walker
	item int // where the value's member or element starts: its key's quote for a member
}

// WalkJSON validates doc and calls fn (which may be nil) for every value in
// document order, containers before their contents. It stops at the first
// error: a callback's error is returned as it is; a document it refuses
// gives an *Error with one of the codes invalid_json, invalid_utf8 (also for
// bytes outside strings), duplicate_key (names are compared unescaped),
// too_deep or trailing_data. Apart from invalid UTF-8 (which encoding/json
// lets through in strings), repeated names and nesting, it accepts exactly
// what encoding/json's Valid accepts. A \u escape of a lone UTF-16 surrogate is
// valid JSON syntax, so it is not refused; it reads as U+FFFD, as in
// encoding/json (two names that differ only there count as duplicates).
//
// It is a hand-written byte tokenizer: no encoding/json, no reflection,
// and no allocation per value once its pooled buffers are warm. It is the
// first code to touch untrusted bytes, so it refuses what it cannot read
// unambiguously rather than guessing the way the CRM behind it might, and
// its errors carry a stable code and a byte offset, never the document's
// bytes.
func WalkJSON(doc []byte, lim Limits, fn func(v *Value) error) error {
	w := getWalker(doc, lim)
	defer putWalker(w)
	w.onValue = fn
	return w.run()
}

// Shapes is a numbering of key paths that outlives one walk: a caller
// that walks documents of one kind one after another (the pages of one
// API call) hands the same Shapes to each, so a key path keeps its
// number and what the caller worked out by shape stays good. Not safe
// for concurrent use. The zero value is ready to use.
type Shapes struct {
	t shapeTrie
}

// Reset forgets every shape: the numbers given so far mean nothing.
func (s *Shapes) Reset() { s.t.reset() }

// Full reports whether the numbering is near its bounds, past which new
// key paths would have no shape: time to Reset.
func (s *Shapes) Full() bool {
	return len(s.t.nodes) >= maxShapes/2 || len(s.t.names) >= maxShapeBytes/2
}

// WalkJSONShapes is WalkJSON numbering key paths in s, which the walk
// extends rather than starting afresh; a nil s is WalkJSON.
func WalkJSONShapes(doc []byte, lim Limits, s *Shapes, fn func(v *Value) error) error {
	if s == nil {
		return WalkJSON(doc, lim, fn)
	}
	if len(s.t.nodes) == 0 {
		s.t.reset()
	}
	w := getWalker(doc, lim)
	defer putWalker(w)
	w.shapes, s.t = s.t, w.shapes
	defer func() { w.shapes, s.t = s.t, w.shapes }()
	w.onValue = fn
	return w.run()
}

// frame is an open object or array.
type frame struct {
	kind     Kind
	n        int    // members or elements so far; the current element's index
	key      keyRef // the current member's name
	keyAt    int    // the offset of its opening quote
	keysBase int    // where this object's names start in walker.keys
	arena    int    // walker.arena's length when the object opened
	hashed   bool   // the names are indexed in walker.tables[depth] too
	shape    int32  // this container's shape
	last     int32  // the shape of the member before the current one
	serial   uint32 // the object's number, for shapeNode.seen
	unshaped bool   // a name without a shape was met: names are checked in keys (dup.go)
}

// keyRef locates an unescaped member name: in the document when it had no
// escapes, in walker.arena otherwise. Offsets rather than slices, because
// the arena moves when it grows.
type keyRef struct {
	off, n  int
	fp      uint64 // fingerprint, for cheap inequality
	inArena bool
}

// fingerprint summarises a name in a word: exactly when it is shorter than
// eight bytes (its bytes, little-endian, under its length in the top byte),
// by its first and last eight bytes otherwise.
func fingerprint(name []byte) uint64 {
	n := len(name)
	if n >= 8 {
		return binary.LittleEndian.Uint64(name) ^ bits.RotateLeft64(binary.LittleEndian.Uint64(name[n-8:]), 29) ^ uint64(n)
	}
	var x uint64
	for i, c := range name {
		x |= uint64(c) << (8 * i)
	}
	return x | uint64(n)<<56
}

type walker struct {
	doc      []byte
	maxDepth int
	onValue  func(*Value) error
	onEnd    func(*Value) error // called when a container closes, End set; for RewriteJSON

	frames  []frame
	keys    []keyRef   // the names of every open object, outermost first
	arena   []byte     // unescaped names with escapes, of every open object
	scratch []byte     // the current string value, unescaped
	tables  []keyTable // per depth, for objects with many members
	shapes  shapeTrie  // the key paths met, numbered (shape.go)
	skip    int        // callbacks are skipped below this depth (SkipChildren); -1 for none
	v       Value
}

var walkers = sync.Pool{New: func() any { return new(walker) }}

func getWalker(doc []byte, lim Limits) *walker {
	w := walkers.Get().(*walker)
	w.reset(doc, lim)
	return w
}

// reset readies w for a walk of doc, keeping its buffers.
func (w *walker) reset(doc []byte, lim Limits) {
	w.doc = doc
	w.maxDepth = lim.MaxDepth
	if w.maxDepth <= 0 {
		w.maxDepth = DefaultMaxDepth
	}
	w.skip = -1
	w.shapes.reset()
	w.frames, w.keys, w.arena, w.scratch = w.frames[:0], w.keys[:0], w.arena[:0], w.scratch[:0]
}

// Buffers grown past these by one huge document are dropped rather than kept
// alive in the pool.
const (
	maxPooledBytes  = 64 << 10
	maxPooledKeys   = 4 << 10
	maxPooledFrames = 256
	maxPooledShapes = 1024 // a page of records has tens
)

func putWalker(w *walker) {
	if cap(w.frames) > maxPooledFrames {
		w.frames = nil
	}
	if cap(w.arena) > maxPooledBytes {
		w.arena = nil
	}
	if cap(w.scratch) > maxPooledBytes {
		w.scratch = nil
	}
	if cap(w.keys) > maxPooledKeys {
		w.keys = nil
	}
	if cap(w.shapes.nodes) > maxPooledShapes { // one document of unusual width
		w.shapes = shapeTrie{}
	}
	for i := range w.tables {
		if len(w.tables[i].slots) > maxPooledKeys {
			w.tables[i] = keyTable{}
		}
	}
	w.doc, w.onValue, w.onEnd, w.v = nil, nil, nil, Value{}
	walkers.Put(w)
}

func (w *walker) run() error {
	i := skipSpace(w.doc, 0)
	i, err := w.value(i, 0, 0)
	if err != nil {
		return err
	}
	if i = skipSpace(w.doc, i); i < len(w.doc) {
		return &Error{Code: CodeTrailingData, Offset: i}
	}
	return nil
}

// value parses the value starting at doc[i] at the given depth and of the
// given shape and returns the offset just after it.
func (w *walker) value(i, depth int, shape int32) (int, error) {
	doc := w.doc
	if i >= len(doc) {
		return i, &Error{Code: CodeInvalidJSON, Offset: i}
	}
	start := i
	var kind Kind
	var str []byte
	switch c := doc[i]; c {
	case '"':
		end, esc, err := scanString(doc, i)
		if err != nil {
			return end, err
		}
		kind, str, i = KindString, doc[start+1:end-1:end-1], end
		if esc {
			w.scratch = unescape(w.scratch[:0], str)
			str = w.scratch[:len(w.scratch):len(w.scratch)]
		}
	case '{':
		return w.object(i, depth, shape)
	case '[':
		return w.array(i, depth, shape)
	case 't', 'f', 'n':
		lit, k := literalTrue, KindBool
		if c == 'f' {
			lit = literalFalse
		} else if c == 'n' {
			lit, k = literalNull, KindNull
		}
		if n := matchLiteral(doc[i:], lit); n < len(lit) {
			return i + n, syntaxError(doc, i+n)
		}
		kind, i = k, i+len(lit)
		str = doc[start:i:i]
	default:
		end, ok := scanNumber(doc, i)
		if !ok {
			return end, syntaxError(doc, end)
		}
		kind, i = KindNumber, end
		str = doc[start:i:i]
	}
	// A literal must end at a delimiter: "1x" and "truex" are one bad token,
	// not a value followed by trailing data.
	if kind != KindString && i < len(doc) && !isDelim[doc[i]] {
		return i, syntaxError(doc, i)
	}
	return i, w.visit(kind, start, i, str, depth, shape)
}

// fill describes a value in w.v.
func (w *walker) fill(kind Kind, start, end int, str []byte, depth int, shape int32) *Value {
	v := &w.v
	v.Kind, v.Start, v.End, v.Str, v.Depth, v.Shape, v.w = kind, start, end, str, depth, shape, w
	v.Key, v.Index, v.item = nil, -1, start
	if depth > 0 {
		if p := &w.frames[depth-1]; p.kind == KindObject {
			v.Key, v.item = w.keyBytes(p.key), p.keyAt
		} else {
			v.Index = p.n
		}
	}
	return v
}

// visit calls the callback for a value, unless it is skipped.
func (w *walker) visit(kind Kind, start, end int, str []byte, depth int, shape int32) error {
	if w.onValue == nil || (w.skip >= 0 && depth > w.skip) {
		return nil
	}
	err := w.onValue(w.fill(kind, start, end, str, depth, shape))
	if err == SkipChildren {
		if kind == KindObject || kind == KindArray {
			w.skip = depth
		}
		return nil
	}
	return err
}

// leave reports a closed container to onEnd and ends a SkipChildren.
func (w *walker) leave(kind Kind, start, end, depth int, shape int32) error {
	if w.skip == depth {
		w.skip = -1
	}
	if w.onEnd == nil {
		return nil
	}
	return w.onEnd(w.fill(kind, start, end, nil, depth, shape))
}

func (w *walker) push(kind Kind, start, depth int, shape int32) error {
	if depth >= w.maxDepth {
		return &Error{Code: CodeTooDeep, Offset: start}
	}
	f := frame{kind: kind, keysBase: len(w.keys), arena: len(w.arena), shape: shape, last: NoShape}
	if kind == KindObject {
		f.serial = w.shapes.open()
	}
	w.frames = append(w.frames, f)
	return nil
}

func (w *walker) object(start, depth int, shape int32) (int, error) {
	if err := w.push(KindObject, start, depth, shape); err != nil {
		return start, err
	}
	if err := w.visit(KindObject, start, -1, nil, depth, shape); err != nil {
		return start, err
	}
	doc := w.doc
	i := skipSpace(doc, start+1)
	if i < len(doc) && doc[i] == '}' {
		i++
	} else {
		for {
			if i >= len(doc) || doc[i] != '"' {
				return i, syntaxError(doc, i)
			}
			ks := i
			end, k := w.guessedKey(depth, i) // a record's names as the last record had them
			if end < 0 {
				var esc bool
				var err error
				if end, esc, err = scanString(doc, i); err != nil {
					return end, err
				}
				k = keyRef{off: ks + 1, n: end - ks - 2}
				if esc {
					before := len(w.arena)
					w.arena = unescape(w.arena, doc[ks+1:end-1])
					k = keyRef{off: before, n: len(w.arena) - before, inArena: true}
				}
				name := w.keyBytes(k)
				k.fp = fingerprint(name)
				if w.duplicate(depth, k, name) {
					return ks, &Error{Code: CodeDuplicateKey, Offset: ks}
				}
			}
			var err error
			f := &w.frames[depth]
			f.key, f.keyAt = k, ks
			if i = skipSpace(doc, end); i >= len(doc) || doc[i] != ':' {
				return i, syntaxError(doc, i)
			}
			if i, err = w.value(skipSpace(doc, i+1), depth+1, f.last); err != nil {
				return i, err
			}
			w.frames[depth].n++
			if i = skipSpace(doc, i); i < len(doc) && doc[i] == ',' {
				i = skipSpace(doc, i+1)
				continue
			}
			if i < len(doc) && doc[i] == '}' {
				i++
				break
			}
			return i, syntaxError(doc, i)
		}
	}
	f := w.frames[depth]
	w.frames = w.frames[:depth]
	w.keys, w.arena = w.keys[:f.keysBase], w.arena[:f.arena]
	return i, w.leave(KindObject, start, i, depth, shape)
}

func (w *walker) array(start, depth int, shape int32) (int, error) {
	if err := w.push(KindArray, start, depth, shape); err != nil {
		return start, err
	}
	if err := w.visit(KindArray, start, -1, nil, depth, shape); err != nil {
		return start, err
	}
	elem := w.shapes.elem(shape)
	doc := w.doc
	i := skipSpace(doc, start+1)
	if i < len(doc) && doc[i] == ']' {
		i++
	} else {
		for {
			var err error
			if i, err = w.value(i, depth+1, elem); err != nil {
				return i, err
			}
			w.frames[depth].n++
			if i = skipSpace(doc, i); i < len(doc) && doc[i] == ',' {
				i = skipSpace(doc, i+1)
				continue
			}
			if i < len(doc) && doc[i] == ']' {
				i++
				break
			}
			return i, syntaxError(doc, i)
		}
	}
	w.frames = w.frames[:depth]
	return i, w.leave(KindArray, start, i, depth, shape)
}

func (w *walker) keyBytes(k keyRef) []byte {
	if k.n == 0 {
		return emptyKey
	}
	if k.inArena {
		return w.arena[k.off : k.off+k.n : k.off+k.n]
	}
	return w.doc[k.off : k.off+k.n : k.off+k.n]
}

// emptyKey is the name "": non-nil, so callers can tell it from "no name".
var emptyKey = []byte{}
