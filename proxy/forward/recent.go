package forward

import (
	"sync"
	"time"
)

// alertWindow is how long a refusal alert stands for repeats of itself.
const alertWindow = 10 * time.Minute

// recent remembers keys for a window, bounded: when full, it forgets the
// oldest half of what it holds, so a flood of distinct keys cannot grow it.
type recent struct {
	mu     sync.Mutex
	window time.Duration
	max    int
	seen   map[string]time.Time
}

func newRecent(window time.Duration, max int) *recent {
	return &recent{window: window, max: max, seen: make(map[string]time.Time)}
}

// first reports whether key was not seen within the window before now, and
// remembers it.
func (r *recent) first(key string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.seen[key]; ok && now.Sub(t) < r.window {
		return false
	}
	if len(r.seen) >= r.max {
		r.prune(now)
	}
	r.seen[key] = now
	return true
}

// prune drops expired keys, then, if still full, those older than the
// median age.
func (r *recent) prune(now time.Time) {
	for k, t := range r.seen {
		if now.Sub(t) >= r.window {
			delete(r.seen, k)
		}
	}
	if len(r.seen) < r.max {
		return
	}
	cut := now.Add(-r.window / 2)
	for k, t := range r.seen {
		if t.Before(cut) {
			delete(r.seen, k)
		}
	}
	if len(r.seen) >= r.max { // all within the last half window
		clear(r.seen)
	}
}
