// Package logging owns Veil's logger: zap writing JSON lines through a
// redacting core, so that no body, query string, token or detected value
// is ever written. Veil is a privacy product; its logs are part of it.
//
// The redacting core wraps any zapcore.Core and rewrites each entry before
// the inner core encodes it. Fields added with With are rewritten once,
// when attached. Layers, cheapest first:
//
//  1. Keys. A field whose key is denylisted (body, query, token, email,
//     cookie, …; case-insensitive, also as a word of a compound key:
//     req_body, body_json, accessToken, X-Api-Key) has its value, whatever
//     its type, replaced by [Redacted]. A url/href/link key keeps only the
//     scheme, host and path of its value.
//  2. Values. The message, every string, byte-string, error and Stringer
//     value, and every key go through a cheap pre-check: an '@', a run of
//     six or more digits, a '?' after a '/' (a URL with a query), "Bearer "
//     or "eyJ" (a JWT). A text that trips it has URL userinfo, queries and
//     fragments cut, the token after "Bearer " and JWTs redacted, and is
//     then passed to Options.Scrub (the detectors). Clean texts pass
//     untouched and the clean path does not allocate. Errors keep only
//     their message: zap's errorVerbose/errorCauses companions are dropped.
//     A *url.URL value is cleaned like a url key.
//  3. Numbers. Integers and float64s of six digits or more are scrubbed as
//     decimal text when a Scrub is set: a card number logged as an int64
//     is still a card number. A hit turns the field into a string.
//  4. Nested values. zap.Object, zap.Array, zap.Inline, zap.Dict,
//     zap.Errors and zap.Any/zap.Reflect of maps, slices and structs are
//     re-encoded into plain values (structs through encoding/json) and
//     walked with layers 1–3 at every depth (32 levels; deeper is
//     redacted). They are then logged as JSON, with sorted keys; nested
//     times use RFC 3339 and nested durations nanoseconds, not the
//     encoder's settings. Binary fields (zap.Binary) are always redacted.
//
// Not covered: the logger name (zap.Named) and caller, which code sets;
// stack traces, which hold only function names and file positions;
// values under a zap.Namespace with a denylisted name are scanned like any
// other (the namespace does not redact what follows); personal data the
// pre-check cannot see, such as a bare name or street address in free text.
//
// New puts zap's sampler outermost, around the redacting core, so sampling
// still applies to redacted entries.
package logging
