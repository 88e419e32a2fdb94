package logging

import (
	"errors"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) Sync() error                 { return nil }

// BenchmarkLine logs an access-log line. plain is zap without redaction,
// the floor; clean pays the key classification and the pre-check only;
// dirty carries an e-mail address and a URL query through the rewrite and
// an identity scrub, so it measures this package, not the detectors.
func BenchmarkLine(b *testing.B) {
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	plain := zapcore.NewCore(zapcore.NewJSONEncoder(enc), discard{}, zapcore.InfoLevel)
	identity := func(b []byte) []byte { return b }
	clean := []zap.Field{
		zap.String("request_id", "r-7f3a9e51"), zap.String("route", "salesforce"), zap.String("method", "GET"),
		zap.Int("status", 200), zap.Float64("duration_ms", 12.5), zap.String("outcome", "transformed"),
		zap.Int64("bytes_out", 4096), zap.String("decision_id", "c0ffee-1"),
	}
	dirty := append([]zap.Field{
		zap.String("principal", "jane.doe@example.com"),
		zap.Error(errors.New(`Get "https://h.example/services/data/v62.0/query?q=SELECT+Email": timeout`)),
	}, clean...)
	tests := []struct {
		name   string
		core   zapcore.Core
		fields []zap.Field
	}{
		{"plain", plain, clean},
		{"clean", newCore(discard{}, zapcore.InfoLevel, identity), clean},
		{"dirty", newCore(discard{}, zapcore.InfoLevel, identity), dirty},
		{"plain-dirty", plain, dirty},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			log := zap.New(tt.core)
			b.ReportAllocs()
			for b.Loop() {
				log.Info("request", tt.fields...)
			}
		})
	}
}

// BenchmarkAccessLine is the proxy's access-log line (ingress.LogRequest)
// through the redacting core with an identity scrub: ids as Veil makes
// them (24 and 32 hex digits) and the decision ids as Strings, which the
// core scrubs string by string, or as zap.Strings, which it walks as any
// other array.
func BenchmarkAccessLine(b *testing.B) {
	identity := func(b []byte) []byte { return b }
	ids := []string{"3f9a0c1e5b7d2a4c6e8f0a1b3c5d7e9f", "0a1b2c3d4e5f60718293a4b5c6d7e8f9"}
	line := func(decisions zap.Field) []zap.Field {
		return []zap.Field{
			zap.String("request_id", "8c1f3a5e7b9d0c2e4a6b8d0f"), zap.String("route", "salesforce"), zap.String("method", "GET"),
			zap.Int("status", 200), zap.Int64("bytes_out", 1293), zap.String("principal", "analyst"),
			zap.String("purpose", "support"), zap.String("outcome", "transformed"), zap.String("code", ""),
			decisions, zap.Float64("duration_ms", 0.412),
		}
	}
	for _, tt := range []struct {
		name   string
		fields []zap.Field
	}{
		{"Strings", line(Strings("decision_ids", ids))},
		{"zap.Strings", line(zap.Strings("decision_ids", ids))},
	} {
		b.Run(tt.name, func(b *testing.B) {
			log := zap.New(newCore(discard{}, zapcore.InfoLevel, identity))
			b.ReportAllocs()
			for b.Loop() {
				log.Info("request", tt.fields...)
			}
		})
	}
}

func BenchmarkPrecheck(b *testing.B) {
	s := "upstream request failed for route salesforce after 3 retries"
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		suspicious(s)
	}
}

func BenchmarkClassifyKey(b *testing.B) {
	for b.Loop() {
		classifyKey("duration_ms")
	}
}
