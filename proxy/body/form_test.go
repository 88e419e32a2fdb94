package body

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

type formPair struct{ ptr, name, value string }

// walkForm walks doc and checks what every walk must hold: spans are the
// pairs between '&'s, indexes count up, slices end at their length (an
// append cannot write over the document), a nil Value is a pair without
// '=', and the pointer reads back as the name and its repeat count.
func walkForm(t testing.TB, doc string) ([]formPair, error) {
	t.Helper()
	var out []formPair
	seen := map[string]int{}
	b := []byte(doc)
	err := WalkForm(b, func(f *FormField) error {
		checkFormField(t, b, f, len(out), seen)
		out = append(out, formPair{f.Pointer(), string(f.Name), string(f.Value)})
		return nil
	})
	if string(b) != doc {
		t.Fatalf("%q: the walk changed the document", doc)
	}
	return out, err
}

func checkFormField(t testing.TB, doc []byte, f *FormField, index int, seen map[string]int) {
	t.Helper()
	if f.Index != index {
		t.Fatalf("index %d, want %d", f.Index, index)
	}
	if f.Start < 0 || f.End > len(doc) || f.Start >= f.End ||
		f.Start > 0 && doc[f.Start-1] != '&' || f.End < len(doc) && doc[f.End] != '&' ||
		bytes.IndexByte(doc[f.Start:f.End], '&') >= 0 {
		t.Fatalf("span %d:%d is not a pair of %q", f.Start, f.End, doc)
	}
	if cap(f.Name) != len(f.Name) || cap(f.Value) != len(f.Value) || f.Name == nil {
		t.Fatalf("pair at %d: name %d/%d, value %d/%d (len/cap)", f.Start, len(f.Name), cap(f.Name), len(f.Value), cap(f.Value))
	}
	if hasEq := bytes.IndexByte(doc[f.Start:f.End], '=') >= 0; hasEq != (f.Value != nil) {
		t.Fatalf("pair %q: value %q (nil: %v)", doc[f.Start:f.End], f.Value, f.Value == nil)
	}
	k := seen[string(f.Name)]
	seen[string(f.Name)]++
	p, ok := parsePointer(f.Pointer())
	want := 1
	if k > 0 {
		want = 2
	}
	if !ok || len(p) != want || p[0].name != string(f.Name) || k > 0 && p[1].index != k {
		t.Fatalf("pair %q, repeat %d: pointer %q", doc[f.Start:f.End], k, f.Pointer())
	}
}

func TestWalkForm(t *testing.T) {
	for _, c := range []struct {
		doc  string
		want []formPair
	}{
		{"", nil},
		{"&&&", nil},
		{"a=1&b=2", []formPair{{"/a", "a", "1"}, {"/b", "b", "2"}}},
		{"email=jane%40x.com&note=hello+world", []formPair{{"/email", "email", "jane@x.com"}, {"/note", "note", "hello world"}}},
		{"a+b=c+d&%2B=%2b+", []formPair{{"/a b", "a b", "c d"}, {"/+", "+", "+ "}}},
		{"a=1&&b=2&", []formPair{{"/a", "a", "1"}, {"/b", "b", "2"}}},
		{"&a=1", []formPair{{"/a", "a", "1"}}},
		{"flag&x=", []formPair{{"/flag", "flag", ""}, {"/x", "x", ""}}},
		{"=v&=w", []formPair{{"/", "", "v"}, {"//1", "", "w"}}},
		{"=", []formPair{{"/", "", ""}}},
		{"n=1&n=2&n=3", []formPair{{"/n", "n", "1"}, {"/n/1", "n", "2"}, {"/n/2", "n", "3"}}},
		{"n=1&m=2&n=3&m&n", []formPair{{"/n", "n", "1"}, {"/m", "m", "2"}, {"/n/1", "n", "3"}, {"/m/1", "m", ""}, {"/n/2", "n", ""}}},
		// A repeat is of the decoded name, however it was spelled.
		{"a+b=1&a%20b=2&a%20b=3", []formPair{{"/a b", "a b", "1"}, {"/a b/1", "a b", "2"}, {"/a b/2", "a b", "3"}}},
		{"a%2Fb~c=%C3%A9", []formPair{{"/a~1b~0c", "a/b~c", "é"}}},
		{"a/b=1&a/b=2", []formPair{{"/a~1b", "a/b", "1"}, {"/a~1b/1", "a/b", "2"}}},
		{"a=b=c", []formPair{{"/a", "a", "b=c"}}},
		{"a=%3D%26", []formPair{{"/a", "a", "=&"}}},
		{"a;b=1;2", []formPair{{"/a;b", "a;b", "1;2"}}},
		// UTF-8, raw and escaped; bytes that are not UTF-8 are passed on.
		{"名前=山田&city=M%C3%BCnchen&x=%FF%00", []formPair{{"/名前", "名前", "山田"}, {"/city", "city", "München"}, {"/x", "x", "\xff\x00"}}},
		{"%e2%82%ac=%E2%82%AC", []formPair{{"/€", "€", "€"}}},
	} {
		got, err := walkForm(t, c.doc)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %q, %v; want %q", c.doc, got, err, c.want)
		}
	}
}

