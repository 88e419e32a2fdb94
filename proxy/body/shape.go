package body

import (
	"bytes"
	"hash/maphash"
)

// A page of records repeats one shape: every record has the same names in
// the same order. The walk numbers each key path with array indices left
// out (records/*/Email) once, as a node of a trie, and hands the number to
// the callback as Value.Shape, so that what depends on names alone (field
// hints, classifications, the roles of members) is worked out once per
// shape rather than once per value.
//
// The trie also checks for duplicate names: two members of one object with
// the same name are the same child of the object's node, so a node that
// was already met in the open object is a duplicate. The next node is
// guessed from the order the previous record of the shape had, so a
// repeated record costs one comparison of each name and no hashing.
//
// A walk holds at most maxShapes nodes and maxShapeBytes of names: past
// them, new paths have no shape (-1) and their duplicates are checked the
// way they are without one (dup.go).

const (
	maxShapes     = 4096
	maxShapeBytes = 64 << 10
)

// NoShape is Value.Shape for a value past the walk's bound on shapes.
const NoShape = -1

type shapeNode struct {
	parent int32
	first  int32 // guess: the member that came first in this object last time
	next   int32 // guess: the member that followed this one last time
	elem   int32 // the child for array elements
	seen   uint32
	name   int32 // the name's offset in shapeTrie.names
	n      int32
	fp     uint64
	plain  bool // the name was written without escapes: a JSON string of its bytes is that name (walker.guessedKey)
}

type shapeTrie struct {
	nodes  []shapeNode
	names  []byte
	slots  []shapeSlot // open addressing by (parent, name), at most half full
	gen    uint32      // slots of other generations are empty
	serial uint32      // the object being walked, for shapeNode.seen
}

type shapeSlot struct {
	id  int32
	gen uint32
}

// reset empties the trie in O(1), keeping its buffers: one root node.
func (t *shapeTrie) reset() {
	t.nodes = append(t.nodes[:0], shapeNode{parent: NoShape, first: NoShape, next: NoShape, elem: NoShape})
	t.names = t.names[:0]
	t.gen++
	if t.gen == 0 { // wrapped: old generations would look current
		clear(t.slots)
		t.gen = 1
	}
}

// open starts an object walked as node parent and returns its serial.
func (t *shapeTrie) open() uint32 {
	t.serial++
	if t.serial == 0 {
		for i := range t.nodes {
			t.nodes[i].seen = 0
		}
		t.serial = 1
	}
	return t.serial
}

// elem is the node of parent's elements.
func (t *shapeTrie) elem(parent int32) int32 {
	if parent < 0 {
		return NoShape
	}
	if e := t.nodes[parent].elem; e >= 0 {
		return e
	}
	e := t.add(parent, nil, 0, false)
	t.nodes[parent].elem = e
	return e
}

// member is the node of the member name (fingerprint fp; plain: written
// without escapes) of an object of node parent, after the member prev
// (NoShape for the first).
func (t *shapeTrie) member(parent, prev int32, name []byte, fp uint64, plain bool) int32 {
	if parent < 0 {
		return NoShape
	}
	guess := t.guess(parent, prev)
	id := guess
	if guess < 0 || !t.is(guess, parent, name, fp) {
		id = t.find(parent, name, fp, plain)
	}
	if id >= 0 && id != guess {
		if prev >= 0 {
			t.nodes[prev].next = id
		} else {
			t.nodes[parent].first = id
		}
	}
	return id
}

// guess is the member of an object of node parent (not NoShape) that
// followed prev (NoShape: came first) the last time.
func (t *shapeTrie) guess(parent, prev int32) int32 {
	if prev >= 0 {
		return t.nodes[prev].next
	}
	return t.nodes[parent].first
}

func (t *shapeTrie) is(id, parent int32, name []byte, fp uint64) bool {
	n := &t.nodes[id]
	if n.fp != fp || n.parent != parent {
		return false
	}
	// A name of under eight bytes is its fingerprint (walk.go): the same
	// fingerprint and the same short length are the same name.
	return n.n < 8 && int(n.n) == len(name) || bytes.Equal(t.names[n.name:n.name+n.n], name)
}

// find looks the child up by name, adding it when absent and there is
// room.
func (t *shapeTrie) find(parent int32, name []byte, fp uint64, plain bool) int32 {
	if 2*len(t.nodes) > len(t.slots) {
		if len(t.nodes) >= maxShapes {
			return t.lookup(parent, name, fp)
		}
		t.grow()
	}
	h := hashChild(parent, name)
	mask := uint64(len(t.slots) - 1)
	for j := h & mask; ; j = (j + 1) & mask {
		s := &t.slots[j]
		if s.gen != t.gen {
			id := t.add(parent, name, fp, plain)
			if id >= 0 {
				*s = shapeSlot{id: id, gen: t.gen}
			}
			return id
		}
		if t.is(s.id, parent, name, fp) {
			return s.id
		}
	}
}

// lookup finds a child without adding one: the trie is full.
func (t *shapeTrie) lookup(parent int32, name []byte, fp uint64) int32 {
	h := hashChild(parent, name)
	mask := uint64(len(t.slots) - 1)
	for j := h & mask; ; j = (j + 1) & mask {
		s := &t.slots[j]
		if s.gen != t.gen {
			return NoShape
		}
		if t.is(s.id, parent, name, fp) {
			return s.id
		}
	}
}

func (t *shapeTrie) add(parent int32, name []byte, fp uint64, plain bool) int32 {
	if len(t.nodes) >= maxShapes || len(t.names)+len(name) > maxShapeBytes {
		return NoShape
	}
	off := len(t.names)
	t.names = append(t.names, name...)
	t.nodes = append(t.nodes, shapeNode{parent: parent, first: NoShape, next: NoShape, elem: NoShape,
		name: int32(off), n: int32(len(name)), fp: fp, plain: plain})
	return int32(len(t.nodes) - 1)
}

// grow doubles the table (at least 64 slots) and indexes every member
// node again.
func (t *shapeTrie) grow() {
	n := max(64, 2*len(t.slots))
	t.slots, t.gen = make([]shapeSlot, n), 1
	mask := uint64(n - 1)
	for id := range t.nodes {
		nd := &t.nodes[id]
		if nd.parent < 0 || t.nodes[nd.parent].elem == int32(id) {
			continue // the root, and element nodes: found through elem
		}
		for j := hashChild(nd.parent, t.names[nd.name:nd.name+nd.n]) & mask; ; j = (j + 1) & mask {
			if t.slots[j].gen != t.gen {
				t.slots[j] = shapeSlot{id: int32(id), gen: t.gen}
				break
			}
		}
	}
}

func hashChild(parent int32, name []byte) uint64 {
	return maphash.Bytes(hashSeed, name) ^ uint64(parent)*0x9e3779b97f4a7c15
}
