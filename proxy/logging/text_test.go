package logging

import (
	"strings"
	"testing"
)

func TestSuspicious(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", false},
		{"request", false},
		{"policy evaluation failed", false},
		{"salesforce", false},
		{"status 200 in 12345 µs", false}, // five digits: a count, not an identifier
		{"v62.0", false},
		{"why?", false},               // a question, not a URL
		{"a/b c?d", false},            // the '/' and the '?' are in different tokens
		{"eye", false},                // 'e' without "yJ"
		{"Bearers of news", false},    // no space after "Bearer"
		{"1990-04-01", true},          // a date (of birth?): dashes keep the run going
		{"jane@example.com", true},    // '@'
		{"4111 1111 1111 1111", true}, // a card, separated by spaces
		{"078-05-1120", true},         // an SSN, separated by dashes
		{"GB82 WEST 1234 5698 7654 32", true},
		{"+1 415.555.0100", true},
		{"/services/data/v62.0/query?q=SELECT", true},
		{"https://h/x?y", true},
		{"Authorization: Bearer abc", true},
		{"bearer abc", true},
		{"token eyJhbGciOi", true},
	}
	for _, tt := range tests {
		if got := suspicious(tt.in); got != tt.want {
			t.Errorf("suspicious(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestCutTokens(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain words", "plain words"},
		{"GET https://h.example/services/data/v62.0/query?q=SELECT+Id done", "GET https://h.example/services/data/v62.0/query done"},
		{"path /crm/v3/objects/contacts?idProperty=email", "path /crm/v3/objects/contacts"},
		{`Get "http://127.0.0.1:8080/x?q=1#frag": refused`, `Get "http://127.0.0.1:8080/x": refused`},
		{"https://user:pw@h.example/p#frag", "https://h.example/p"},
		{"Authorization: Bearer sk_live_abc, next", "Authorization: Bearer [redacted], next"},
		{"bearer abc", "bearer [redacted]"},
		{"Bearer\tabc", "Bearer\tabc"}, // only "Bearer " is a scheme; the pre-check agrees
		{"jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig end", "jwt=[redacted] end"},
		{"/cb?code=eyJabc", "/cb"},
		{"why? because", "why? because"},
	}
	for _, tt := range tests {
		if got := cutTokens(tt.in); got != tt.want {
			t.Errorf("cutTokens(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestCleanURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://h.example/a/b", "https://h.example/a/b"},
		{"https://h.example/a?b=c", "https://h.example/a"},
		{"https://h.example/a?", "https://h.example/a"},
		{"https://u:p@h.example/a#f", "https://h.example/a"},
		{"/services/data/v62.0/query?q=SELECT", "/services/data/v62.0/query"},
		{"http://[::1/x?y", "http://[::1/x"}, // does not parse: cut at '?'
		{"no url here", "no url here"},
	}
	for _, tt := range tests {
		if got := cleanURL(tt.in); got != tt.want {
			t.Errorf("cleanURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFallbackScrub(t *testing.T) {
	tests := []struct{ in, want string }{
		{"nothing here 12345", "nothing here 12345"},
		{"mail jane.doe@example.com now", "mail [redacted] now"},
		{`"jane@example.com"`, `"[redacted]"`},
		{"card 4111 1111 1111 1111 declined", "card [redacted] declined"},
		{"ssn 078-05-1120.", "ssn [redacted]."},
		{"iban GB82WEST12345698765432", "iban GB82WEST[redacted]"},
		{"4155550100@sms.example", "[redacted]"},
	}
	for _, tt := range tests {
		if got := string(fallbackScrub([]byte(tt.in))); got != tt.want {
			t.Errorf("fallbackScrub(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzText checks the free-text path with the fallback scrub: clean texts
// pass untouched, and no output holds an '@', a six-digit run, a JWT or a
// URL query.
func FuzzText(f *testing.F) {
	for _, s := range []string{
		"plain", "jane@example.com", "4111 1111 1111 1111", "https://u:p@h/x?q=1#f",
		"Bearer abc", "a/b?eyJx", "why?", "/p?q=eyJ@1234567", "\"x\":\"y\"",
	} {
		f.Add(s)
	}
	r := newRedactor(nil)
	f.Fuzz(func(t *testing.T, in string) {
		out, changed := r.text(in)
		if !suspicious(in) {
			if changed || out != in {
				t.Fatalf("clean %q changed to %q", in, out)
			}
			return
		}
		if strings.Contains(out, "@") || strings.Contains(out, "eyJ") || longestDigitRun(out) >= minDigitRun {
			t.Fatalf("%q → %q still holds personal-data shapes", in, out)
		}
		for tok := range strings.FieldsFuncSeq(out, func(c rune) bool { return c < 0x80 && isTokenEnd(byte(c)) }) {
			if q := strings.IndexByte(tok, '?'); q > 0 && strings.Contains(tok[:q], "/") {
				t.Fatalf("%q → %q keeps a URL query in %q", in, out, tok)
			}
		}
	})
}

// longestDigitRun measures runs as the pre-check does: spaces, dashes and
// dots inside a run keep it going.
func longestDigitRun(s string) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			run++
			best = max(best, run)
		case run > 0 && (c == ' ' || c == '-' || c == '.'):
		default:
			run = 0
		}
	}
	return best
}
