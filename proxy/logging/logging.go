// Package logging builds Veil's zap logger: JSON lines whose every field and
// message pass a redacting core, so that no body, query string, token or
// detected value is ever written. Three layers, cheapest first:
//
//  1. fields with a denylisted key (body, query, token, email, …) are
//     replaced by "[redacted]" before encoding; error fields become strings;
//  2. the encoded line is checked cheaply for what personal data and
//     secrets look like ('@', long digit runs, '?' in a URL, "Bearer ",
//     "eyJ"); clean lines are written as they are;
//  3. a line that trips the check has URL queries and bearer/JWT tokens cut
//     and is passed to Scrub (the detectors), or to a crude built-in scrub
//     that removes e-mail-like and long-digit tokens when Scrub is nil.
//
// The sampler wraps the redacting core (sampler outermost, FIELD-NOTES), so
// sampling still applies.
package logging

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Options configure New.
type Options struct {
	Level  string    // debug|info|warn|error ("" → info)
	Output io.Writer // nil → os.Stderr
	// Scrub replaces personal data in an encoded line; called only for lines
	// that trip the pre-check.
	Scrub func(line []byte) []byte
}

// New returns a JSON logger with the redacting core.
func New(o Options) (*zap.Logger, error) {
	lvl := zapcore.InfoLevel
	if o.Level != "" {
		if err := lvl.UnmarshalText([]byte(o.Level)); err != nil || lvl > zapcore.ErrorLevel {
			return nil, fmt.Errorf("log level %q is not one of debug, info, warn, error", o.Level)
		}
	}
	out := o.Output
	if out == nil {
		out = os.Stderr
	}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	core := NewRedactingCore(zapcore.NewJSONEncoder(encCfg), zapcore.Lock(zapcore.AddSync(out)), lvl, o.Scrub)
	core = zapcore.NewSamplerWithOptions(core, time.Second, 100, 100)
	return zap.New(core, zap.AddCaller(), zap.ErrorOutput(zapcore.Lock(zapcore.AddSync(out)))), nil
}

// NewRedactingCore encodes entries with enc and writes them to out after
// redaction. scrub may be nil.
func NewRedactingCore(enc zapcore.Encoder, out zapcore.WriteSyncer, lvl zapcore.LevelEnabler, scrub func([]byte) []byte) zapcore.Core {
	return &redactingCore{LevelEnabler: lvl, enc: enc, out: out, scrub: scrub}
}

type redactingCore struct {
	zapcore.LevelEnabler
	enc   zapcore.Encoder
	out   zapcore.WriteSyncer
	scrub func([]byte) []byte
}

func (c *redactingCore) With(fields []zapcore.Field) zapcore.Core {
	clone := *c
	clone.enc = c.enc.Clone()
	for _, f := range filter(fields) {
		f.AddTo(clone.enc)
	}
	return &clone
}

func (c *redactingCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *redactingCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	buf, err := c.enc.EncodeEntry(e, filter(fields))
	if err != nil {
		return err
	}
	defer buf.Free()
	line := buf.Bytes()
	if suspicious(line[afterTimestamp(line):]) {
		line = redactLine(line, c.scrub)
	}
	if _, err := c.out.Write(line); err != nil {
		return err
	}
	if e.Level > zapcore.ErrorLevel {
		return c.out.Sync()
	}
	return nil
}

func (c *redactingCore) Sync() error { return c.out.Sync() }

// afterTimestamp is the offset just past the "ts" value, which the encoder
// writes near the start of every line: its digits are not personal data and
// would otherwise trip the pre-check on every line.
func afterTimestamp(line []byte) int {
	const key = `"ts":"`
	i := bytes.Index(line, []byte(key))
	if i < 0 || i > 64 {
		return 0
	}
	j := bytes.IndexByte(line[i+len(key):], '"')
	if j < 0 {
		return 0
	}
	return i + len(key) + j + 1
}