func TestWalkFormInvalidEscapes(t *testing.T) {
	for doc, off := range map[string]int{
		"a=%zz":        2,
		"a=%z1":        2,
		"a=%1z":        2,
		"a=1&b=%4":     6,
		"a=1&b=%4&c=1": 6,
		"a=%":          2,
		"%":            0,
		"%%41=1":       0,
		"ok=1&x%g1=2":  6,
		"a=%41%4":      5,
		"a+b%2=c":      3,
		"n=%C3%A9%":    8,
		"a=1&b=2&%":    8,
	} {
		n := 0
		err := WalkForm([]byte(doc), func(*FormField) error { n++; return nil })
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalidForm || e.Offset != off {
			t.Errorf("%q: got %v, want %s at %d", doc, err, CodeInvalidForm, off)
		}
		if strings.Contains(err.Error(), doc) {
			t.Errorf("%q: the error holds the document: %v", doc, err)
		}
		if _, uerr := url.ParseQuery(doc); uerr == nil {
			t.Errorf("%q: net/url reads it", doc)
		}
		// The pairs before the bad one were visited.
		if want := strings.Count(doc[:off], "&"); n != want {
			t.Errorf("%q: %d pairs before the error, want %d", doc, n, want)
		}
	}
}

func TestWalkFormCallbackError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := WalkForm([]byte("a=1&b=2&c=3&d=%zz"), func(f *FormField) error {
		if n++; f.Index == 1 {
			return stop
		}
		return nil
	})
	if err != stop || n != 2 {
		t.Errorf("err = %v after %d calls, want the callback's error after 2", err, n)
	}
}

// TestWalkFormManyNames: the name table is right past what the pool keeps,
// and a walker taken from the pool after a big form starts afresh.
func TestWalkFormManyNames(t *testing.T) {
	var sb strings.Builder
	const n = 3 * maxPooledFormNames
	for i := range n {
		fmt.Fprintf(&sb, "f%d=%d&", i, i)
	}
	sb.WriteString("f0=again&f" + strconv.Itoa(n-1) + "=again")
	for range 3 {
		got, err := walkForm(t, sb.String())
		if err != nil || len(got) != n+2 || got[n].ptr != "/f0/1" || got[n+1].ptr != "/f"+strconv.Itoa(n-1)+"/1" {
			t.Fatalf("%d pairs, %v; last %q", len(got), err, got[len(got)-2:])
		}
		if got, _ := walkForm(t, "f0=1&f1=2"); got[0].ptr != "/f0" || got[1].ptr != "/f1" {
			t.Fatalf("a later walk sees earlier names: %q", got)
		}
	}
}

