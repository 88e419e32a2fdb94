package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
)

// Canonical form and hash. The canonical JSON of an event (or alert) is
// encoding/json's output for the struct with Hash and Mac empty: the
// field order is the struct's, maps are sorted, Hash and Mac (last,
// omitempty) are absent; KeyID, when keyed, is in it. The hash is hex
// SHA-256 over PrevHash followed by that JSON: anyone can recompute it.
// The mac is hex HMAC-SHA256 of the hash under the chain key KeyID names:
// as the hash covers PrevHash, each mac authenticates the whole chain up
// to its record, and only a holder of the key can make one.

// chainHash is hex SHA-256 over prev || canonical.
func chainHash(prev string, canonical []byte) string {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write(canonical)
	var sum [sha256.Size]byte
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], h.Sum(sum[:0]))
	return string(out[:])
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

// withMAC appends Mac to the stored JSON (Mac is the last field).
func withMAC(stored []byte, mac string) []byte {
	if mac == "" {
		return stored
	}
	out := append(stored[:len(stored)-1], `,"mac":"`...) // stored is the caller's fresh buffer
	out = append(out, mac...)
	return append(out, `"}`...)
}

// ComputeHash is the hash e should carry: over e.PrevHash and e's
// canonical JSON (e.Hash and e.Mac ignored).
func (e Event) ComputeHash() (string, error) {
	e.Hash, e.Mac = "", ""
	b, err := json.Marshal(e)
	if err != nil {
		return "", err
	}
	return chainHash(e.PrevHash, b), nil
}

// ComputeHash is the hash a should carry (see Event.ComputeHash).
func (a Alert) ComputeHash() (string, error) {
	a.Hash, a.Mac = "", ""
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
	KeyID    string
	Mac      string
	Where    string // stream entry id or "line N"
}

// LinkOf is the chain link of an event.
func LinkOf(e Event, where string) Link {
	c, _ := e.ComputeHash()
	return Link{Instance: e.Instance, Seq: e.Seq, PrevHash: e.PrevHash, Hash: e.Hash, Computed: c, KeyID: e.KeyID, Mac: e.Mac, Where: where}
}

// AlertLinkOf is the chain link of an alert.
func AlertLinkOf(a Alert, where string) Link {
	c, _ := a.ComputeHash()
	return Link{Instance: a.Instance, Seq: a.Seq, PrevHash: a.PrevHash, Hash: a.Hash, Computed: c, KeyID: a.KeyID, Mac: a.Mac, Where: where}
}

// Break is the first broken link of a chain.
type Break struct {
	Seq     uint64 `json:"seq"`
	Where   string `json:"where"` // stream entry id or "line N"
	Problem string `json:"problem"`
}

// ChainReport is the verification of one instance's chain. Problems
// never quote a record's content.
type ChainReport struct {
	Instance string `json:"instance"`
	Events   int    `json:"events"`
	First    uint64 `json:"first_seq"`
	Last     uint64 `json:"last_seq"`
	Broken   *Break `json:"broken,omitempty"` // nil: every link holds
	// Keyed counts the records whose mac was checked with the chain key;
	// Unkeyed those carrying none (a keyless writer).
	Keyed   int `json:"keyed"`
	Unkeyed int `json:"unkeyed"`
	// Checkpoint is the signed checkpoint the chain was held to (nil:
	// none); Tail counts the records after it (all of them without one):
	// their deletion would not be seen.
	Checkpoint *Checkpoint `json:"checkpoint,omitempty"`
	Tail       int         `json:"unverified_tail"`
}

// Trimmed says the chain starts mid-way (a stream trimmed by MAXLEN, or
// a file started late): its first prev_hash cannot be checked.
func (r ChainReport) Trimmed() bool { return r.First > 1 }

// Verifier checks hash chains per instance, fed in stream or file order.
// Set Keys to check every link's mac (a record without one, or keyed by
// a key the keyring lacks, is then a break), and call SetCheckpoints
// before the first Add to hold each chain to its signed checkpoint.
type Verifier struct {
	Keys *ChainKeys
	// Trimmable: the chains may start after seq 1 (a stream trimmed by
	// MAXLEN). Otherwise (files) records missing before a checkpoint's
	// seq are a break.
	Trimmable bool

	chains   map[string]*chainState
	order    []string
	cps      map[string]Checkpoint
	finished bool
}

type chainState struct {
	rep      ChainReport
	lastHash string
	cpHash   string // the hash seen at the checkpoint's seq
	cpSeen   bool
}

