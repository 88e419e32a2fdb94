package ingress

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// DefaultLoginPace is how long Veil's own login refusal takes before the
// CRM has answered any login through it.
const DefaultLoginPace = 300 * time.Millisecond

// loginSamples is how many of the CRM's recent login times a LoginPace
// keeps.
const loginSamples = 64

// LoginPace makes Veil's own login refusals (a username no principal
// holds, one that is no valid CRM username, a refresh token Veil never
// bound) take as long as the CRM takes to answer a login. The refusals
// already read the same as the CRM's, byte for byte (LoginRefusal);
// without the pace their speed would still tell a username Veil maps
// from one it does not, since only the first goes to the CRM. Each
// refusal waits one of the last 64 login times, picked at random, so its
// time follows the CRM's own. Safe for concurrent use.
type LoginPace struct {
	mu   sync.Mutex
	ring [loginSamples]time.Duration
	n    int // samples held, at most loginSamples
	next int // where the next sample goes
}

// Observe records that a login through Veil took d, from the exchange's
// start (scope.Scope.Start) to the CRM's answer.
func (p *LoginPace) Observe(d time.Duration) {
	if d <= 0 {
		return
	}
	p.mu.Lock()
	p.ring[p.next] = d
	p.next = (p.next + 1) % loginSamples
	if p.n < loginSamples {
		p.n++
	}
	p.mu.Unlock()
}

// pick is a recorded login time at random, or DefaultLoginPace.
func (p *LoginPace) pick() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		return DefaultLoginPace
	}
	return p.ring[rand.IntN(p.n)]
}

// Wait returns once a login time picked at random has passed since
// start, or when ctx ends (the client went away: nobody is timing it).
func (p *LoginPace) Wait(ctx context.Context, start time.Time) {
	d := time.Until(start.Add(p.pick()))
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
