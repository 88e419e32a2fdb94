package logging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// unencodable replaces a value that failed to marshal: zap would log the
// marshaler's error next to it, and that error may quote the value.
const unencodable = "[unencodable]"

// maxDepth bounds the walk of nested values; deeper ones become Redacted.
const maxDepth = 32

// redactor rewrites what a log entry carries. scrub is Options.Scrub or
// fallbackScrub, never nil; numbers are scanned only with a real one.
type redactor struct {
	scrub       func([]byte) []byte
	scanNumbers bool
}

func newRedactor(scrub func([]byte) []byte) redactor {
	if scrub == nil {
		return redactor{scrub: fallbackScrub}
	}
	return redactor{scrub: scrub, scanNumbers: true}
}

// text returns s unchanged when the pre-check passes it, else with URL
// queries and tokens cut and then scrubbed; ok reports a change.
func (r redactor) text(s string) (string, bool) {
	if !suspicious(s) {
		return s, false
	}
	return string(r.scrub([]byte(cutTokens(s)))), true
}

// fields returns fs with every field made safe, sharing fs when no field
// needed it: the clean path does not allocate.
func (r redactor) fields(fs []zapcore.Field) []zapcore.Field {
	var one [1]zapcore.Field
	for i := range fs {
		rewritten, changed := r.field(one[:0], fs[i])
		if !changed {
			continue
		}
		out := make([]zapcore.Field, 0, len(fs)+len(rewritten))
		out = append(append(out, fs[:i]...), rewritten...)
		for _, f := range fs[i+1:] {
			if g, changed := r.field(one[:0], f); changed {
				out = append(out, g...)
			} else {
				out = append(out, f)
			}
		}
		return out
	}
	return fs
}

// field appends the safe form of f to dst when f needs rewriting, and
// reports whether it did. An inline marshaler may become several fields.
func (r redactor) field(dst []zapcore.Field, f zapcore.Field) ([]zapcore.Field, bool) {
	if f.Type == zapcore.SkipType || f.Type == zapcore.NamespaceType {
		return dst, false
	}
	key, keyChanged := r.text(f.Key)
	switch classifyKey(f.Key) {
	case keyDenied:
		return append(dst, zap.String(key, Redacted)), true
	case keyURL:
		if s, ok := stringOf(f); ok {
			s, _ = r.text(cleanURL(s))
			return append(dst, zap.String(key, s)), true
		}
	}
	switch f.Type {
	case zapcore.StringType:
		if s, ok := r.text(f.String); ok || keyChanged {
			return append(dst, zap.String(key, s)), true
		}
	case zapcore.ByteStringType:
		if s, ok := r.text(string(f.Interface.([]byte))); ok || keyChanged {
			return append(dst, zap.String(key, s)), true
		}
	case zapcore.ErrorType, zapcore.StringerType:
		// Errors keep their message, through the scrub path; rich errors
		// lose their "Verbose" and "Causes" companions, which zap would
		// write unscanned.
		s, _ := stringOf(f)
		s, _ = r.text(s)
		return append(dst, zap.String(key, s)), true
	case zapcore.BinaryType:
		return append(dst, zap.String(key, Redacted)), true
	case zapcore.ObjectMarshalerType, zapcore.ArrayMarshalerType, zapcore.ReflectType:
		if a, ok := f.Interface.(stringArray); ok {
			return r.strings(dst, key, keyChanged, a)
		}
		return append(dst, zap.Any(key, r.value(generic(f), 0))), true
	case zapcore.InlineMarshalerType:
		m, ok := r.value(generic(f), 0).(map[string]any)
		if !ok {
			return append(dst, zap.String(key, unencodable)), true
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			dst = append(dst, zap.Any(k, m[k]))
		}
		return dst, true
	case zapcore.Int64Type, zapcore.Int32Type, zapcore.Int16Type, zapcore.Int8Type:
		if r.scanNumbers && (f.Integer >= 1e5 || f.Integer <= -1e5) {
			if s, ok := r.number(strconv.FormatInt(f.Integer, 10)); ok {
				return append(dst, zap.String(key, s)), true
			}
		}
	case zapcore.Uint64Type, zapcore.Uint32Type, zapcore.Uint16Type, zapcore.Uint8Type:
		if r.scanNumbers && uint64(f.Integer) >= 1e5 {
			if s, ok := r.number(strconv.FormatUint(uint64(f.Integer), 10)); ok {
				return append(dst, zap.String(key, s)), true
			}
		}
	case zapcore.Float64Type:
		if v := math.Float64frombits(uint64(f.Integer)); r.scanNumbers && math.Abs(v) >= 1e5 {
			if s, ok := r.number(strconv.FormatFloat(v, 'f', -1, 64)); ok {
				return append(dst, zap.String(key, s)), true
			}
		}
	}
	if keyChanged {
		f.Key = key
		return append(dst, f), true
	}
	return dst, false
}

