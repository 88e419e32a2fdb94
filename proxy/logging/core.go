package logging

import "go.uber.org/zap/zapcore"

// NewRedactingCore wraps inner so that nothing reaches it unredacted: the
// message and every field, including fields added with With, are rewritten
// first, once for With fields, when attached. scrub replaces personal data
// in a text that tripped the pre-check; it must be safe for concurrent use.
// Layers, cheapest first:
//
//  1. Keys. A denylisted key (body, query, token, email, cookie, …;
//     case-insensitive, also as a word of a compound key: req_body,
//     body_json, accessToken, X-Api-Key) has its value, whatever its type,
//     replaced by [Redacted]. A url/href/link key keeps only the scheme,
//     host and path of its value.
//  2. Values. The message, every string, byte-string, error and Stringer
//     value, and every key go through the pre-check: an '@', a run of six
//     or more digits, a '?' after a '/', "Bearer " or "eyJ" (a JWT). A text
//     that trips it has URL userinfo, queries and fragments cut, the token
//     after "Bearer " and JWTs redacted, and is then passed to scrub. Clean
//     texts pass untouched and the clean path does not allocate. Errors
//     keep only their message (zap's errorVerbose/errorCauses are dropped).
//     A *url.URL value is cleaned like a url key.
//  3. Numbers. Integers and float64s of six digits or more are scrubbed as
//     decimal text: a card number logged as an int64 is still one. A hit
//     turns the field into a string.
//  4. Nested values. zap.Object, zap.Array, zap.Inline, zap.Dict,
//     zap.Errors and zap.Any/zap.Reflect of maps, slices and structs are
//     re-encoded into plain values (structs through encoding/json), walked
//     with layers 1–3 down to maxDepth, and logged as JSON with sorted
//     keys; nested times use RFC 3339 and nested durations nanoseconds, not
//     the encoder's settings. zap.Binary fields are always redacted.
//
// Not covered: the logger name (zap.Named) and caller, which code sets;
// stack traces (function names and file positions only); values under a
// zap.Namespace with a denylisted name, which are scanned like any other;
// personal data the pre-check cannot see, such as a bare name or street
// address in free text.
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
