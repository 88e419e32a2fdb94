package detectors

import "sort"

// resolveMany is resolve for many findings, in O(k log k + covered
// bytes / 64) instead of resolve's O(k²) overlap checks: a value with a
// finding every 30 bytes (a megabyte of phone numbers or addresses) holds
// 30 000 of them, and comparing each with every finding kept took seconds
// a megabyte. The findings kept are the same: sorted as resolve sorts
// them, each is kept unless a byte of its span is a kept finding's, which
// a bitmap of the bytes kept answers a word at a time. Findings are never
// empty (Start < End), so sharing a byte is overlapping.
//
// resolve switches to it above resolveSmall findings: below, resolve's
// loop is cheaper than the bitmap.
const resolveSmall = 32

func resolveMany(f []Finding) int {
	sort.SliceStable(f, func(i, j int) bool {
		if f[i].Confidence != f[j].Confidence {
			return f[i].Confidence > f[j].Confidence
		}
		return f[i].End-f[i].Start > f[j].End-f[j].Start
	})
	lo, hi := f[0].Start, f[0].End
	for _, c := range f[1:] {
		lo, hi = min(lo, c.Start), max(hi, c.End)
	}
	kept := make([]uint64, (hi-lo+63)/64)
	n := 0
	for _, c := range f {
		s, e := c.Start-lo, c.End-lo
		if s >= e || spanTaken(kept, s, e) {
			continue
		}
		spanTake(kept, s, e)
		f[n] = c
		n++
	}
	sort.Slice(f[:n], func(i, j int) bool { return f[i].Start < f[j].Start })
	return n
}

// spanMask is the bits of word w that [s, e) covers.
func spanMask(w, s, e int) uint64 {
	m := ^uint64(0)
	if b := w * 64; s > b {
		m <<= uint(s - b)
	}
	if b := w*64 + 64; e < b {
		m &= ^uint64(0) >> uint(b-e)
	}
	return m
}

func spanTaken(bm []uint64, s, e int) bool {
	for w := s / 64; w <= (e-1)/64; w++ {
		if bm[w]&spanMask(w, s, e) != 0 {
			return true
		}
	}
	return false
}

func spanTake(bm []uint64, s, e int) {
	for w := s / 64; w <= (e-1)/64; w++ {
		bm[w] |= spanMask(w, s, e)
	}
}
