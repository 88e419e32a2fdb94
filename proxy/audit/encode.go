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
	// The first match is the field: inside a JSON string every quote is
	// escaped, so the token cannot occur there.
	i := bytes.Index(body, instTok)
	if i < 0 || len(body) < 2 || body[len(body)-1] != '}' {
		return nil
	}
	at := i + len(instTok)
	return func(seq uint64, prev string) ([]byte, string) {
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
		if macKey != nil {
			buf = withMAC(buf, macOf(macKey, h))
		}
		return buf, h
	}
}
