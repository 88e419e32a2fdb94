package vault

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"sync"
)

// macPool hands out HMAC-SHA256 states of one key: a state is Reset, not
// rebuilt, so that a MAC costs no key schedule and no allocation.
type macPool struct{ p sync.Pool }

type macState struct {
	h   hash.Hash
	in  []byte // scratch for the MAC's input
	out []byte
}

func newMACPool(key []byte) *macPool {
	m := &macPool{}
	m.p.New = func() any {
		return &macState{h: hmac.New(sha256.New, key), in: make([]byte, 0, 128), out: make([]byte, 0, sha256.Size)}
	}
	return m
}

// sum is the MAC of the concatenation of a, a 0x00 byte when sep is set,
// b and c.
func (m *macPool) sum(a string, sep bool, b string, c []byte) [sha256.Size]byte {
	s := m.p.Get().(*macState)
	in := append(s.in[:0], a...)
	if sep {
		in = append(in, 0)
	}
	in = append(append(in, b...), c...)
	s.h.Reset()
	s.h.Write(in)
	var sum [sha256.Size]byte
	copy(sum[:], s.h.Sum(s.out[:0]))
	if cap(in) <= 4096 { // keep the scratch of ordinary values only
		s.in = in[:0]
	}
	m.p.Put(s)
	return sum
}
