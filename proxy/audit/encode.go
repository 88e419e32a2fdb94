package audit

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Encoding off the lock. A record is marshalled by the caller's
// goroutine without Seq, PrevHash and Hash; under the chain's lock only
// those are spliced in: `,"seq":N` right after the instance (Seq follows
// Instance in Event and Alert) and `,"prev_hash":"…"` before the closing
// brace (PrevHash and Hash are the last fields). The result is byte for
// byte encoding/json's output of the whole struct (TestSpliceIsMarshal).

// instanceToken is `,"instance":"<instance>"` as encoding/json writes it.
func instanceToken(instance string) []byte {
	b, _ := json.Marshal(instance)
	return append([]byte(`,"instance":`), b...)
}

// splicer returns the chain-fill function for body (the record's JSON
// without seq, prev_hash and hash), or nil when body does not have the
// expected shape (then the caller marshals under the lock).
// With a chain key (macKey non-nil) the mac of the hash follows it.
func splicer(body, instTok, macKey []byte) func(seq uint64, prev string) ([]byte, string) {
	sp, ok := newSplice(body, instTok, macKey)
	if !ok {
		return nil
	}
	return sp.fill
}

// splice is splicer's fill function as a value: the recorder keeps it on
// its stack, so that an event costs no closure.
type splice struct {
	body, macKey []byte
	at           int // where `,"seq":N` goes: right after the instance
}

// newSplice is splicer's splice; ok is false when body does not have the
// expected shape.
func newSplice(body, instTok, macKey []byte) (sp splice, ok bool) {
	// The first match is the field: inside a JSON string every quote is
	// escaped, so the token cannot occur there.
	i := bytes.Index(body, instTok)
	if i < 0 || len(body) < 2 || body[len(body)-1] != '}' {
		return splice{}, false
	}
	return splice{body: body, macKey: macKey, at: i + len(instTok)}, true
}

// fill is the record with seq and prev_hash spliced in, its hash and (with
// a chain key) mac appended, in a buffer of its own; and its hash.
func (sp splice) fill(seq uint64, prev string) ([]byte, string) {
	body, at := sp.body, sp.at
	buf := make([]byte, 0, len(body)+len(prev)+len(`,"seq":,"prev_hash":"","hash":"","mac":""`)+20+128)
	buf = append(buf, body[:at]...)
	buf = append(buf, `,"seq":`...)
	buf = strconv.AppendUint(buf, seq, 10)
	buf = append(buf, body[at:len(body)-1]...)
	if prev != "" {
		buf = append(buf, `,"prev_hash":"`...)
		buf = append(buf, prev...)
		buf = append(buf, '"')
	}
	buf = append(buf, '}')
	h := chainHash(prev, buf)
	buf = append(buf[:len(buf)-1], `,"hash":"`...)
	buf = append(buf, h...)
	buf = append(buf, `"}`...)
	if sp.macKey != nil {
		buf = withMAC(buf, macOf(sp.macKey, h))
	}
	return buf, h
}
