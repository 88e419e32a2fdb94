package body

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// scanStringRef is scanString a byte at a time, as it was before it read
// words: the reference the word loop must match exactly.
func scanStringRef(doc []byte, i int) (end int, escaped bool, err error) {
	i++
	for i < len(doc) {
		c := doc[i]
		if strPlain[c] {
			i++
			continue
		}
		switch {
		case c == '"':
			return i + 1, escaped, nil
		case c == '\\':
			n := escapeLen(doc[i:])
			if n == 0 {
				return i, false, &Error{Code: CodeInvalidJSON, Offset: i}
			}
			escaped = true
			i += n
		case c < 0x20:
			return i, false, &Error{Code: CodeInvalidJSON, Offset: i}
		default:
			r, size := utf8.DecodeRune(doc[i:])
			if r == utf8.RuneError && size <= 1 {
				return i, false, &Error{Code: CodeInvalidUTF8, Offset: i}
			}
			i += size
		}
	}
	return i, false, &Error{Code: CodeInvalidJSON, Offset: i}
}

// checkScanString compares scanString with scanStringRef on doc from i.
func checkScanString(t *testing.T, doc []byte, i int) {
	t.Helper()
	end, esc, err := scanString(doc, i)
	wantEnd, wantEsc, wantErr := scanStringRef(doc, i)
	if end != wantEnd || esc != wantEsc || !sameScanError(err, wantErr) {
		t.Fatalf("scanString(%q, %d) = %d, %v, %v; the byte loop gives %d, %v, %v",
			doc, i, end, esc, err, wantEnd, wantEsc, wantErr)
	}
}

func sameScanError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	var ea, eb *Error
	return errors.As(a, &ea) && errors.As(b, &eb) && *ea == *eb
}

// scanStringCases are strings around the word size with one byte or
// sequence that is not plain ASCII at every position of the first words.
func scanStringCases() []string {
	specials := []string{
		`"`, `\`, `\"`, `\\`, `\/`, `\n`, `\u00e9`, `\uD83D\uDE00`, `\u12`, `\u12g4`, `\x`,
		"\x00", "\x01", "\t", "\n", "\x1f", " ", "!", "#", "[", "]", "\x7f",
		"\x80", "\xbf", "\xc0\x80", "\xc2", "\xc3\xa9", "\xe2\x82", "\xe2\x82\xac", "\xed\xa0\x80",
		"\xef\xbf\xbd", "\xf0\x9f\x98", "\xf0\x9f\x98\x80", "\xf4\x90\x80\x80", "\xf5", "\xfe", "\xff",
	}
	var cases []string
	for n := range 41 {
		plain := strings.Repeat("a", n)
		cases = append(cases, `"`+plain+`"`, `"`+plain, `"`+plain+`"tail`)
	}
	for _, s := range specials {
		for pos := range 18 {
			for after := range 10 {
				body := strings.Repeat("x", pos) + s + strings.Repeat("y", after)
				cases = append(cases, `"`+body+`"`, `"`+body, `"`+body+`","more"`)
			}
		}
	}
	// Two sequences, the second at every distance from the first.
	for _, s := range []string{`\t`, `\u0041`, "\xc3\xa9", "\xf0\x9f\x98\x80", "\xff"} {
		for gap := range 17 {
			for pos := range 9 {
				body := strings.Repeat("p", pos) + s + strings.Repeat("q", gap) + s
				cases = append(cases, `"`+body+`"`, `"`+body)
			}
		}
	}
	return cases
}

func TestScanStringMatchesByteLoop(t *testing.T) {
	for _, c := range scanStringCases() {
		for _, prefix := range []string{"", "[", `{"k":`, "1234567"} {
			doc := []byte(prefix + c)
			checkScanString(t, doc, len(prefix))
			// Every later start too: scanString reads doc[i] as the opening
			// quote whatever it is, so each is another alignment and tail.
			for i := len(prefix) + 1; i < len(doc); i++ {
				checkScanString(t, doc, i)
			}
		}
	}
}

func TestScanStringEnds(t *testing.T) {
	for _, tc := range []struct {
		doc     string
		end     int
		escaped bool
		code    string
	}{
		{`"abcdefghijklmnop"`, 18, false, ""},
		{`"abcdefghijklmnop`, 17, false, CodeInvalidJSON},
		{`"abcdefg\"hijklmnop"`, 20, true, ""},
		{`"abcdefg\u00e9"`, 15, true, ""},
		{`"abcdefg\u00e"`, 8, false, CodeInvalidJSON},
		{"\"abcdefg\x1fh\"", 8, false, CodeInvalidJSON},
		{"\"abcdefgh\x7f\"", 11, false, ""},
		{"\"abcdefg\xc3\xa9hijklmn\"", 18, false, ""},
		{"\"abcdefg\xc3\"", 8, false, CodeInvalidUTF8},
		{"\"abcdefghijklmno\xf0\x9f\x98", 16, false, CodeInvalidUTF8},
	} {
		end, esc, err := scanString([]byte(tc.doc), 0)
		code := ""
		var e *Error
		if errors.As(err, &e) {
			code = e.Code
			if e.Offset != end {
				t.Errorf("scanString(%q): error offset %d, end %d", tc.doc, e.Offset, end)
			}
		} else if err != nil {
			t.Errorf("scanString(%q): %v is no *Error", tc.doc, err)
		}
		if end != tc.end || esc != tc.escaped || code != tc.code {
			t.Errorf("scanString(%q) = %d, %v, %q; want %d, %v, %q", tc.doc, end, esc, code, tc.end, tc.escaped, tc.code)
		}
	}
}

func FuzzScanString(f *testing.F) {
	for _, s := range []string{
		`"abcdefghijklmnopqrstuvwxyz"`,
		`"1234567\"89"`,
		`"1234567\u00e9\\89", "x"`,
		"\"1234567\xc3\xa9", "\"123456\xf0\x9f\x98\x80abc\"",
		"\"abcdefgh\x00\"", "\"abcdefgh\x7f\x80\"", "\"\xff\"",
		`"Met at the 2024 conference; interested in the enterprise plan."`,
		`"unterminated 12345678`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		for i := range doc {
			if i < 16 || doc[i] == '"' {
				checkScanString(t, doc, i)
			}
		}
	})
}

// BenchmarkScanString scans every string of a Salesforce page, keys and
// values, with scanString and with the byte loop it replaces.
func BenchmarkScanString(b *testing.B) {
	doc := salesforcePage(1600)
	var starts []int
	for i := 0; ; {
		j := bytes.IndexByte(doc[i:], '"')
		if j < 0 {
			break
		}
		starts = append(starts, i+j)
		end, _, err := scanStringRef(doc, i+j)
		if err != nil {
			b.Fatal(err)
		}
		i = end
	}
	for _, f := range []struct {
		name string
		scan func([]byte, int) (int, bool, error)
	}{{"words", scanString}, {"bytes", scanStringRef}} {
		b.Run(f.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				for _, i := range starts {
					if _, _, err := f.scan(doc, i); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
