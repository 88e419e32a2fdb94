package audit

import (
	"slices"
	"strconv"
	"time"

	"github.com/veil-proxy/veil/proxy/body"
)

// appendEvent and appendAlert write an event or an alert exactly as
// encoding/json's Marshal does (field order, omitempty, map keys sorted,
// RFC 3339 times, HTML-safe string quoting), without reflection: every
// message writes two events. The chain is verified with encoding/json
// (chain.go), and TestEncodersMatchMarshal and FuzzEncodersMatchMarshal
// hold these to it byte for byte, including for a field added to Event or
// Alert and not written here.

// encodeSize is the buffer an event or alert is written into: a decision
// event of a page of records is ~700 bytes, most alerts less.
const encodeSize = 1024

func appendEvent(b []byte, e *Event) ([]byte, error) {
	w := jsonObject{b: b}
	w.str("id", e.ID, true)
	if err := w.time("time", e.Time); err != nil {
		return nil, err
	}
	w.str("kind", e.Kind, true)
	w.str("instance", e.Instance, false)
	w.uint("seq", e.Seq)
	w.str("decision_id", e.DecisionID, false)
	w.str("policy_revision", e.PolicyRevision, false)
	w.str("request_id", e.RequestID, false)
	w.str("principal", e.Principal, false)
	w.strs("roles", e.Roles)
	if e.MFA {
		w.key("mfa")
		w.b = append(w.b, "true"...)
	}
	w.str("purpose", e.Purpose, false)
	w.str("ip", e.IP, false)
	w.str("route", e.Route, false)
	w.str("direction", e.Direction, false)
	w.str("method", e.Method, false)
	w.str("path", e.Path, false)
	w.str("operation", e.Operation, false)
	w.str("object", e.Object, false)
	w.strs("record_ids", e.RecordIDs)
	counts(&w, "categories", e.Categories)
	counts(&w, "actions", e.Actions)
	w.str("outcome", e.Outcome, false)
	w.str("code", e.Code, false)
	w.int("status", int64(e.Status))
	w.strs("rules", e.Rules)
	w.str("body_format", e.BodyFormat, false)
	if e.Uninspected {
		w.key("uninspected")
		w.b = append(w.b, "true"...)
	}
	w.str("uninspected_reason", e.UninspectedReason, false)
	w.int("chunks", int64(e.Chunks))
	w.int("record_ids_omitted", int64(e.RecordIDsOmitted))
	w.int("records_without_ids", int64(e.RecordsWithoutIDs))
	w.int("bytes", e.Bytes)
	w.str("actor", e.Actor, false)
	w.str("token", e.Token, false)
	w.str("category", e.Category, false)
	w.int("erased", int64(e.Erased))
	w.str("backend", e.Backend, false)
	w.str("host", e.Host, false)
	w.str("username_hash", e.UsernameHash, false)
	w.str("key_id", e.KeyID, false)
	w.str("prev_hash", e.PrevHash, false)
	w.str("hash", e.Hash, false)
	w.str("mac", e.Mac, false)
	return w.end(), nil
}

func appendAlert(b []byte, a *Alert) ([]byte, error) {
	w := jsonObject{b: b}
	w.str("id", a.ID, true)
	if err := w.time("time", a.Time); err != nil {
		return nil, err
	}
	w.str("kind", a.Kind, true)
	w.str("severity", a.Severity, true)
	w.str("instance", a.Instance, false)
	w.uint("seq", a.Seq)
	w.str("principal", a.Principal, false)
	w.str("ip", a.IP, false)
	w.str("route", a.Route, false)
	w.str("decision_id", a.DecisionID, false)
	w.str("message", a.Message, true)
	counts(&w, "evidence", a.Evidence)
	w.str("username_hash", a.UsernameHash, false)
	w.str("key_id", a.KeyID, false)
	w.str("prev_hash", a.PrevHash, false)
	w.str("hash", a.Hash, false)
	w.str("mac", a.Mac, false)
	return w.end(), nil
}

// jsonObject writes one JSON object's members in turn.
type jsonObject struct {
	b    []byte
	more bool // a member was written
}

func (w *jsonObject) key(k string) {
	if w.more {
		w.b = append(w.b, ',')
	} else {
		w.b = append(w.b, '{')
		w.more = true
	}
	w.b = append(append(append(w.b, '"'), k...), '"', ':') // keys are plain ASCII
}

func (w *jsonObject) end() []byte {
	if !w.more {
		return append(w.b, '{', '}')
	}
	return append(w.b, '}')
}

// str writes a string member; an empty one only when always.
func (w *jsonObject) str(k, v string, always bool) {
	if v == "" && !always {
		return
	}
	w.key(k)
	w.b = body.AppendJSONStringHTML(w.b, v)
}

func (w *jsonObject) int(k string, v int64) {
	if v != 0 {
		w.key(k)
		w.b = strconv.AppendInt(w.b, v, 10)
	}
}

func (w *jsonObject) uint(k string, v uint64) {
	if v != 0 {
		w.key(k)
		w.b = strconv.AppendUint(w.b, v, 10)
	}
}

// time writes t as time.Time's MarshalJSON does (RFC 3339, fractional
// seconds without trailing zeros), failing where it fails.
func (w *jsonObject) time(k string, t time.Time) error {
	w.key(k)
	b, err := t.AppendText(append(w.b, '"'))
	if err != nil {
		return err
	}
	w.b = append(b, '"')
	return nil
}

func (w *jsonObject) strs(k string, v []string) {
	if len(v) == 0 {
		return
	}
	w.key(k)
	w.b = append(w.b, '[')
	for i, s := range v {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = body.AppendJSONStringHTML(w.b, s)
	}
	w.b = append(w.b, ']')
}

// counts writes a map of counts, its keys sorted as encoding/json sorts
// them.
func counts[V int | int64](w *jsonObject, k string, m map[string]V) {
	if len(m) == 0 {
		return
	}
	w.key(k)
	var small [16]string // the categories and actions of a message fit
	keys := small[:0]
	for name := range m {
		keys = append(keys, name)
	}
	slices.Sort(keys)
	w.b = append(w.b, '{')
	for i, name := range keys {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = append(body.AppendJSONStringHTML(w.b, name), ':')
		w.b = strconv.AppendInt(w.b, int64(m[name]), 10)
	}
	w.b = append(w.b, '}')
}
