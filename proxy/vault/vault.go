package vault

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/veil-proxy/veil/detectors"
)

// Item is one value to tokenize.
type Item struct{ Category, Value string }

// Revealed is what a token stands for.
type Revealed struct {
	Value, Category string
	Found           bool // false: unknown or forgotten token
	Erased          bool // not found because the value was forgotten
}

var (
	// ErrUnavailable: the backend is down or timed out. Callers fail
	// closed. It wraps the cause.
	ErrUnavailable = errors.New("vault unavailable")
	// ErrInvalid: the value cannot be tokenized (an unknown category, a
	// card number too short, a token to tokenize again). The error names
	// the category, never the value.
	ErrInvalid = errors.New("vault: value cannot be tokenized")
)

// errProbes: every token of a value's probe sequence is held by others.
var errProbes = fmt.Errorf("vault: no free token in %d probes", maxProbes)

// Vault turns values into deterministic tokens and back.
type Vault interface {
	// Tokenize returns one token per item, in order, under the active key.
	Tokenize(ctx context.Context, items []Item) ([]string, error)
	// Detokenize returns, per token, the value it stands for. Unknown or
	// forgotten tokens are Found false, not an error.
	Detokenize(ctx context.Context, tokens []string) ([]Revealed, error)
	// Forget erases the value behind token under every key, leaving a
	// tombstone: the token reads as Erased from then on and is never
	// issued again. It reports how many live entries went.
	Forget(ctx context.Context, token string) (int, error)
	// ForgetValue erases every token of value in category, under every
	// key, as Forget does.
	ForgetValue(ctx context.Context, category, value string) (int, error)
	// Hash is the keyed hash of value (hash action): "vh." + 26 base32
	// chars of a 128-bit truncated HMAC-SHA256(hashKey_active,
	// category||0||normalized value). Stable across replicas sharing the
	// keys.
	Hash(category, value string) string
	// Backend names the store ("memory", "redis") for metrics and logs.
	Backend() string
	Close() error
}

// vault is the one Vault: the key ring's cryptography over a Store.
//
// An entry is never overwritten: the store puts if absent, and an entry
// holding another value sends the value to its next counter (0, 1, 2 … up
// to maxProbes), a deterministic sequence every replica walks alike. Every
// call is batched: a message's values go in one round trip, plus one per
// collision round. Detokenize looks a token up under every key's index
// (active first) in one round trip.
//
// A token of the active key may already stand for another value under an
// older one, and the CRM's copies of it must keep their meaning. So while
// Tokenize claims its tokens under the active key it reads them under the
// older keys in parallel (still one round trip of latency), and treats a
// token held there for another value as a collision, deleting what it
// just claimed. Detokenize reads a token held for two different values as
// not found, never as either.
//
// ForgetValue derives the value's whole probe sequence under every key and
// buries the entries holding it; each erasure of one value uses up one of
// its probes.
type vault struct {
	keys  *Keyring
	store Store

	// collide (tests only) derives tokens from the category and the probe
	// counter alone, the same under every key: every value collides with
	// every other, which exercises the probe sequence.
	collide bool
}

// New is a Vault with keys over s.
func New(keys *Keyring, s Store) Vault { return &vault{keys: keys, store: s} }

func (v *vault) Backend() string { return v.store.Name() }
func (v *vault) Close() error    { return v.store.Close() }

func (v *vault) Hash(category, value string) string {
	return keyedHash(v.keys.active(), category, value)
}

// job is one distinct value of a Tokenize call on its way to a token.
type job struct {
	category, value, norm string
	counter               uint32
	token, key            string // token at counter; its index key under the active key
	done                  bool
}

