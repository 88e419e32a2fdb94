package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// fakeDetectors stands in for the detectors package, which this package
// does not import: a few regular expressions and a call counter.
type fakeDetectors struct{ calls atomic.Int64 }

var fakePatterns = []struct {
	re  *regexp.Regexp
	out []byte
}{
	{regexp.MustCompile(`[\w.+-]+@[\w-]+(\.[\w-]+)+`), []byte("[REDACTED:email]")},
	{regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`), []byte("[REDACTED:us_ssn]")},
	{regexp.MustCompile(`\b(?:\d[ -]?){12,18}\d\b`), []byte("[REDACTED:credit_card]")},
	{regexp.MustCompile(`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b`), []byte("[REDACTED:iban]")},
}

func (d *fakeDetectors) scrub(b []byte) []byte {
	d.calls.Add(1)
	for _, p := range fakePatterns {
		b = p.re.ReplaceAll(b, p.out)
	}
	return b
}

// observe returns a logger whose redacting core wraps an observer, so
// tests see the fields exactly as the inner core receives them.
func observe(scrub func([]byte) []byte) (*zap.Logger, *observer.ObservedLogs) {
	inner, logs := observer.New(zapcore.DebugLevel)
	return zap.New(NewRedactingCore(inner, scrub)), logs
}

type stringer string

func (s stringer) String() string { return string(s) }

type nilStringer struct{ s string }

func (n *nilStringer) String() string { return n.s }

type contact struct {
	Route string
	Body  string
	Note  string
	Inner struct{ AccessToken string }
}

type obj map[string]string

func (o obj) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	for k, v := range o {
		enc.AddString(k, v)
	}
	return nil
}

func TestFieldTypes(t *testing.T) {
	u, _ := url.Parse("https://u:pw@h.example/services/data/v62.0/query?q=SELECT+Email#x")
	tests := []struct {
		name  string
		field zap.Field
		want  map[string]any
	}{
		{"clean string kept", zap.String("route", "salesforce"), map[string]any{"route": "salesforce"}},
		{"denied key", zap.String("req_body", `{"Email":"a@b.co"}`), map[string]any{"req_body": Redacted}},
		{"denied key on a number", zap.Int("ssn", 78051120), map[string]any{"ssn": Redacted}},
		{"denied key on an object", zap.Object("payload", obj{"x": "y"}), map[string]any{"payload": Redacted}},
		{"email in free text", zap.String("note", "from jane@example.com"), map[string]any{"note": "from [REDACTED:email]"}},
		{"url key", zap.String("url", u.String()), map[string]any{"url": "https://h.example/services/data/v62.0/query"}},
		{"url key with a path to scrub", zap.String("next_url", "/contacts/jane@example.com?x=1"), map[string]any{"next_url": "/contacts/[REDACTED:email]"}},
		{"*url.URL value", zap.Stringer("target", u), map[string]any{"target": "https://h.example/services/data/v62.0/query"}},
		{"error message scrubbed", zap.Error(errors.New("bad value jane@example.com")), map[string]any{"error": "bad value [REDACTED:email]"}},
		{"error with a URL", zap.Error(errors.New(`Get "http://127.0.0.1/x?q=SELECT+Email": refused`)), map[string]any{"error": `Get "http://127.0.0.1/x": refused`}},
		{"clean error kept", zap.Error(errors.New("connection refused")), map[string]any{"error": "connection refused"}},
		{"stringer", zap.Stringer("who", stringer("card 4111 1111 1111 1111")), map[string]any{"who": "card [REDACTED:credit_card]"}},
		{"nil stringer", zap.Stringer("who", (*nilStringer)(nil)), map[string]any{"who": "<nil>"}},
		{"byte string", zap.ByteString("note", []byte("ssn 078-05-1120")), map[string]any{"note": "ssn [REDACTED:us_ssn]"}},
		{"binary always redacted", zap.Binary("blob", []byte("x")), map[string]any{"blob": Redacted}},
		{"card as an integer", zap.Int64("n", 4111111111111111), map[string]any{"n": "[REDACTED:credit_card]"}},
		{"big clean integer kept", zap.Int64("bytes_out", 1048576), map[string]any{"bytes_out": int64(1048576)}},
		{"float kept", zap.Float64("duration_ms", 12.5), map[string]any{"duration_ms": 12.5}},
		{"duration kept", zap.Duration("took", 1500*time.Millisecond), map[string]any{"took": 1500 * time.Millisecond}},
		{"key that is personal data", zap.Int("jane@example.com", 1), map[string]any{"[REDACTED:email]": int64(1)}},
		{"strings", zap.Strings("decision_ids", []string{"d-1", "jane@example.com"}), map[string]any{"decision_ids": []any{"d-1", "[REDACTED:email]"}}},
		{"errors", zap.Errors("errs", []error{errors.New("x jane@example.com")}), map[string]any{"errs": []any{map[string]any{"error": "x [REDACTED:email]"}}}},
		{"object", zap.Object("ctx", obj{"token": "t0k3n", "note": "jane@example.com", "route": "r"}),
			map[string]any{"ctx": map[string]any{"token": Redacted, "note": "[REDACTED:email]", "route": "r"}}},
		{"dict", zap.Dict("ctx", zap.String("email", "jane@example.com"), zap.Int("status", 200)),
			map[string]any{"ctx": map[string]any{"email": Redacted, "status": int64(200)}}},
		{"inline", zap.Inline(obj{"password": "hunter2", "route": "r"}), map[string]any{"password": Redacted, "route": "r"}},
		{"any map", zap.Any("m", map[string]any{"route": "r", "inner": map[string]any{"api_key": "k", "href": "https://h/p?q=1"}}),
			map[string]any{"m": map[string]any{"route": "r", "inner": map[string]any{"api_key": Redacted, "href": "https://h/p"}}}},
		{"any struct", zap.Any("c", contact{Route: "r", Body: "b", Note: "ssn 078-05-1120"}),
			map[string]any{"c": map[string]any{"Route": "r", "Body": Redacted, "Note": "ssn [REDACTED:us_ssn]", "Inner": map[string]any{"AccessToken": Redacted}}}},
		{"any typed slice", zap.Any("ids", []int64{4111111111111111, 7}), map[string]any{"ids": []any{"[REDACTED:credit_card]", int64(7)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d fakeDetectors
			log, logs := observe(d.scrub)
			log.Info("m", tt.field)
			got := logs.All()[0].ContextMap()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestNamespaceAndSkipPassThrough(t *testing.T) {
	log, logs := observe(nil)
	log.Info("m", zap.Namespace("req"), zap.String("route", "r"), zap.Skip())
	want := map[string]any{"req": map[string]any{"route": "r"}}
	if got := logs.All()[0].ContextMap(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestWithFieldsAreRedacted(t *testing.T) {
	var d fakeDetectors
	log, logs := observe(d.scrub)
	child := log.With(zap.String("authorization", "Bearer abc"), zap.String("principal", "jane@example.com"), zap.String("route", "r"))
	child.Info("one")
	child.Info("two")
	if d.calls.Load() != 1 {
		t.Errorf("With fields scrubbed %d times, want once when attached", d.calls.Load())
	}
	want := map[string]any{"authorization": Redacted, "principal": "[REDACTED:email]", "route": "r"}
	for _, e := range logs.All() {
		if got := e.ContextMap(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v, want %#v", e.Message, got, want)
		}
	}
}

func TestMessageIsScrubbed(t *testing.T) {
	log, logs := observe((&fakeDetectors{}).scrub)
	log.Info("fetching /crm/v3/objects/contacts/jane@example.com?idProperty=email")
	log.Sugar().Infof("card %s", "4111 1111 1111 1111")
	want := []string{"fetching /crm/v3/objects/contacts/[REDACTED:email]", "card [REDACTED:credit_card]"}
	for i, e := range logs.All() {
		if e.Message != want[i] {
			t.Errorf("message %q, want %q", e.Message, want[i])
		}
	}
}

func TestScrubOnlyWhenPrecheckFires(t *testing.T) {
	var d fakeDetectors
	var buf bytes.Buffer
	log := zap.New(newCore(zapcore.AddSync(&buf), zapcore.DebugLevel, d.scrub))
	log.Info("request", zap.String("route", "salesforce"), zap.String("direction", "response"), zap.Int("status", 200),
		zap.Float64("duration_ms", 12.5), zap.String("decision_id", "c0ffee-1"), zap.Int64("bytes_out", 4096),
		zap.Time("at", time.Now()), zap.Duration("took", time.Second), zap.Error(errors.New("upstream timeout")))
	log.With(zap.String("request_id", "r-42")).Warn("upstream request failed", zap.String("kind", "timeout"))
	if n := d.calls.Load(); n != 0 {
		t.Fatalf("scrub called %d times for clean lines:\n%s", n, &buf)
	}
	log.Info("dirty", zap.String("note", "jane@example.com"))
	if n := d.calls.Load(); n != 1 {
		t.Fatalf("scrub called %d times for one dirty value", n)
	}
}

func TestCheckRoutesToTheWrapper(t *testing.T) {
	inner, logs := observer.New(zapcore.InfoLevel)
	core := NewRedactingCore(inner, nil)
	if core.Enabled(zapcore.DebugLevel) || !core.Enabled(zapcore.InfoLevel) {
		t.Error("Enabled does not follow the inner core")
	}
	if got := zapcore.LevelOf(core); got != zapcore.InfoLevel {
		t.Errorf("LevelOf = %v, want info", got)
	}
	if ce := core.Check(zapcore.Entry{Level: zapcore.DebugLevel}, nil); ce != nil {
		t.Error("a disabled level was checked in")
	}
	ce := core.Check(zapcore.Entry{Level: zapcore.InfoLevel, Message: "m"}, nil)
	ce.Write(zap.String("body", "secret"))
	if got := logs.All()[0].ContextMap()["body"]; got != Redacted {
		t.Errorf("body = %v: Check bypassed the wrapper", got)
	}
}

func TestSamplerStaysOutermost(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(Options{Output: &buf})
	if err != nil {
		t.Fatal(err)
	}
	const n = 1000
	for range n {
		log.Info("same", zap.String("body", "secret"))
	}
	// First 100 per second, then every 100th: at most 2×(100+9) lines
	// even if a second boundary falls inside the loop.
	lines := strings.Count(buf.String(), "\n")
	if lines < sampleFirst || lines > 2*(sampleFirst+n/sampleThereafter) {
		t.Errorf("%d of %d lines written: sampling does not apply", lines, n)
	}
	if strings.Contains(buf.String(), "secret") {
		t.Error("a sampled line bypassed redaction")
	}
}

func TestNewLevels(t *testing.T) {
	tests := []struct {
		level string
		want  zapcore.Level
		ok    bool
	}{
		{"", zapcore.InfoLevel, true},
		{"debug", zapcore.DebugLevel, true},
		{"info", zapcore.InfoLevel, true},
		{"warn", zapcore.WarnLevel, true},
		{"error", zapcore.ErrorLevel, true},
		{"loud", 0, false},
		{"fatal", 0, false},
		{"INFO", 0, false},
	}
	for _, tt := range tests {
		log, err := New(Options{Level: tt.level, Output: &bytes.Buffer{}})
		if (err == nil) != tt.ok {
			t.Errorf("New(level %q) error %v, want ok=%v", tt.level, err, tt.ok)
			continue
		}
		if tt.ok && log.Level() != tt.want {
			t.Errorf("New(level %q).Level() = %v, want %v", tt.level, log.Level(), tt.want)
		}
	}
}

func TestJSONLine(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(Options{Output: &buf})
	if err != nil {
		t.Fatal(err)
	}
	log.Info("request", zap.String("route", "hubspot"))
	line := buf.String()
	ts := regexp.MustCompile(`^\{"level":"info","ts":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z?[+-]?[\d:]*","caller":"[^"]+","msg":"request","route":"hubspot"\}\n$`)
	if !ts.MatchString(line) {
		t.Errorf("unexpected line %q", line)
	}
}

// TestStringsMatchesZapStrings holds Strings, which the redacting core
// scrubs string by string, to zap.Strings, which it walks generically:
// the same values in every line (decoded, since encoding/json escapes
// '<' where zap's encoder does not), whatever the key and the strings.
func TestStringsMatchesZapStrings(t *testing.T) {
	keys := []string{"decision_ids", "token", "url", "next", "jane@example.com"}
	lists := [][]string{
		nil, {}, {"d-1"}, {"d-1", "d-2"},
		{"jane@example.com", "d-2"}, {"d-1", "4111 1111 1111 1111"},
		{"/services/data/v62.0/query?q=SELECT+Email", "<b>&</b>", "eyJhbGciOiJIUzI1NiJ9.e30.c2ln"},
	}
	d := &fakeDetectors{}
	line := func(f zap.Field) map[string]any {
		var buf bytes.Buffer
		zap.New(newCore(zapcore.AddSync(&buf), zapcore.InfoLevel, d.scrub)).Info("m", f)
		var m map[string]any
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v", buf.Bytes(), err)
		}
		delete(m, "ts")
		delete(m, "caller")
		return m
	}
	for _, k := range keys {
		for _, ss := range lists {
			in := slices.Clone(ss)
			got, want := line(Strings(k, ss)), line(zap.Strings(k, ss))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Strings(%q, %q) logged %v, zap.Strings %v", k, ss, got, want)
			}
			if !slices.Equal(ss, in) {
				t.Errorf("Strings(%q, …) rewrote the caller's slice: %q", k, ss)
			}
		}
	}
}

// TestStringsCleanIsShared: a clean Strings field goes to the inner core
// as it came, not copied; a dirty one as a copy.
func TestStringsCleanIsShared(t *testing.T) {
	log, logs := observe((&fakeDetectors{}).scrub)
	clean, dirty := []string{"d-1", "d-2"}, []string{"d-1", "jane@example.com"}
	log.Info("m", Strings("decision_ids", clean), Strings("ids", dirty))
	fs := logs.All()[0].Context
	if a, ok := fs[0].Interface.(stringArray); !ok || &a[0] != &clean[0] {
		t.Errorf("clean field %#v is not the caller's slice", fs[0].Interface)
	}
	if a, ok := fs[1].Interface.(stringArray); !ok || &a[0] == &dirty[0] || a[1] != "[REDACTED:email]" {
		t.Errorf("dirty field %#v is not a scrubbed copy", fs[1].Interface)
	}
}
