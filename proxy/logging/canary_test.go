package logging

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Canary personal data and secrets. None may reach the output.
const (
	canaryEmail      = "canary.person@example.com"
	canaryCard       = "4111 1111 1111 1111"
	canaryCardDigits = "4111111111111111"
	canarySSN        = "078-05-1120"
	canaryIBAN       = "GB82 WEST 1234 5698 7654 32"
	canaryIBANPacked = "GB82WEST12345698765432"
	canaryBearer     = "sk_live_canary7f3a9e51"
	canaryJWT        = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2ln"
	canarySOQL       = "SELECT+Id%2C+Email+FROM+Contact"
)

var canaries = []string{canaryEmail, canaryCard, canaryCardDigits, canarySSN, canaryIBAN, canaryIBANPacked,
	canaryBearer, canaryJWT, canarySOQL, "SELECT", "idProperty", "eyJ"}

// logCanaries writes the canaries through every path a value can take
// into a log line, next to the fields that must survive. numbers says
// whether the scrub in use scans numeric fields (the fallback does not).
func logCanaries(log *zap.Logger, numbers bool) {
	keep := []zap.Field{zap.String("route", "salesforce"), zap.Int("status", 200), zap.Float64("duration_ms", 12.5), zap.String("decision_id", "d-7")}
	with := func(fs ...zap.Field) []zap.Field { return append(fs, keep...) }
	u, _ := url.Parse("https://canary:" + canaryBearer + "@h.example/services/data/v62.0/query?q=" + canarySOQL + "#" + canaryEmail)
	all := canaryEmail + " " + canaryCard + " " + canarySSN + " " + canaryIBAN + " Bearer " + canaryBearer + " " + canaryJWT

	// The message, plain and formatted.
	log.Info("contact "+all, keep...)
	log.Sugar().Infof("formatted %s card %s", canaryEmail, canaryCardDigits)
	log.Sugar().Infow("sugared", "note", all, "route", "salesforce", "status", 200, "duration_ms", 12.5, "decision_id", "d-7")
	log.Info("fetching https://h.example/crm/v3/objects/contacts/x?idProperty=email&q="+canarySOQL, keep...)
	// Denylisted keys and ordinary keys with canary values.
	for _, k := range append([]string{"note", "principal", "who", "detail", "jwt"}, briefKeys...) {
		log.Info("field", with(zap.String(k, all))...)
	}
	log.Warn("field", with(zap.String("auth", "Bearer "+canaryBearer), zap.String("Authorization", "Bearer "+canaryJWT))...)
	// URLs as strings, as *url.URL, inside free text.
	log.Info("url", with(zap.String("url", u.String()), zap.Stringer("target", u), zap.String("next", "/q?q="+canarySOQL))...)
	// Errors, wrapped and named.
	err := fmt.Errorf("upsert failed for %s: %w", canaryEmail, errors.New("card "+canaryCardDigits+" declined"))
	log.Error("upstream", with(zap.Error(err), zap.NamedError("cause", errors.New(canarySSN)))...)
	log.Error("upstream", with(zap.Errors("errs", []error{err, errors.New(canaryIBANPacked)}))...)
	// Byte strings, Stringers, slices, keys that are themselves values.
	log.Info("misc", with(zap.ByteString("raw", []byte(all)), zap.Stringer("s", stringer(all)),
		zap.Strings("list", []string{canaryEmail, canaryCard}), zap.Int(canaryEmail, 1), zap.Binary("bin", []byte(all)))...)
	log.Info("strings", with(Strings("decision_ids", []string{"d-1", all, canaryJWT}), Strings("token", []string{"d-1"}),
		Strings("url", []string{"/q?q=" + canarySOQL}), Strings(canaryEmail, []string{"d-1"}))...)
	// Nested values: objects, dicts, inline objects, maps and structs.
	log.Info("nested", with(zap.Object("o", obj{"token": canaryBearer, "note": all}),
		zap.Dict("d", zap.String("email", canaryEmail), zap.Any("deep", map[string]any{"x": []any{all}})),
		zap.Inline(obj{"password": canaryBearer, "comment": all}),
		zap.Any("m", map[string]any{"body": all, "v": map[string]string{"note": all}}),
		zap.Any("c", contact{Route: "r", Body: all, Note: all}))...)
	// With fields, on a named child logger, at every level.
	child := log.Named("child").With(zap.String("principal", canaryEmail), zap.String("cookie", canaryBearer), zap.Error(err))
	child.Debug("child", keep...)
	child.Info("child", keep...)
	child.Warn("child", keep...)
	child.Error("child", keep...)
	if numbers {
		log.Info("numbers", with(zap.Int64("n", 4111111111111111), zap.Uint64("u", 4111111111111111), zap.Any("ns", []int64{4111111111111111}))...)
	}
}

func TestCanaries(t *testing.T) {
	tests := []struct {
		name    string
		scrub   func([]byte) []byte
		numbers bool
	}{
		{"detectors", (&fakeDetectors{}).scrub, true},
		{"fallback scrub", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			// No sampler: every line must be written to be checked.
			log := zap.New(newCore(zapcore.AddSync(&buf), zapcore.DebugLevel, tt.scrub))
			logCanaries(log, tt.numbers)
			out := buf.String()
			for _, c := range canaries {
				if strings.Contains(out, c) {
					t.Errorf("canary %q logged", c)
				}
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) < 40 {
				t.Fatalf("only %d lines logged", len(lines))
			}
			for _, line := range lines {
				if !strings.Contains(line, `"msg":"formatted `) { // Infof has no fields
					for _, want := range []string{`"route":"salesforce"`, `"status":200`, `"duration_ms":12.5`, `"decision_id":"d-7"`} {
						if !strings.Contains(line, want) {
							t.Errorf("%s missing from %s", want, line)
						}
					}
				}
			}
			if t.Failed() {
				t.Logf("output:\n%s", out)
			}
		})
	}
}
