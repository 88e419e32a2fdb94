package audit

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// fill sets every exported field of the struct v points to from s, n and
// t (strings, string slices and maps of counts from s, numbers from n),
// so that a field Marshal writes and the encoder does not shows.
func fill(v any, s string, n int64, t time.Time) {
	rv := reflect.ValueOf(v).Elem()
	for i := range rv.NumField() {
		f := rv.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(s + rv.Type().Field(i).Name)
		case reflect.Bool:
			f.SetBool(n%2 != 0)
		case reflect.Int, reflect.Int64:
			f.SetInt(n)
		case reflect.Uint64:
			f.SetUint(uint64(n))
		case reflect.Slice:
			f.Set(reflect.ValueOf([]string{s, "", "r<2>"}))
		case reflect.Map:
			m := reflect.MakeMap(f.Type())
			for j, k := range []string{s, "b&c", "a", "\u2028"} {
				m.SetMapIndex(reflect.ValueOf(k), reflect.ValueOf(n+int64(j)).Convert(f.Type().Elem()))
			}
			f.Set(m)
		case reflect.Struct:
			f.Set(reflect.ValueOf(t))
		default:
			panic("fill: a field of kind " + f.Kind().String() + ": teach fill and the encoder")
		}
	}
}

// sameAsMarshal fails unless the encoder writes what json.Marshal does, or
// fails where it fails.
func sameAsMarshal(t *testing.T, e *Event, a *Alert) {
	t.Helper()
	want, werr := json.Marshal(e)
	got, gerr := appendEvent([]byte("pre"), e)
	if (werr != nil) != (gerr != nil) || werr == nil && string(got) != "pre"+string(want) {
		t.Fatalf("event %+v:\nappendEvent %q (%v)\njson.Marshal %q (%v)", e, got, gerr, want, werr)
	}
	want, werr = json.Marshal(a)
	got, gerr = appendAlert(nil, a)
	if (werr != nil) != (gerr != nil) || werr == nil && !bytes.Equal(got, want) {
		t.Fatalf("alert %+v:\nappendAlert %q (%v)\njson.Marshal %q (%v)", a, got, gerr, want, werr)
	}
}

func TestEncodersMatchMarshal(t *testing.T) {
	sameAsMarshal(t, &Event{}, &Alert{})
	when := time.Date(2026, 11, 29, 9, 30, 1, 120_000_000, time.UTC)
	for _, s := range []string{"", "plain", "<script>&amp;</script>", "quote\" back\\slash", "\x00\x1f\x7f\n\t\b\f",
		"\u2028\u2029", "\xff\xfeé", "日本語"} {
		for _, n := range []int64{0, 1, -7, 1 << 40} {
			for _, at := range []time.Time{{}, when, when.In(time.FixedZone("", -5*3600)), time.Unix(0, 1)} {
				var e Event
				var a Alert
				fill(&e, s, n, at)
				fill(&a, s, n, at)
				sameAsMarshal(t, &e, &a)
			}
		}
	}
	// Nil and empty slices and maps are both left out; a year past 9999
	// fails as it does for encoding/json.
	sameAsMarshal(t, &Event{Roles: []string{}, Categories: map[string]int{}, Time: when}, &Alert{Evidence: map[string]int64{}})
	sameAsMarshal(t, &Event{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, &Alert{Time: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)})
}

func FuzzEncodersMatchMarshal(f *testing.F) {
	f.Add("", int64(0), int64(0), int64(0))
	f.Add("<a&b>\u2028\xff", int64(-3), int64(1_764_408_601), int64(999_999_999))
	f.Fuzz(func(t *testing.T, s string, n, sec, nsec int64) {
		at := time.Unix(sec, nsec).UTC()
		var e Event
		var a Alert
		fill(&e, s, n, at)
		fill(&a, s, n, at)
		sameAsMarshal(t, &e, &a)
	})
}

// BenchmarkEncodeEvent: a response's decision event (as bench_test.go's)
// written by appendEvent and by encoding/json.
func BenchmarkEncodeEvent(b *testing.B) {
	e := Event{ID: "0123456789abcdef0123456789abcdef", Time: time.Now().UTC(), Kind: KindDecision,
		DecisionID: "d-0123456789abcdef", PolicyRevision: "16ed80938f7d65e5", RequestID: "r-0123456789abcdef",
		Principal: "bench-analyst", Roles: []string{"analyst"}, Purpose: "support", IP: "127.0.0.1",
		Route: "salesforce", Direction: "response", Method: "GET", Path: "/services/data/v62.0/query",
		Operation: "query", Object: "Contact",
		RecordIDs:  []string{"003Dn0000000000IAA", "003Dn0000000001IAA", "003Dn0000000002IAA", "003Dn0000000003IAA"},
		Categories: map[string]int{"email": 8, "person_name": 16, "phone": 8, "street_address": 8},
		Actions:    map[string]int{"mask": 32, "redact": 8}, Outcome: "transformed", Status: 200}
	b.Run("appendEvent", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := appendEvent(make([]byte, 0, encodeSize), &e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&e); err != nil {
				b.Fatal(err)
			}
		}
	})
}
