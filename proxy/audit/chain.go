package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Canonical form and hash. The canonical JSON of an event (or alert) is
// encoding/json's output for the struct with Hash empty: the field order
// is the struct's, maps are sorted, Hash (last, omitempty) is absent. The
// hash is hex SHA-256 over PrevHash followed by that JSON.

// chainHash is hex SHA-256 over prev || canonical.
func chainHash(prev string, canonical []byte) string {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write(canonical)
	return hex.EncodeToString(h.Sum(nil))
}

// withHash turns the canonical JSON (ending in '}', Hash absent) into the
// stored JSON: Hash is the struct's last field, so encoding/json would
// write exactly this.
func withHash(canonical []byte, hash string) []byte {
	out := make([]byte, 0, len(canonical)+len(hash)+10)
	out = append(out, canonical[:len(canonical)-1]...)
	out = append(out, `,"hash":"`...)
	out = append(out, hash...)
	return append(out, `"}`...)
}

// ComputeHash is the hash e should carry: over e.PrevHash and e's
// canonical JSON (e.Hash ignored).
func (e Event) ComputeHash() (string, error) {
	e.Hash = ""
	b, err := json.Marshal(e)
	if err != nil {
		return "", err
	}
	return chainHash(e.PrevHash, b), nil
}

// ComputeHash is the hash a should carry (see Event.ComputeHash).
func (a Alert) ComputeHash() (string, error) {
	a.Hash = ""
	b, err := json.Marshal(a)
	if err != nil {
		return "", err
	}
	return chainHash(a.PrevHash, b), nil
}

// Link is what the verifier reads from one chained record.
type Link struct {
	Instance string
	Seq      uint64
	PrevHash string
	Hash     string
	Computed string // the recomputed hash ("" when it could not be)
	Where    string // stream entry id or "line N"
}

// LinkOf is the chain link of an event.
func LinkOf(e Event, where string) Link {
	c, _ := e.ComputeHash()
	return Link{Instance: e.Instance, Seq: e.Seq, PrevHash: e.PrevHash, Hash: e.Hash, Computed: c, Where: where}
}

// AlertLinkOf is the chain link of an alert.
func AlertLinkOf(a Alert, where string) Link {
	c, _ := a.ComputeHash()
	return Link{Instance: a.Instance, Seq: a.Seq, PrevHash: a.PrevHash, Hash: a.Hash, Computed: c, Where: where}
}

// Break is the first broken link of a chain.
type Break struct {
	Seq     uint64 `json:"seq"`
	Where   string `json:"where"` // stream entry id or "line N"
	Problem string `json:"problem"`
}

// ChainReport is the verification of one instance's chain.
type ChainReport struct {
	Instance string `json:"instance"`
	Events   int    `json:"events"`
	First    uint64 `json:"first_seq"`
	Last     uint64 `json:"last_seq"`
	Broken   *Break `json:"broken,omitempty"` // nil: every link holds
}

// Trimmed says the chain starts mid-way (a stream trimmed by MAXLEN, or
// a file started late): its first prev_hash cannot be checked.
func (r ChainReport) Trimmed() bool { return r.First > 1 }

// Verifier checks hash chains per instance, fed in stream or file order.
type Verifier struct {
	chains map[string]*chainState
	order  []string
}

type chainState struct {
	rep      ChainReport
	lastHash string
}

// Add checks one link against the previous link of its instance.
func (v *Verifier) Add(l Link) {
	if v.chains == nil {
		v.chains = map[string]*chainState{}
	}
	c, ok := v.chains[l.Instance]
	if !ok {
		c = &chainState{rep: ChainReport{Instance: l.Instance}}
		v.chains[l.Instance] = c
		v.order = append(v.order, l.Instance)
	}
	r := &c.rep
	r.Events++
	if r.Broken != nil {
		return // the first break is the report; keep counting
	}
	if r.Events == 1 {
		r.First = l.Seq
	}
	brk := func(format string, a ...any) {
		r.Broken = &Break{Seq: l.Seq, Where: l.Where, Problem: fmt.Sprintf(format, a...)}
	}
	switch {
	case l.Seq == 0 || l.Hash == "":
		brk("not chained (no seq or hash)")
	case l.Computed != l.Hash:
		brk("hash does not match the content (altered)")
	case r.Events == 1:
		if l.Seq == 1 && l.PrevHash != "" {
			brk("seq 1 has a prev_hash")
		}
	case l.Seq <= r.Last:
		brk("seq %d after seq %d (reordered or repeated)", l.Seq, r.Last)
	case l.Seq != r.Last+1:
		brk("seq %d after seq %d: %d missing (deleted)", l.Seq, r.Last, l.Seq-r.Last-1)
	case l.PrevHash != c.lastHash:
		brk("prev_hash is not the hash of seq %d", r.Last)
	}
	if r.Broken == nil {
		r.Last, c.lastHash = l.Seq, l.Hash
	}
}

// Reports are the chains seen, in order of first appearance.
func (v *Verifier) Reports() []ChainReport {
	out := make([]ChainReport, 0, len(v.order))
	for _, in := range v.order {
		out = append(out, v.chains[in].rep)
	}
	return out
}

// OK says every chain holds.
func (v *Verifier) OK() bool {
	for _, c := range v.chains {
		if c.rep.Broken != nil {
			return false
		}
	}
	return true
}
