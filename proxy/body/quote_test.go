package body

import (
	"encoding/json"
	"testing"
)

func TestAppendJSONString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain ascii", `"plain ascii"`},
		{`q"b\s/`, `"q\"b\\s/"`},
		{"\n\r\t\b\f", `"\n\r\t\b\f"`},
		{"\x00\x01\x1f\x7f", `"\u0000\u0001\u001f` + "\x7f" + `"`},
		{"<a&b>", `"<a&b>"`},
		{"é 😀 \u2027\u202a", "\"é 😀 \u2027\u202a\""},
		{"a\u2028b\u2029c", `"a\u2028b\u2029c"`},
		{"bad\xff\xfeutf8", `"bad\ufffd\ufffdutf8"`},
		{"cut\xe2\x82", `"cut\ufffd\ufffd"`},
		{"surrogate\xed\xa0\x80", `"surrogate\ufffd\ufffd\ufffd"`},
	}
	for _, tt := range tests {
		got := AppendJSONString([]byte("x"), []byte(tt.in))
		if string(got) != "x"+tt.want {
			t.Errorf("AppendJSONString(%q) = %s, want %s", tt.in, got[1:], tt.want)
		}
		// encoding/json reads back what it would have made of the input.
		var back, ref string
		if err := json.Unmarshal(got[1:], &back); err != nil {
			t.Fatalf("%q: %v", got[1:], err)
		}
		refJSON, _ := json.Marshal(tt.in)
		_ = json.Unmarshal(refJSON, &ref)
		if back != ref {
			t.Errorf("AppendJSONString(%q) reads back as %q, encoding/json as %q", tt.in, back, ref)
		}
	}
}
