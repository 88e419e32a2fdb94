package logging

import "go.uber.org/zap/zapcore"

// NewRedactingCore wraps inner so that nothing reaches it unredacted: the
// message and every field, including fields added with With, are rewritten
// first (see the package documentation). scrub replaces personal data in
// a text that tripped the pre-check; it must be safe for concurrent use.
// When scrub is nil a crude built-in one redacts tokens holding an '@' and
// runs of six or more digits, and numeric fields are not scanned.
//
// Check routes entries to the wrapper, never straight to inner, and inner
// is only ever written through Write: wrap a sampler around this core,
// not the other way round, or sampling is bypassed.
func NewRedactingCore(inner zapcore.Core, scrub func([]byte) []byte) zapcore.Core {
	return &redactingCore{inner: inner, r: newRedactor(scrub)}
}

type redactingCore struct {
	inner zapcore.Core
	r     redactor
}

func (c *redactingCore) Enabled(l zapcore.Level) bool { return c.inner.Enabled(l) }

// Level lets zap.Logger.Level and zapcore.LevelOf see through the wrapper.
func (c *redactingCore) Level() zapcore.Level { return zapcore.LevelOf(c.inner) }

// With redacts fields once, when they are attached, so that every later
// entry carries only their safe form.
func (c *redactingCore) With(fields []zapcore.Field) zapcore.Core {
	return &redactingCore{inner: c.inner.With(c.r.fields(fields)), r: c.r}
}

func (c *redactingCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *redactingCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	e.Message, _ = c.r.text(e.Message)
	return c.inner.Write(e, c.r.fields(fields))
}

func (c *redactingCore) Sync() error { return c.inner.Sync() }
