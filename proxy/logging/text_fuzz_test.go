package logging

import "testing"

// TestCutTokensQueryAfterAQuestionMark: found by FuzzText
// (testdata/fuzz/FuzzText/6ce8af0b47cf576b). Only the token's first '?'
// was taken for its query, so a '?' before the path ("?x/…") kept the
// query after it.
func TestCutTokensQueryAfterAQuestionMark(t *testing.T) {
	for in, want := range map[string]string{
		"?000000/?":                "?000000/",
		"?x/services/data?sig=abc": "?x/services/data",
		"a?b/c?d=1 e":              "a?b/c e",
		"/p?q=1":                   "/p",
		"why? /no":                 "why? /no",
	} {
		if got := cutTokens(in); got != want {
			t.Errorf("cutTokens(%q) = %q, want %q", in, got, want)
		}
	}
}