// SetCheckpoints holds each instance's chain to its checkpoint (the
// latest of an instance wins). Their signatures must have been checked.
func (v *Verifier) SetCheckpoints(cps []Checkpoint) {
	if v.cps == nil {
		v.cps = map[string]Checkpoint{}
	}
	for _, c := range cps {
		if old, ok := v.cps[c.Instance]; !ok || c.Seq > old.Seq {
			v.cps[c.Instance] = c
		}
	}
}

func (v *Verifier) chain(inst string) *chainState {
	if v.chains == nil {
		v.chains = map[string]*chainState{}
	}
	c, ok := v.chains[inst]
	if !ok {
		c = &chainState{rep: ChainReport{Instance: inst}}
		v.chains[inst] = c
		v.order = append(v.order, inst)
	}
	return c
}

// Add checks one link against the previous link of its instance.
func (v *Verifier) Add(l Link) {
	c := v.chain(l.Instance)
	r := &c.rep
	r.Events++
	if cp, ok := v.cps[l.Instance]; ok && l.Seq == cp.Seq && !c.cpSeen {
		c.cpSeen, c.cpHash = true, l.Hash
	}
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
	case v.Keys != nil && l.Mac == "":
		brk("no mac: the record is not keyed though a chain key was given (keys stripped, or written without audit.chain_key_file)")
	case v.Keys != nil && !v.Keys.Has(l.KeyID):
		brk("keyed with key_id %q, which the keyring lacks", l.KeyID)
	case v.Keys != nil && !hmacEqual(v.Keys.MAC(l.KeyID, l.Hash), l.Mac):
		brk("mac does not match: the chain was recomputed without the key (or with a wrong one)")
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
		if l.Mac != "" && v.Keys != nil {
			r.Keyed++
		} else if l.Mac == "" {
			r.Unkeyed++
		}
	}
}

func hmacEqual(a, b string) bool {
	return a != "" && hmac.Equal([]byte(a), []byte(b))
}

// finish holds each chain to its checkpoint, once.
func (v *Verifier) finish() {
	if v.finished {
		return
	}
	v.finished = true
	insts := make([]string, 0, len(v.cps))
	for in := range v.cps {
		insts = append(insts, in)
	}
	slices.Sort(insts)
	for _, in := range insts {
		cp := v.cps[in]
		c := v.chain(in)
		r := &c.rep
		r.Checkpoint = &cp
		brk := func(format string, a ...any) {
			if r.Broken == nil {
				r.Broken = &Break{Seq: cp.Seq, Where: "checkpoint", Problem: fmt.Sprintf(format, a...)}
			}
		}
		switch {
		case r.Events == 0:
			brk("no records at all, but a signed checkpoint says seq 1..%d existed: records removed (file emptied or instance deleted)", cp.Seq)
		case r.First > 1 && !v.Trimmable:
			brk("records before seq %d are missing (the checkpoint covers seq 1..%d)", r.First, cp.Seq)
		case r.Broken != nil && r.Broken.Seq <= cp.Seq:
			// The break says it.
		case r.Last < cp.Seq && r.Broken == nil:
			brk("the chain ends at seq %d, before the checkpoint's seq %d: %d records cut from the tail", r.Last, cp.Seq, cp.Seq-r.Last)
		case r.Events > 0 && r.First > cp.Seq:
			// Trimmed past the checkpoint: nothing to compare.
		case !c.cpSeen:
			brk("no record with the checkpoint's seq %d", cp.Seq)
		case c.cpHash != cp.Hash:
			brk("the record at seq %d does not match the signed checkpoint: the chain was rewritten (records deleted, reordered or altered, and the hashes recomputed)", cp.Seq)
		}
	}
	for _, c := range v.chains {
		r := &c.rep
		switch {
		case r.Checkpoint == nil:
			r.Tail = r.Events
		case r.Last > r.Checkpoint.Seq:
			r.Tail = int(r.Last - r.Checkpoint.Seq)
		}
		if r.Broken != nil && r.Checkpoint != nil {
			r.Tail = 0
		}
	}
}

// Reports are the chains seen, in order of first appearance (then the
// checkpointed instances without records).
func (v *Verifier) Reports() []ChainReport {
	v.finish()
	out := make([]ChainReport, 0, len(v.order))
	for _, in := range v.order {
		out = append(out, v.chains[in].rep)
	}
	return out
}

// OK says every chain holds (and matches its checkpoint).
func (v *Verifier) OK() bool {
	v.finish()
	for _, c := range v.chains {
		if c.rep.Broken != nil {
			return false
		}
	}
	return true
}
