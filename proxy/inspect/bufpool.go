package inspect

import (
	"bytes"
	"io"
	"math/bits"
	"sync"
	"sync/atomic"
)

// The body buffers of a response: the bytes read off the wire and the
// rewritten body are the only allocations that grow with the payload, and
// a response's are done with once it has been written to the client. They
// come from pools by power-of-two size, from 4 KiB (smaller bodies cost
// little) to 16 MiB (above, a buffer is not worth pinning).
//
// A buffer goes back to its pool only where its last reader is known:
// the response body handed to the reverse proxy (pooledBody) when the
// proxy closes it after the copy, and the buffers InspectResponse read or
// rewrote but did not send, when it returns. A buffer that escapes
// elsewhere (a request's body, which the transport may read again on a
// retry; a streamed chunk) is simply left to the garbage collector:
// forgetting to return one costs an allocation, returning one too early
// would send one caller's data to another. Tests run with poisonReleased
// set, which fills a released buffer with poisonByte and never reuses it,
// so any read after release shows up as garbage in what they check.
const (
	minPooledShift = 12 // 4 KiB
	maxPooledShift = 24 // 16 MiB
)

var (
	bodyPools      [maxPooledShift + 1]sync.Pool
	poisonReleased atomic.Bool // tests: fill released buffers instead of reusing them
)

const poisonByte = 0xA5

// PoisonReleased is for tests: on, a released body buffer is filled with
// a poison byte and never reused, so that a read after its release shows
// as garbage in what a test checks; off (production), buffers are
// reused. The tests of every package that runs Veil turn it on in their
// TestMain. It returns the switch back.
func PoisonReleased(v bool) (restore func()) {
	old := poisonReleased.Swap(v)
	return func() { poisonReleased.Store(old) }
}

// pooledShift is the size class that holds n bytes, or -1 above the
// largest.
func pooledShift(n int) int {
	if n <= 1<<minPooledShift {
		return minPooledShift
	}
	s := bits.Len(uint(n - 1))
	if s > maxPooledShift {
		return -1
	}
	return s
}

// getBody returns an empty buffer with room for at least n bytes.
func getBody(n int) []byte {
	s := pooledShift(n)
	if s < 0 {
		return make([]byte, 0, n)
	}
	if p, ok := bodyPools[s].Get().(*[]byte); ok {
		return (*p)[:0]
	}
	return make([]byte, 0, 1<<s)
}

// newBody is getBody when the caller will return the buffer (pooled),
// and an exact allocation otherwise.
func newBody(n int, pooled bool) []byte {
	if pooled {
		return getBody(n)
	}
	return make([]byte, 0, n)
}

// putBody returns b to its pool. Its caller's promise is that nothing
// reads b any more; then where it came from does not matter, and any
// buffer with a class's capacity is taken. Others (grown past what
// getBody gave, or of another size) are dropped.
func putBody(b []byte) {
	c := cap(b)
	if c == 0 || c&(c-1) != 0 {
		return
	}
	s := bits.Len(uint(c)) - 1
	if s < minPooledShift || s > maxPooledShift {
		return
	}
	b = b[:c]
	if poisonReleased.Load() {
		for i := range b {
			b[i] = poisonByte
		}
		return
	}
	bodyPools[s].Put(&b)
}

// sameBuffer reports whether a and b share their backing array's start.
func sameBuffer(a, b []byte) bool {
	return cap(a) > 0 && cap(b) > 0 && &a[:1][0] == &b[:1][0]
}

// pooledBody is a response body over a pooled buffer, returned to its
// pool when the body is closed: after the reverse proxy's last read. It
// reads nothing once closed.
type pooledBody struct {
	mu  sync.Mutex
	r   bytes.Reader
	buf []byte
}

func newPooledBody(b []byte) *pooledBody {
	p := &pooledBody{buf: b}
	p.r.Reset(b)
	return p
}

func (p *pooledBody) Read(q []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.buf == nil {
		return 0, io.ErrClosedPipe
	}
	return p.r.Read(q)
}

// InMemory: the body is whole in its buffer (ingress.InMemory).
func (*pooledBody) InMemory() {}

func (p *pooledBody) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.buf != nil {
		b := p.buf
		p.buf = nil
		p.r.Reset(nil)
		putBody(b)
	}
	return nil
}