// Once its buffers are warm, a walk allocates nothing per pair: none for
// pairs without escapes, none for those with. (The pool is left out:
// under -race it drops items on purpose.)
func TestWalkFormAllocs(t *testing.T) {
	for _, doc := range [][]byte{benchFormPlain, benchFormEscaped} {
		w := newFormWalker()
		n := 0
		fn := func(f *FormField) error {
			n += len(f.Name) + len(f.Value)
			return nil
		}
		walk := func() {
			w.reset()
			if err := w.run(doc, fn); err != nil {
				t.Fatal(err)
			}
		}
		walk()
		if a := testing.AllocsPerRun(20, walk); a != 0 {
			t.Errorf("%.20q: a warm walk allocates %.1f times", doc, a)
		}
	}
}

func formStarts(t testing.TB, doc []byte) []int {
	var offs []int
	if err := WalkForm(doc, func(f *FormField) error { offs = append(offs, f.Start); return nil }); err != nil {
		t.Fatal(err)
	}
	return offs
}

func TestRewriteForm(t *testing.T) {
	doc := []byte("grant_type=password&username=jane%40x.com&password=s3cret&note=a+b")
	offs := formStarts(t, doc)
	out, err := RewriteForm(nil, doc, map[int][]byte{offs[1]: []byte("[REDACTED:email]"), offs[3]: []byte("x & y")}, map[int]bool{offs[2]: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := "grant_type=password&username=%5BREDACTED%3Aemail%5D&note=x+%26+y"; string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}

	for _, c := range []struct {
		doc     string
		replace map[int]string // by pair index
		drop    []int          // pair indexes
		want    string
	}{
		// Separators and empty pairs are kept as they were.
		{"a=1&&b=2&", map[int]string{1: "é ~"}, nil, "a=1&&b=%C3%A9+~&"},
		{"&a=1;x", map[int]string{0: "a;b/c"}, nil, "&a=a%3Bb%2Fc"},
		{"a%20b=1", map[int]string{0: "2"}, nil, "a%20b=2"},
		{"flag&x", map[int]string{0: "on"}, nil, "flag=on&x"},
		{"a=b=c", map[int]string{0: ""}, nil, "a="},
		// A dropped pair goes with the '&' after it, or before it when it
		// is the last.
		{"a=1&b=2&c=3", nil, []int{0}, "b=2&c=3"},
		{"a=1&b=2&c=3", nil, []int{1}, "a=1&c=3"},
		{"a=1&b=2&c=3", nil, []int{2}, "a=1&b=2"},
		{"a=1&b=2&c=3", nil, []int{1, 2}, "a=1"},
		{"a=1&b=2&c=3", nil, []int{0, 1, 2}, ""},
		{"a=1&b=2&c=3", map[int]string{0: "x"}, []int{1, 2}, "a=x"},
		{"a=1&b=2&c=3&", nil, []int{2}, "a=1&b=2&"},
		{"a=1&&b=2", nil, []int{1}, "a=1&"},
		{"&&b=2", nil, []int{0}, "&"},
		{"only", nil, []int{0}, ""},
		// Drop wins over Replace.
		{"a=1&b=2", map[int]string{0: "x", 1: "y"}, []int{0}, "b=y"},
	} {
		doc := []byte(c.doc)
		offs := formStarts(t, doc)
		replace, drop := map[int][]byte{}, map[int]bool{}
		for i, v := range c.replace {
			replace[offs[i]] = []byte(v)
		}
		for _, i := range c.drop {
			drop[offs[i]] = true
		}
		out, err := RewriteForm([]byte("keep:"), doc, replace, drop)
		if err != nil || string(out) != "keep:"+c.want {
			t.Errorf("%q, replace %v, drop %v: got %q, %v; want %q", c.doc, c.replace, c.drop, out, err, c.want)
		}
	}

	// No edits: the document as it is, even when it is no form.
	if out, err := RewriteForm([]byte("x"), []byte("a=%zz"), nil, map[int]bool{}); err != nil || string(out) != "xa=%zz" {
		t.Errorf("no edits: %q, %v", out, err)
	}
	// A Drop entry of false edits nothing, but must name a pair.
	if out, err := RewriteForm(nil, doc, nil, map[int]bool{offs[1]: false}); err != nil || !bytes.Equal(out, doc) {
		t.Errorf("drop false: %q, %v", out, err)
	}
}

func TestRewriteFormErrors(t *testing.T) {
	doc := []byte("a=1&&b=2&c=%41")
	for _, c := range []struct {
		replace map[int][]byte
		drop    map[int]bool
		off     int
	}{
		{map[int][]byte{1: nil}, nil, 1},                           // inside a pair
		{map[int][]byte{4: nil}, nil, 4},                           // an empty pair
		{nil, map[int]bool{3: true}, 3},                            // a separator
		{nil, map[int]bool{len(doc): true}, len(doc)},              // past the end
		{map[int][]byte{0: nil, 9: nil}, map[int]bool{7: true}, 7}, // the smallest bad one
		{map[int][]byte{-1: nil}, nil, -1},
		{nil, map[int]bool{6: false}, 6},
	} {
		out, err := RewriteForm(nil, doc, c.replace, c.drop)
		var e *Error
		if out != nil || !errors.As(err, &e) || e.Code != CodeInvalidEdit || e.Offset != c.off {
			t.Errorf("replace %v drop %v: %q, %v; want %s at %d", c.replace, c.drop, out, err, CodeInvalidEdit, c.off)
		}
	}
	if _, err := RewriteForm(nil, []byte("a=1&b=%zz"), map[int][]byte{0: nil}, nil); ErrorCode(err) != CodeInvalidForm {
		t.Errorf("a malformed form: %v", err)
	}
}

// TestAppendFormEscaped: values are escaped as url.QueryEscape does.
func TestAppendFormEscaped(t *testing.T) {
	var all []byte
	for c := range 256 {
		all = append(all, byte(c))
	}
	for _, s := range []string{"", "plain", "a b+c&d=e%f/g?h#i;j~k", "é€😀", string(all)} {
		if got := appendFormEscaped(nil, []byte(s)); string(got) != url.QueryEscape(s) {
			t.Errorf("%q: %q, url.QueryEscape %q", s, got, url.QueryEscape(s))
		}
	}
}

// refForm reads doc as net/url does, keeping the order: pairs split at
// '&', empty ones skipped, name and value cut at the first '=' and
// decoded by url.QueryUnescape. Unlike url.ParseQuery it takes ';'.
func refForm(doc string) (names, values []string, err error) {
	for pair := range strings.SplitSeq(doc, "&") {
		if pair == "" {
			continue
		}
		n, v, _ := strings.Cut(pair, "=")
		n, err1 := url.QueryUnescape(n)
		v, err2 := url.QueryUnescape(v)
		if err = errors.Join(err1, err2); err != nil {
			return nil, nil, err
		}
		names, values = append(names, n), append(values, v)
	}
	return names, values, nil
}

// checkFormAgainstStdlib: WalkForm reads what net/url reads, the same
// names and values in the same order, and refuses what it refuses (but
// for ';'); rewriting every value with itself gives a document net/url
// reads the same.
func checkFormAgainstStdlib(t *testing.T, doc string) {
	got, err := walkForm(t, doc)
	names, values, rerr := refForm(doc)
	if (err == nil) != (rerr == nil) {
		t.Fatalf("%q: WalkForm says %v, url.QueryUnescape %v", doc, err, rerr)
	}
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalidForm || e.Offset < 0 || e.Offset >= len(doc) || doc[e.Offset] != '%' {
			t.Fatalf("%q: %v", doc, err)
		}
		return
	}
	if len(got) != len(names) {
		t.Fatalf("%q: %d pairs, net/url %d", doc, len(got), len(names))
	}
	fromWalk := url.Values{}
	for i, p := range got {
		if p.name != names[i] || p.value != values[i] {
			t.Fatalf("%q: pair %d is %q=%q, net/url %q=%q", doc, i, p.name, p.value, names[i], values[i])
		}
		fromWalk[p.name] = append(fromWalk[p.name], p.value)
	}
	q, qerr := url.ParseQuery(doc)
	if qerr != nil && !strings.Contains(doc, ";") {
		t.Fatalf("%q: url.ParseQuery says %v", doc, qerr)
	}
	if qerr == nil && (len(q) > 0 || len(fromWalk) > 0) && !reflect.DeepEqual(q, fromWalk) {
		t.Fatalf("%q: net/url %v, WalkForm %v", doc, q, fromWalk)
	}

	// The round trip.
	replace := map[int][]byte{}
	_ = WalkForm([]byte(doc), func(f *FormField) error {
		replace[f.Start] = bytes.Clone(f.Value)
		return nil
	})
	out, err := RewriteForm(nil, []byte(doc), replace, nil)
	if err != nil {
		t.Fatalf("%q: rewrite: %v", doc, err)
	}
	again, err := walkForm(t, string(out))
	if err != nil || len(again) != len(got) {
		t.Fatalf("%q rewrote to %q: %d pairs, %v", doc, out, len(again), err)
	}
	for i := range got {
		if again[i] != got[i] {
			t.Fatalf("%q rewrote to %q: pair %d %q, was %q", doc, out, i, again[i], got[i])
		}
	}
	if qerr == nil {
		if q2, err := url.ParseQuery(string(out)); err != nil || !reflect.DeepEqual(q, q2) {
			t.Fatalf("%q rewrote to %q: %v, %v", doc, out, q2, err)
		}
	}
}