// Strings is zap.Strings for the redacting core: the same JSON array,
// each string through the same pre-check and scrub as a string field, but
// without the generic walk every other array takes (an encoder's map, a
// copy of the values, and a reflected field that zap encodes through
// encoding/json). On the access log's decision ids the generic walk was
// 40 % of the line's cost (BenchmarkAccessLine).
func Strings(key string, ss []string) zap.Field { return zap.Array(key, stringArray(ss)) }

// stringArray is the marshaler of Strings.
type stringArray []string

func (a stringArray) MarshalLogArray(enc zapcore.ArrayEncoder) error {
	for _, s := range a {
		enc.AppendString(s)
	}
	return nil
}

// strings is field for a Strings field: unchanged unless a string or the
// key needed rewriting, and then a copy, never a write into the caller's
// slice.
func (r redactor) strings(dst []zapcore.Field, key string, keyChanged bool, a stringArray) ([]zapcore.Field, bool) {
	var out stringArray
	for i, s := range a {
		t, changed := r.text(s)
		if changed && out == nil {
			out = slices.Clone(a)
		}
		if out != nil {
			out[i] = t
		}
	}
	switch {
	case out != nil:
		return append(dst, zap.Array(key, out)), true
	case keyChanged:
		return append(dst, zap.Array(key, a)), true
	}
	return dst, false
}

// number scrubs the decimal text of a number of six digits or more: a
// card number or SSN logged as an int64 is still one. Callers check
// scanNumbers first: the fallback scrub would wipe every byte count and
// nanosecond duration.
func (r redactor) number(s string) (string, bool) {
	out := r.scrub([]byte(s))
	if string(out) == s {
		return "", false
	}
	return string(out), true
}

// stringOf returns the text of a string-like field: strings, byte
// strings, errors and Stringers. A *url.URL loses its userinfo, query and
// fragment. Like zap, it turns a panic in Error or String into text.
func stringOf(f zapcore.Field) (s string, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			if v := reflect.ValueOf(f.Interface); v.Kind() == reflect.Pointer && v.IsNil() {
				s, ok = "<nil>", true
				return
			}
			s, ok = fmt.Sprintf("PANIC=%v", p), true
		}
	}()
	switch f.Type {
	case zapcore.StringType:
		return f.String, true
	case zapcore.ByteStringType:
		return string(f.Interface.([]byte)), true
	case zapcore.ErrorType:
		return f.Interface.(error).Error(), true
	case zapcore.StringerType:
		if u, isURL := f.Interface.(*url.URL); isURL && u != nil {
			return cleanURL(u.String()), true
		}
		return f.Interface.(fmt.Stringer).String(), true
	}
	return "", false
}

// generic turns a marshaler or reflected field into plain Go values
// (maps, slices, strings, numbers) that value can walk.
func generic(f zapcore.Field) any {
	enc := zapcore.NewMapObjectEncoder()
	var err error
	switch f.Type {
	case zapcore.ObjectMarshalerType:
		err = enc.AddObject("v", f.Interface.(zapcore.ObjectMarshaler))
	case zapcore.ArrayMarshalerType:
		err = enc.AddArray("v", f.Interface.(zapcore.ArrayMarshaler))
	case zapcore.InlineMarshalerType:
		if err = f.Interface.(zapcore.ObjectMarshaler).MarshalLogObject(enc); err == nil {
			return enc.Fields
		}
	default:
		return f.Interface
	}
	if err != nil {
		return unencodable
	}
	return enc.Fields["v"]
}

// value returns a safe copy of a nested value: denied keys redacted, URL
// keys rewritten, text through the pre-check and scrub, binary redacted.
// Values it does not know (structs, typed maps and slices) go through
// encoding/json first, so they are logged as JSON whatever their type.
func (r redactor) value(v any, depth int) any {
	if depth > maxDepth {
		return Redacted
	}
	switch x := v.(type) {
	case nil, bool, time.Time, time.Duration:
		return x
	case string:
		s, _ := r.text(x)
		return s
	case []byte:
		return Redacted
	case json.Number, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		if !r.scanNumbers {
			return x
		}
		if s := numberText(x); len(s) >= minDigitRun {
			if out, ok := r.number(s); ok {
				return out
			}
		}
		return x
	case error:
		s, _ := stringOf(zap.Error(x))
		s, _ = r.text(s)
		return s
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			key, _ := r.text(k)
			switch classifyKey(k) {
			case keyDenied:
				out[key] = Redacted
				continue
			case keyURL:
				if s, ok := e.(string); ok {
					out[key], _ = r.text(cleanURL(s))
					continue
				}
			}
			out[key] = r.value(e, depth+1)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.value(e, depth+1)
		}
		return out
	}
	b, err := json.Marshal(v)
	if err != nil {
		return unencodable
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var g any
	if dec.Decode(&g) != nil {
		return unencodable
	}
	return r.value(g, depth+1)
}

// numberText prints a number in plain decimal, as a card number would be.
func numberText(x any) string {
	switch n := x.(type) {
	case json.Number:
		return n.String()
	case float32:
		return strconv.FormatFloat(float64(n), 'f', -1, 32)
	case float64:
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	return fmt.Sprint(x)
}
