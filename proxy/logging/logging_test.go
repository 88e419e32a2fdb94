package logging

import (
	"bytes"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/zap"
)

func newTest(t *testing.T, scrub func([]byte) []byte) (*zap.Logger, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	log, err := New(Options{Level: "debug", Output: &buf, Scrub: scrub})
	if err != nil {
		t.Fatal(err)
	}
	return log, &buf
}

func TestDeniedKeys(t *testing.T) {
	log, buf := newTest(t, nil)
	for _, k := range []string{"body", "req_body", "Query", "raw_query", "authorization", "token", "access_token", "password", "value", "email", "ssn", "Set-Cookie"} {
		log.Info("x", zap.String(k, "SECRET-"+k))
	}
	log.With(zap.String("body", "SECRET-with")).Info("with")
	if strings.Contains(buf.String(), "SECRET") {
		t.Fatalf("denied field logged:\n%s", buf)
	}
	if n := strings.Count(buf.String(), Redacted); n != 13 {
		t.Errorf("%d redactions, want 13:\n%s", n, buf)
	}
}

func TestKeptFields(t *testing.T) {
	log, buf := newTest(t, nil)
	log.Info("request", zap.String("route", "salesforce"), zap.Int("status", 200), zap.String("decision_id", "d-1"), zap.Float64("duration_ms", 1.5))
	for _, want := range []string{`"route":"salesforce"`, `"status":200`, `"decision_id":"d-1"`, `"duration_ms":1.5`, `"msg":"request"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("missing %s in %s", want, buf)
		}
	}
}

func TestArrayFieldsBesideRedactedOnes(t *testing.T) {
	log, buf := newTest(t, nil)
	// An uncomparable field (a slice) after a rewritten one must not panic.
	log.Info("x", zap.String("token", "SECRET"), zap.Strings("decision_ids", []string{"d-1", "d-2"}), zap.Error(errors.New("boom")))
	if strings.Contains(buf.String(), "SECRET") || !strings.Contains(buf.String(), `"decision_ids":["d-1","d-2"]`) {
		t.Fatalf("got %s", buf)
	}
}

func TestURLsLoseTheirQuery(t *testing.T) {
	log, buf := newTest(t, nil)
	log.Info("x", zap.String("url", "https://h/services/data/v62.0/query?q=SELECT+Email"))
	log.Info("fetching https://h/crm/v3/objects/contacts?idProperty=email now")
	log.Warn("x", zap.Error(errors.New(`Get "http://127.0.0.1/x?q=SELECT+Email": refused`)))
	if strings.Contains(buf.String(), "SELECT") || strings.Contains(buf.String(), "idProperty") {
		t.Fatalf("query logged:\n%s", buf)
	}
	if !strings.Contains(buf.String(), "https://h/services/data/v62.0/query") {
		t.Errorf("URL path lost:\n%s", buf)
	}
}

func TestScrubOnlyWhenPrecheckFires(t *testing.T) {
	var calls atomic.Int32
	scrub := func(b []byte) []byte {
		calls.Add(1)
		return bytes.ReplaceAll(b, []byte("jane@example.com"), []byte("[REDACTED:email]"))
	}
	log, buf := newTest(t, scrub)
	log.Info("clean", zap.String("route", "hubspot"), zap.Int("status", 200))
	if calls.Load() != 0 {
		t.Fatalf("scrub called for a clean line (timestamps must not trip the pre-check)")
	}
	log.Info("dirty", zap.Error(errors.New("invalid value jane@example.com")))
	if calls.Load() != 1 || strings.Contains(buf.String(), "jane@") {
		t.Fatalf("calls %d:\n%s", calls.Load(), buf)
	}
}

func TestCanaries(t *testing.T) {
	log, buf := newTest(t, nil) // the crude scrub, no detectors
	canaries := []string{"canary@example.com", "4111 1111 1111 1111", "4111111111111111", "078-05-1120", "GB82WEST12345698765432", "sk_live_abcdef", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"}
	log.Info("msg with canary@example.com and 4111 1111 1111 1111")
	log.Info("x", zap.String("note", "ssn 078-05-1120 iban GB82WEST12345698765432"))
	log.Info("x", zap.String("auth", "Bearer sk_live_abcdef"))
	log.Info("x", zap.String("jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"))
	log.Error("x", zap.Error(errors.New("card 4111111111111111 declined")))
	log.With(zap.String("who", "canary@example.com")).Info("with")
	for _, c := range canaries {
		if strings.Contains(buf.String(), c) {
			t.Errorf("canary %q logged", c)
		}
	}
	if strings.Count(buf.String(), "\n") != 6 {
		t.Errorf("want 6 lines:\n%s", buf)
	}
}

func TestBadLevel(t *testing.T) {
	if _, err := New(Options{Level: "loud"}); err == nil {
		t.Fatal("want an error for level loud")
	}
	if _, err := New(Options{Level: "fatal"}); err == nil {
		t.Fatal("want an error for level fatal")
	}
}

func BenchmarkCleanLine(b *testing.B) {
	log, err := New(Options{Output: discard{}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		log.Info("request", zap.String("route", "salesforce"), zap.Int("status", 200), zap.String("outcome", "allowed"))
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) Sync() error                 { return nil }
