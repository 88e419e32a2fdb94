package body

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math/bits"
)

// Duplicate member names are refused: the CRM may keep the last one while a
// policy dropped the first, and a pointer must name one value. Names are
// compared unescaped, so "a" and "\u0061" are the same name.
//
// Most objects are small (a CRM record has tens of fields), so the names of
// an open object sit in walker.keys and a new one is compared against them
// linearly, by fingerprint first. Past linearKeys names an object is also indexed in an
// open-addressing table, one per depth, reused across objects and walks:
// a generation number empties it in O(1), so a page of 2000 wide records
// costs no clearing and no allocation.

const linearKeys = 32

// minSlots is a new table's size: a power of two (probe masks with it),
// and room for the linearKeys names it starts with at a quarter full.
var minSlots = 1 << bits.Len(4*linearKeys-1)

var hashSeed = maphash.MakeSeed() // random per process: no precomputed collisions

type keyTable struct {
	slots []slot // a power of two long, at most half full
	gen   uint32 // slots of other generations are empty
	n     int
}

type slot struct {
	hash uint64
	key  int32 // index in walker.keys
	gen  uint32
}

// duplicate records the name k of a member of the object at depth, finds
// its shape (frame.last), and reports whether the object already had a
// member of that name. While every name of the object has a shape, a name
// met twice is a shape met twice (shape.go); from the first name without
// one, every name is checked in keys as well.
func (w *walker) duplicate(depth int, k keyRef, name []byte) bool {
	f := &w.frames[depth]
	s := w.shapes.member(f.shape, f.last, name, k.fp, !k.inArena)
	f.last = s
	if s >= 0 && !f.unshaped {
		n := &w.shapes.nodes[s]
		if n.seen == f.serial {
			return true
		}
		n.seen = f.serial
		w.keys = append(w.keys, k)
		return false
	}
	f.unshaped = true
	return w.addKey(depth, k)
}

// guessedKey reads the member name whose opening quote is doc[i] the
// short way, when it is the name the object's shape guesses next (the
// member that followed the previous one in the last object of the shape)
// written as it is, and not yet met in the object: the name is recorded
// as duplicate records it, and end is the offset after its closing quote.
// Otherwise end is -1, nothing is recorded, and the name is read the long
// way (scanString, duplicate), which also reports a duplicate.
func (w *walker) guessedKey(depth, i int) (end int, k keyRef) {
	f := &w.frames[depth]
	if f.shape < 0 || f.unshaped {
		return -1, k
	}
	t := &w.shapes
	g := t.guess(f.shape, f.last)
	if g < 0 {
		return -1, k
	}
	n := &t.nodes[g]
	e := i + 1 + int(n.n)
	if !n.plain || n.parent != f.shape || n.seen == f.serial || e >= len(w.doc) || w.doc[e] != '"' {
		return -1, k
	}
	if n.n < 8 && i+9 <= len(w.doc) {
		// A short name is its fingerprint (fingerprint): the document's
		// eight bytes from the name on, those past it masked off, are its
		// bytes.
		if binary.LittleEndian.Uint64(w.doc[i+1:])&(1<<(8*n.n)-1) != n.fp&(1<<56-1) {
			return -1, k
		}
	} else if string(w.doc[i+1:e]) != string(t.names[n.name:n.name+n.n]) {
		return -1, k
	}
	n.seen, f.last = f.serial, g
	k = keyRef{off: i + 1, n: int(n.n), fp: n.fp}
	w.keys = append(w.keys, k)
	return e + 1, k
}

// addKey records the name k of a member of the object at depth, and
// reports whether that object already had a member of that name.
func (w *walker) addKey(depth int, k keyRef) bool {
	f := &w.frames[depth]
	name := w.keyBytes(k)
	if !f.hashed {
		for _, o := range w.keys[f.keysBase:] {
			if o.fp == k.fp && bytes.Equal(w.keyBytes(o), name) {
				return true
			}
		}
		w.keys = append(w.keys, k)
		if len(w.keys)-f.keysBase >= linearKeys {
			f.hashed = true
			w.index(depth, f.keysBase)
		}
		return false
	}
	t := &w.tables[depth]
	if (t.n+1)*2 > len(t.slots) {
		w.grow(t, f.keysBase)
	}
	if w.probe(t, maphash.Bytes(hashSeed, name), name, int32(len(w.keys))) {
		return true
	}
	w.keys = append(w.keys, k)
	return false
}

// index starts the table of depth with the names from w.keys[base:].
func (w *walker) index(depth, base int) {
	for len(w.tables) <= depth {
		w.tables = append(w.tables, keyTable{})
	}
	t := &w.tables[depth]
	t.gen++
	if t.gen == 0 { // wrapped: old generations would look current
		clear(t.slots)
		t.gen = 1
	}
	// Room for the names at most half full: an object whose names had
	// shapes until now comes here with more than linearKeys of them.
	if n := max(minSlots, 1<<bits.Len(uint(4*(len(w.keys)-base)))); len(t.slots) < n {
		t.slots = make([]slot, n)
	}
	t.n = 0
	w.reindex(t, base)
}

// grow doubles t and indexes the names from w.keys[base:] again.
func (w *walker) grow(t *keyTable, base int) {
	t.slots, t.gen, t.n = make([]slot, 2*len(t.slots)), 1, 0
	w.reindex(t, base)
}

func (w *walker) reindex(t *keyTable, base int) {
	for i := base; i < len(w.keys); i++ {
		name := w.keyBytes(w.keys[i])
		w.probe(t, maphash.Bytes(hashSeed, name), name, int32(i))
	}
}

// probe looks name up in t and inserts it as key if absent; it reports
// whether it was present.
func (w *walker) probe(t *keyTable, h uint64, name []byte, key int32) bool {
	mask := uint64(len(t.slots) - 1)
	for j := h & mask; ; j = (j + 1) & mask {
		s := &t.slots[j]
		if s.gen != t.gen {
			*s = slot{hash: h, key: key, gen: t.gen}
			t.n++
			return false
		}
		if s.hash == h && bytes.Equal(w.keyBytes(w.keys[s.key]), name) {
			return true
		}
	}
}