// Tokenize derives each value's token under the active key and makes
// sure the store holds the value under it, in rounds: each round probes
// every unresolved value at its counter in one batch, and a value whose
// token is another's goes to its next counter in the next round.
//
// A round claims the tokens under the active key (PutIfAbsent) and, with
// older keys in the ring, reads the same tokens under them at the same
// time (a second call in parallel: one round trip of latency). A token of
// the active key may already stand for another value under an older key;
// the CRM's copies of it must keep their meaning, so it is a collision
// too, and the entry just claimed for it (a ghost) is deleted: one more
// round trip, for that rare case only. Detokenize reads a token held for
// different values under two keys as not found, so a ghost is never
// revealed in the meantime.
func (v *vault) Tokenize(ctx context.Context, items []Item) ([]string, error) {
	jobs := make([]job, 0, len(items))
	of := make([]int, len(items)) // item -> job
	var seen map[string]int
	if len(items) > 1 {
		seen = make(map[string]int, len(items))
	}
	for i, it := range items {
		norm, err := prepare(it.Category, it.Value)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		if seen != nil {
			id := it.Category + "\x00" + norm
			if j, ok := seen[id]; ok {
				of[i] = j
				continue
			}
			seen[id] = len(jobs)
		}
		of[i] = len(jobs)
		jobs = append(jobs, job{category: it.Category, value: it.Value, norm: norm})
	}

	pending := make([]*job, len(jobs))
	for i := range jobs {
		pending[i] = &jobs[i]
	}
	for len(pending) > 0 {
		if err := v.probe(ctx, pending); err != nil {
			return nil, fmt.Errorf("vault tokenize: %w", err)
		}
		next := pending[:0]
		for _, j := range pending {
			if !j.done {
				if j.counter++; j.counter == maxProbes {
					return nil, fmt.Errorf("%s value: %w", j.category, errProbes)
				}
				next = append(next, j)
			}
		}
		pending = next
	}
	out := make([]string, len(items))
	for i := range items {
		out[i] = jobs[of[i]].token
	}
	return out, nil
}

// probe is one round of Tokenize: it sets done on the jobs whose token at
// their counter is now theirs.
func (v *vault) probe(ctx context.Context, pending []*job) error {
	ring := v.keys.lookup
	active, older := ring[0], ring[1:]
	keys := make([]string, len(pending))
	envs := make([][]byte, len(pending))
	var olderKeys []string
	if len(older) > 0 {
		olderKeys = make([]string, 0, len(pending)*len(older))
	}
	for n, j := range pending {
		j.token = makeToken(active, j.category, j.norm, j.counter, v.collide)
		j.key = indexKey(active, j.token)
		env, err := seal(active, j.category, j.token, j.value)
		if err != nil {
			return fmt.Errorf("seal: %w", err)
		}
		keys[n], envs[n] = j.key, env
		for _, k := range older {
			olderKeys = append(olderKeys, indexKey(k, j.token))
		}
	}

	var (
		olderVals [][]byte
		olderErr  error
		wg        sync.WaitGroup
	)
	if len(olderKeys) > 0 {
		wg.Go(func() { olderVals, olderErr = v.store.Get(ctx, olderKeys) })
	}
	existing, err := v.store.PutIfAbsent(ctx, keys, envs)
	wg.Wait()
	if err == nil {
		err = olderErr
	}
	if err != nil {
		// Entries claimed without the older keys read may be ghosts: the
		// next Tokenize of the value finds and deletes them.
		return err
	}

	var ghosts []string
	for n, j := range pending {
		mine := existing[n] == nil || v.judge(active, existing[n], j)
		taken := false // by another value under an older key
		for r, k := range older {
			if env := olderVals[n*len(older)+r]; env != nil && !v.judge(k, env, j) {
				taken = true
				break
			}
		}
		switch {
		case taken && mine:
			ghosts = append(ghosts, j.key)
		case !taken:
			j.done = mine
		}
	}
	if len(ghosts) > 0 {
		if _, err := v.store.Delete(ctx, ghosts); err != nil {
			return err
		}
	}
	return nil
}

// judge says whether env, under k's index at j's token, holds j's value;
// false for another value, another category, or bytes that do not open
// (which are never overwritten).
func (v *vault) judge(k *derivedKey, env []byte, j *job) bool {
	cat, val, err := open(k, env, j.token)
	return err == nil && cat == j.category && normalize(cat, val) == j.norm
}