var formDocs = []string{
	"a=1&b=2",
	"email=jane%40x.com&note=hello+world",
	"n=1&n=2&a%2Fb=%C3%A9&flag",
	"a=1&&b=2&", "flag&x=", "=v&=w", "a=b=c", "a;b=1",
	"a%2Fb~c=%C3%A9", "名前=山田&x=%FF", "a+b=1&a%20b=2",
	"a=%zz", "%", "a=%4", "&&=&",
}

func TestFormAgreesWithNetURL(t *testing.T) {
	for _, doc := range formDocs {
		checkFormAgainstStdlib(t, doc)
	}
}

// FuzzWalkForm: never panics; reads exactly what net/url reads (the same
// pairs in order), refuses the rest at a '%'; pointers read back as the
// name and its repeat; every value rewritten with itself round-trips.
func FuzzWalkForm(f *testing.F) {
	for _, s := range formDocs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		checkFormAgainstStdlib(t, doc)
	})
}

// FuzzRewriteForm applies edits picked by sel to every pair of doc and
// checks the result pair by pair: dropped pairs gone with exactly one
// separator each (while there are any), replaced values read back as
// given and escaped as url.QueryEscape does, names and untouched pairs
// copied byte for byte. Some edits name no pair: the error gives the
// smallest such offset.
func FuzzRewriteForm(f *testing.F) {
	for i, d := range formDocs {
		f.Add(d, []byte{byte(i), 1, 2, 3, 4, 5, 6, 7, ' ', 'x', 0xc3, 0xa9, '&', '%', '+'})
	}
	f.Fuzz(func(t *testing.T, doc string, sel []byte) {
		type pair struct {
			start, end  int
			name, value string
		}
		var pairs []pair
		werr := WalkForm([]byte(doc), func(f *FormField) error {
			pairs = append(pairs, pair{f.Start, f.End, string(f.Name), string(f.Value)})
			return nil
		})
		if len(sel) == 0 {
			return
		}
		replace, drop := map[int][]byte{}, map[int]bool{}
		bad := -1 // the smallest offset that names no pair
		for i, p := range pairs {
			b := sel[i%len(sel)] ^ byte(i/len(sel))
			switch b % 8 {
			case 0, 1, 2:
				replace[p.start] = sel[:int(b)%len(sel)]
			case 3, 4:
				drop[p.start] = true
			case 5:
				drop[p.start] = false
			case 6:
				replace[p.start], drop[p.start] = []byte("x"), true
			case 7:
				if b == 0xff && p.end-p.start > 1 && bad < 0 {
					bad = p.start + 1
					replace[bad] = nil
				}
			}
		}
		if werr != nil {
			replace[len(doc)] = nil // met after the malformed escape
		}
		out, err := RewriteForm(nil, []byte(doc), replace, drop)
		switch {
		case werr != nil:
			// An edit inside a pair before the malformed escape may be
			// found first.
			if code := ErrorCode(err); out != nil || code != CodeInvalidForm && (bad < 0 || code != CodeInvalidEdit) {
				t.Fatalf("WalkForm says %v, RewriteForm %v", werr, err)
			}
			return
		case bad >= 0:
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeInvalidEdit || e.Offset != bad || out != nil {
				t.Fatalf("edit at %d: %v", bad, err)
			}
			return
		case err != nil:
			t.Fatalf("RewriteForm: %v", err)
		}

		var got []pair
		if err := WalkForm(out, func(f *FormField) error {
			got = append(got, pair{f.Start, f.End, string(f.Name), string(f.Value)})
			return nil
		}); err != nil {
			t.Fatalf("%q rewrote to %q, refused: %v", doc, out, err)
		}
		dropped := 0
		i := 0
		for _, p := range pairs {
			if drop[p.start] {
				dropped++
				continue
			}
			if i >= len(got) {
				t.Fatalf("%q rewrote to %q: pairs missing", doc, out)
			}
			g := got[i]
			i++
			raw, rawOut := doc[p.start:p.end], string(out[g.start:g.end])
			v, ok := replace[p.start]
			if !ok {
				if rawOut != raw {
					t.Fatalf("%q rewrote to %q: untouched %q became %q", doc, out, raw, rawOut)
				}
				continue
			}
			name, _, _ := strings.Cut(raw, "=")
			if g.name != p.name || g.value != string(v) || rawOut != name+"="+url.QueryEscape(string(v)) {
				t.Fatalf("%q rewrote to %q: %q set to %q reads %q=%q", doc, out, raw, v, g.name, g.value)
			}
		}
		if i != len(got) {
			t.Fatalf("%q rewrote to %q: %d pairs, want %d", doc, out, len(got), i)
		}
		if amps := strings.Count(doc, "&"); bytes.Count(out, []byte("&")) != amps-min(dropped, amps) {
			t.Fatalf("%q rewrote to %q: %d pairs dropped", doc, out, dropped)
		}
	})
}

