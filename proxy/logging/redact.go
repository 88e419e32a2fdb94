package logging

import (
	"bytes"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Redacted replaces a denied value.
const Redacted = "[redacted]"

// deniedKeys are field names whose values are never logged. A key matches
// when, lower-cased, it equals one of these or ends with "_"+one of them
// (req_body, raw_query, x_token).
var deniedKeys = []string{
	"body", "payload", "query", "querystring", "raw_query", "q", "uri", "request_uri",
	"authorization", "cookie", "set-cookie", "token", "access_token", "refresh_token",
	"password", "secret", "api_key", "apikey", "value", "values", "input", "ssn",
	"email", "phone", "card", "iban", "headers",
}

func denied(key string) bool {
	k := strings.ToLower(key)
	for _, d := range deniedKeys {
		if k == d || strings.HasSuffix(k, "_"+d) || strings.HasSuffix(k, "-"+d) {
			return true
		}
	}
	return false
}

// filter returns fields with denied keys redacted, errors turned into plain
// strings (so the line scrub sees them) and URL-valued strings cut at '?'.
func filter(fields []zapcore.Field) []zapcore.Field {
	var out []zapcore.Field
	for i, f := range fields {
		g, changed := f, true
		switch {
		case denied(f.Key):
			g = zap.String(f.Key, Redacted)
		case f.Type == zapcore.ErrorType:
			err, ok := f.Interface.(error)
			if !ok || err == nil {
				changed = false
				break
			}
			g = zap.String(f.Key, err.Error())
		case f.Key == "url" || strings.HasSuffix(strings.ToLower(f.Key), "_url"):
			if f.Type == zapcore.StringType {
				g = zap.String(f.Key, stripQuery(f.String))
			} else {
				g = zap.String(f.Key, Redacted)
			}
		default:
			changed = false
		}
		if changed && out == nil {
			out = append(make([]zapcore.Field, 0, len(fields)), fields[:i]...)
		}
		if out != nil {
			out = append(out, g)
		}
	}
	if out == nil {
		return fields
	}
	return out
}

// stripQuery drops the query and fragment of a URL-ish string.
func stripQuery(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		return s[:i]
	}
	return s
}

// suspicious is the cheap pre-check: does the line hold anything that looks
// like personal data or a secret?
func suspicious(line []byte) bool {
	run := 0
	for i, c := range line {
		switch {
		case c >= '0' && c <= '9':
			run++
			if run >= 6 {
				return true
			}
			continue
		case c == '@':
			return true
		case c == '?':
			return true
		case c == 'B' && bytes.HasPrefix(line[i:], []byte("Bearer ")):
			return true
		case c == 'e' && bytes.HasPrefix(line[i:], []byte("eyJ")):
			return true
		case run > 0 && (c == ' ' || c == '-' || c == '.'):
			continue // separators inside a number keep the run going
		}
		run = 0
	}
	return false
}

// redactLine cuts URL queries and bearer/JWT tokens, then scrubs.
func redactLine(line []byte, scrub func([]byte) []byte) []byte {
	line = cutTokens(line)
	if scrub != nil {
		return scrub(line)
	}
	return crudeScrub(line)
}

// cutTokens rewrites every whitespace/quote-delimited token of the line:
// a token with '/' before a '?' loses its query; the word after "Bearer "
// and any "eyJ…" token are redacted.
func cutTokens(line []byte) []byte {
	out := make([]byte, 0, len(line))
	afterBearer := false
	for len(line) > 0 {
		end := bytes.IndexAny(line, " \"',")
		if end < 0 {
			end = len(line)
		}
		tok := line[:end]
		switch {
		case len(tok) == 0:
		case afterBearer || bytes.HasPrefix(tok, []byte("eyJ")):
			tok = []byte(Redacted)
		default:
			if q := bytes.IndexByte(tok, '?'); q > 0 && bytes.IndexByte(tok[:q], '/') >= 0 {
				tok = tok[:q]
			}
		}
		afterBearer = len(tok) > 0 && bytes.EqualFold(tok, []byte("Bearer"))
		out = append(out, tok...)
		if end < len(line) {
			out = append(out, line[end])
			if afterBearer && line[end] != ' ' {
				afterBearer = false
			}
			end++
		}
		line = line[end:]
	}
	return out
}

// crudeScrub redacts tokens holding '@' and digit runs (separated by
// spaces, dashes or dots) of six digits or more.
func crudeScrub(line []byte) []byte {
	out := make([]byte, 0, len(line))
	for len(line) > 0 {
		end := bytes.IndexAny(line, " \"',")
		if end < 0 {
			end = len(line)
		}
		tok := line[:end]
		if bytes.IndexByte(tok, '@') >= 0 {
			tok = []byte(Redacted)
		}
		out = append(out, tok...)
		if end < len(line) {
			out = append(out, line[end])
			end++
		}
		line = line[end:]
	}
	return redactDigitRuns(out)
}

func redactDigitRuns(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		if b[i] < '0' || b[i] > '9' {
			out = append(out, b[i])
			i++
			continue
		}
		j, n, last := i, 0, i
		for j < len(b) {
			c := b[j]
			if c >= '0' && c <= '9' {
				n++
				last = j
			} else if c != ' ' && c != '-' && c != '.' {
				break
			}
			j++
		}
		if n >= 6 {
			out = append(out, Redacted...)
		} else {
			out = append(out, b[i:last+1]...)
		}
		i = last + 1
	}
	return out
}
