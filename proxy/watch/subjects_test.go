package watch

import (
	"strconv"
	"sync"
	"testing"
)

// The cache of subject ids answers exactly what hash answers, for every
// kind and value, whatever shares its slot, from any goroutine.
func TestSubjectCacheIsHash(t *testing.T) {
	c := newSubjectCache()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 3; round++ {
				for i := 0; i < 4*subjectSlots; i++ { // more values than slots: collisions and evictions
					v := "10.0.0." + strconv.Itoa(i)
					for _, kind := range []byte{'p', 'i', 'u'} {
						if got, want := c.id(kind, v), hash(kind, v); got != want {
							t.Errorf("id(%c, %q) = %x, want %x", kind, v, got, want)
							return
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	if c.id('p', "x") == c.id('i', "x") {
		t.Error("a principal and an address of the same text share an id")
	}
}