var (
	benchFormPlain   = []byte("grant_type=password&client_id=3MVG9abcdef.ghijk_lmnop&client_secret=0123456789ABCDEF&username=jane.doe.example&password=hunter2&scope=api&format=json&redirect_uri=https:/example.com/cb")
	benchFormEscaped = []byte("grant_type=password&client_id=3MVG9abcdef&client_secret=0123456789&username=jane.doe%40example.com&password=hunter2&note=call+me&city=M%C3%BCnchen&tags=a&tags=b")
)

func BenchmarkWalkForm(b *testing.B) {
	for _, bb := range []struct {
		name string
		doc  []byte
	}{{"plain", benchFormPlain}, {"escaped", benchFormEscaped}} {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(len(bb.doc)))
			b.ReportAllocs()
			n := 0
			fn := func(f *FormField) error {
				n += len(f.Name) + len(f.Value)
				return nil
			}
			for b.Loop() {
				if err := WalkForm(bb.doc, fn); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWalkFormParseQuery is the yardstick: net/url on the same forms.
func BenchmarkWalkFormParseQuery(b *testing.B) {
	for _, bb := range []struct {
		name string
		doc  []byte
	}{{"plain", benchFormPlain}, {"escaped", benchFormEscaped}} {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(len(bb.doc)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := url.ParseQuery(string(bb.doc)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRewriteForm masks the username and drops the password, as a
// typical policy would: a walk to find them, then the rewrite.
func BenchmarkRewriteForm(b *testing.B) {
	doc := benchFormEscaped
	replace, drop := map[int][]byte{}, map[int]bool{}
	_ = WalkForm(doc, func(f *FormField) error {
		switch string(f.Name) {
		case "username":
			replace[f.Start] = []byte("j***@example.com")
		case "password":
			drop[f.Start] = true
		}
		return nil
	})
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	buf := make([]byte, 0, len(doc))
	for b.Loop() {
		out, err := RewriteForm(buf[:0], doc, replace, drop)
		if err != nil {
			b.Fatal(err)
		}
		buf = out
	}
}
