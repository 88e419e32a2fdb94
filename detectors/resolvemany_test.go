package detectors

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestResolveManyAgrees holds resolveMany to resolve's answer on random
// findings: dense and sparse, overlapping, equal confidences and lengths.
func TestResolveManyAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	confs := []float64{0.5, 0.75, 0.8, 0.85, 0.9, 0.97}
	for round := range 3000 {
		k, width := 1+r.IntN(120), 1+r.IntN(2000)
		f := make([]Finding, k)
		for i := range f {
			s := r.IntN(width)
			f[i] = Finding{Category: fmt.Sprint(i), Start: s, End: s + 1 + r.IntN(1+r.IntN(200)), Confidence: confs[r.IntN(len(confs))]}
		}
		a, b := slices.Clone(f), slices.Clone(f)
		na, nb := resolve(a), resolveMany(b)
		if !slices.Equal(a[:na], b[:nb]) {
			t.Fatalf("round %d: resolve keeps %+v, resolveMany %+v", round, a[:na], b[:nb])
		}
	}
}

// BenchmarkResolve: resolve is quadratic in the findings of one value,
// resolveMany is not (a finding every 30 bytes of a value of the size).
func BenchmarkResolve(b *testing.B) {
	for _, size := range []int{10 << 10, 100 << 10, 1 << 20} {
		var f []Finding
		for s := 0; s+14 <= size; s += 30 {
			f = append(f, Finding{Category: CategoryPhone, Start: s, End: s + 14, Confidence: 0.85},
				Finding{Category: CategoryIPAddress, Start: s + 1, End: s + 13, Confidence: 0.85})
		}
		for _, impl := range []struct {
			name string
			fn   func([]Finding) int
		}{{"resolve", resolve}, {"resolveMany", resolveMany}} {
			b.Run(fmt.Sprintf("%s/%s", impl.name, sizeName(size)), func(b *testing.B) {
				if impl.name == "resolve" && size > 100<<10 {
					b.Skip("quadratic: seconds")
				}
				work := make([]Finding, len(f))
				b.SetBytes(int64(size))
				for b.Loop() {
					copy(work, f)
					impl.fn(work)
				}
			})
		}
	}
}