// Detokenize reads every token under every key in one batch; the first
// key, active first, holding an entry decides. An entry that does not
// open, whose category is not the token's, or that another key's entry
// for the token contradicts reads as not found: never a wrong value.
func (v *vault) Detokenize(ctx context.Context, tokens []string) ([]Revealed, error) {
	out := make([]Revealed, len(tokens))
	ring := v.keys.lookup
	type look struct {
		token, category string
		first           int // index of its first storage key
		outs            []int
	}
	var (
		looks []look
		keys  []string
		seen  = make(map[string]int, len(tokens))
	)
	for i, t := range tokens {
		if l, ok := seen[t]; ok {
			looks[l].outs = append(looks[l].outs, i)
			continue
		}
		cat := detectors.TokenCategory([]byte(t))
		if cat == "" {
			continue // not a whole token: nothing to look up
		}
		seen[t] = len(looks)
		looks = append(looks, look{token: t, category: cat, first: len(keys), outs: []int{i}})
		for _, k := range ring {
			keys = append(keys, indexKey(k, t))
		}
	}
	if len(keys) == 0 {
		return out, nil
	}
	vals, err := v.store.Get(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("vault detokenize: %w", err)
	}
	for _, l := range looks {
		r := reveal(ring, vals[l.first:l.first+len(ring)], l.token, l.category)
		for _, i := range l.outs {
			out[i] = r
		}
	}
	return out, nil
}

// reveal opens the entries of token under the ring's keys (envs[i] under
// ring[i], nil where none): the first entry decides, and must be of
// category. An entry under another key holding anything else makes the
// token ambiguous (a collision across key generations caught mid-way by
// Tokenize): not found, rather than one of two values. A tombstone under
// any key means erased, whatever the others hold.
func reveal(ring []*derivedKey, envs [][]byte, token, category string) Revealed {
	if slices.ContainsFunc(envs, isTombstone) {
		return Revealed{Erased: true}
	}
	var r Revealed
	for i, env := range envs {
		if env == nil {
			continue
		}
		cat, val, err := open(ring[i], env, token)
		switch {
		case err != nil || cat != category:
			return Revealed{}
		case !r.Found:
			r = Revealed{Value: val, Category: cat, Found: true}
		case normalize(cat, val) != normalize(r.Category, r.Value):
			return Revealed{}
		}
	}
	return r
}

// Forget buries token's entry under every key.
func (v *vault) Forget(ctx context.Context, token string) (int, error) {
	if detectors.TokenCategory([]byte(token)) == "" {
		return 0, fmt.Errorf("%w: not a Veil token", ErrInvalid)
	}
	keys := make([]string, 0, len(v.keys.lookup))
	for _, k := range v.keys.lookup {
		keys = append(keys, indexKey(k, token))
	}
	n, err := v.store.Bury(ctx, keys)
	if err != nil {
		return 0, fmt.Errorf("vault forget: %w", err)
	}
	return n, nil
}

// ForgetValue buries every entry holding value: under every key, its
// whole probe sequence, read in one batch. The whole sequence, not up to
// the first gap: an erasure leaves gaps (the value at counter 0 forgotten,
// another at counter 1 behind it), and a walk stopping at one would miss
// the values behind it.
func (v *vault) ForgetValue(ctx context.Context, category, value string) (int, error) {
	norm, err := prepare(category, value)
	if err != nil {
		return 0, err
	}
	type probe struct {
		k     *derivedKey
		token string
	}
	probes := make([]probe, 0, len(v.keys.lookup)*maxProbes)
	keys := make([]string, 0, cap(probes))
	for _, k := range v.keys.lookup {
		for c := uint32(0); c < maxProbes; c++ {
			t := makeToken(k, category, norm, c, v.collide)
			probes = append(probes, probe{k, t})
			keys = append(keys, indexKey(k, t))
		}
	}
	vals, err := v.store.Get(ctx, keys)
	if err != nil {
		return 0, fmt.Errorf("vault forget: %w", err)
	}
	var bury []string
	for i, env := range vals {
		if env == nil {
			continue
		}
		j := job{category: category, norm: norm, token: probes[i].token}
		if v.judge(probes[i].k, env, &j) {
			bury = append(bury, keys[i])
		}
	}
	n, err := v.store.Bury(ctx, bury)
	if err != nil {
		return 0, fmt.Errorf("vault forget: %w", err)
	}
	return n, nil
}
