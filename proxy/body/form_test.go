package body

import (
	"errors"
	"net/url"
	"reflect"
	"testing"
)

type formPair struct{ ptr, name, value string }

func walkForm(t testing.TB, doc string) ([]formPair, error) {
	var out []formPair
	err := WalkForm([]byte(doc), func(f *FormField) error {
		out = append(out, formPair{f.Pointer(), string(f.Name), string(f.Value)})
		return nil
	})
	return out, err
}

func TestWalkForm(t *testing.T) {
	for _, c := range []struct {
		doc  string
		want []formPair
	}{
		{"", nil},
		{"a=1&b=2", []formPair{{"/a", "a", "1"}, {"/b", "b", "2"}}},
		{"email=jane%40x.com&note=hello+world", []formPair{{"/email", "email", "jane@x.com"}, {"/note", "note", "hello world"}}},
		{"a=1&&b=2&", []formPair{{"/a", "a", "1"}, {"/b", "b", "2"}}},
		{"flag&x=", []formPair{{"/flag", "flag", ""}, {"/x", "x", ""}}},
		{"n=1&n=2&n=3", []formPair{{"/n", "n", "1"}, {"/n/1", "n", "2"}, {"/n/2", "n", "3"}}},
		{"a%2Fb~c=%C3%A9", []formPair{{"/a~1b~0c", "a/b~c", "é"}}},
		{"a=b=c", []formPair{{"/a", "a", "b=c"}}},
	} {
		got, err := walkForm(t, c.doc)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %q, %v; want %q", c.doc, got, err, c.want)
		}
	}
}

func TestWalkFormInvalidEscapes(t *testing.T) {
	for doc, off := range map[string]int{"a=%zz": 2, "a=1&b=%4": 6, "%": 0, "ok=1&x%g1=2": 6} {
		_, err := walkForm(t, doc)
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalidForm || e.Offset != off {
			t.Errorf("%q: got %v, want %s at %d", doc, err, CodeInvalidForm, off)
		}
	}
}

func TestRewriteForm(t *testing.T) {
	doc := []byte("grant_type=password&username=jane%40x.com&password=s3cret&note=a+b")
	var offs []int
	_ = WalkForm(doc, func(f *FormField) error { offs = append(offs, f.Start); return nil })
	out, err := RewriteForm(nil, doc, map[int][]byte{offs[1]: []byte("[REDACTED:email]"), offs[3]: []byte("x & y")}, map[int]bool{offs[2]: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := "grant_type=password&username=%5BREDACTED%3Aemail%5D&note=x+%26+y"; string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	if _, err := RewriteForm(nil, doc, map[int][]byte{1: nil}, nil); ErrorCode(err) != CodeInvalidEdit {
		t.Errorf("an offset inside a pair: %v", err)
	}
}

// checkFormAgainstStdlib: where net/url parses a document, WalkForm sees
// the same names and values in the same order, and rewriting every value
// with itself gives a document net/url reads the same.
func checkFormAgainstStdlib(t *testing.T, doc string) {
	got, err := walkForm(t, doc)
	q, qerr := url.ParseQuery(doc)
	if qerr != nil {
		return // net/url also refuses ';' and some escapes WalkForm takes
	}
	if err != nil {
		t.Fatalf("%q: net/url reads it, WalkForm says %v", doc, err)
	}
	fromWalk := url.Values{}
	for _, p := range got {
		fromWalk[p.name] = append(fromWalk[p.name], p.value)
	}
	if len(q) == 0 && len(fromWalk) == 0 {
		return
	}
	if !reflect.DeepEqual(q, fromWalk) {
		t.Fatalf("%q: net/url %v, WalkForm %v", doc, q, fromWalk)
	}
	replace := map[int][]byte{}
	_ = WalkForm([]byte(doc), func(f *FormField) error {
		replace[f.Start] = append([]byte(nil), f.Value...)
		return nil
	})
	out, err := RewriteForm(nil, []byte(doc), replace, nil)
	if err != nil {
		t.Fatalf("%q: rewrite: %v", doc, err)
	}
	q2, err := url.ParseQuery(string(out))
	if err != nil || !reflect.DeepEqual(q, q2) {
		t.Fatalf("%q rewrote to %q: %v, %v", doc, out, q2, err)
	}
}

func TestFormAgreesWithNetURL(t *testing.T) {
	for _, doc := range []string{"a=1&b=2", "email=jane%40x.com&note=hello+world", "n=1&n=2", "flag&x=", "a%2Fb=%C3%A9", "a=b=c"} {
		checkFormAgainstStdlib(t, doc)
	}
}

func FuzzWalkForm(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "email=jane%40x.com&note=hello+world", "n=1&n=2", "a=%zz", "%", "&&=&", "a%2Fb~c=%C3%A9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		checkFormAgainstStdlib(t, doc)
	})
}

func BenchmarkWalkForm(b *testing.B) {
	doc := []byte("grant_type=password&client_id=3MVG9abcdef&client_secret=0123456789&username=jane.doe%40example.com&password=hunter2&note=call+me")
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		_ = WalkForm(doc, func(*FormField) error { return nil })
	}
}
