package logging

import (
	"fmt"
	"io"
	"os"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Options configure New.
type Options struct {
	Level  string    // debug|info|warn|error ("" → info); anything else is an error
	Output io.Writer // nil → os.Stderr
	// Scrub, when set, replaces personal data in a text that tripped the
	// cheap pre-check: a log message, a string field's value, an error's
	// message, the decimal text of a large number. It is called only for
	// those, so clean lines never pay for it. It must be safe for
	// concurrent use. When nil, a crude built-in scrub is used instead.
	Scrub func(text []byte) []byte
}

// Sampling, per message and level per second: the first 100 entries, then
// every 100th (zap's production setting).
const (
	sampleTick       = time.Second
	sampleFirst      = 100
	sampleThereafter = 100
)

// New returns a logger writing JSON lines with ISO 8601 times to
// opts.Output, through the redacting core, with the sampler outermost.
func New(opts Options) (*zap.Logger, error) {
	lvl, err := parseLevel(opts.Level)
	if err != nil {
		return nil, err
	}
	out := opts.Output
	if out == nil {
		out = os.Stderr
	}
	ws := zapcore.Lock(zapcore.AddSync(out))
	core := zapcore.NewSamplerWithOptions(newCore(ws, lvl, opts.Scrub), sampleTick, sampleFirst, sampleThereafter)
	return zap.New(core, zap.AddCaller(), zap.ErrorOutput(ws)), nil
}

// newCore is New's core without the sampler, for tests and benchmarks.
func newCore(ws zapcore.WriteSyncer, lvl zapcore.LevelEnabler, scrub func([]byte) []byte) zapcore.Core {
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	return NewRedactingCore(zapcore.NewCore(zapcore.NewJSONEncoder(enc), ws, lvl), scrub)
}

func parseLevel(s string) (zapcore.Level, error) {
	switch s {
	case "", "info":
		return zapcore.InfoLevel, nil
	case "debug":
		return zapcore.DebugLevel, nil
	case "warn":
		return zapcore.WarnLevel, nil
	case "error":
		return zapcore.ErrorLevel, nil
	}
	return 0, fmt.Errorf("log level %q is not one of debug, info, warn, error", s)
}
