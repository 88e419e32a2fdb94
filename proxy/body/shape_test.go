package body

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// shapeCheck holds a walk's shapes to their definition: two values have
// the same shape exactly when their paths are the same with array
// indices left out (NoShape aside).
type shapeCheck struct {
	byShape map[int32]string
	byPath  map[string]int32
}

func (c *shapeCheck) check(t testing.TB, v *Value) {
	t.Helper()
	if c.byShape == nil {
		c.byShape, c.byPath = map[int32]string{}, map[string]int32{}
	}
	var b strings.Builder
	for i := range v.Segments() {
		k, _ := v.Segment(i)
		if k == nil {
			b.WriteString("/*")
			continue
		}
		b.WriteString("/" + strconv.Quote(string(k)))
	}
	path := b.String()
	if v.Shape == NoShape {
		return
	}
	if v.Shape < 0 || v.Shape >= maxShapes {
		t.Fatalf("%s: shape %d", path, v.Shape)
	}
	if p, ok := c.byShape[v.Shape]; ok && p != path {
		t.Fatalf("shape %d is %s and %s", v.Shape, p, path)
	}
	if s, ok := c.byPath[path]; ok && s != v.Shape {
		t.Fatalf("%s is shapes %d and %d", path, s, v.Shape)
	}
	c.byShape[v.Shape], c.byPath[path] = path, v.Shape
}

func TestShapesNameKeyPaths(t *testing.T) {
	doc := `{"records":[{"attributes":{"type":"Contact"},"Id":"1","Email":"a@x.org","Tags":["a","b"]},` +
		`{"attributes":{"type":"Contact"},"Email":"b@x.org","Id":"2","Tags":[]},` +
		`{"Id":"3","Account":{"Name":"n","Id":"4"}},{"Email":{"a":1}},[1,{"Email":2}]],"":{"":{"":[]}},"Id":0}`
	var c shapeCheck
	shapes := map[string]int32{}
	if err := WalkJSON([]byte(doc), Limits{}, func(v *Value) error {
		c.check(t, v)
		shapes[v.Pointer()] = v.Shape
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Same path without indices, same shape, whatever the member order;
	// another parent, another shape.
	for _, same := range [][2]string{{"/records/0/Email", "/records/1/Email"}, {"/records/0/Id", "/records/2/Id"},
		{"/records/0/Tags/1", "/records/0/Tags/0"}, {"/records/3/Email", "/records/0/Email"}} {
		if shapes[same[0]] != shapes[same[1]] {
			t.Errorf("%s and %s: shapes %d and %d", same[0], same[1], shapes[same[0]], shapes[same[1]])
		}
	}
	for _, other := range [][2]string{{"/records/0/Id", "/records/2/Account/Id"}, {"/records/0/Id", "/Id"},
		{"/records/4/1/Email", "/records/0/Email"}, {"/", "/~1"}} {
		if shapes[other[0]] == shapes[other[1]] {
			t.Errorf("%s and %s: both shape %d", other[0], other[1], shapes[other[0]])
		}
	}
	if shapes[""] != 0 {
		t.Errorf("the top value's shape is %d", shapes[""])
	}
}

// Past maxShapes new paths have no shape, and duplicate names are still
// refused however the object's names divide between shaped and not:
// before the bound, across it, and after it, in objects wide enough to be
// indexed (dup.go).
func TestDuplicatesPastTheShapeBound(t *testing.T) {
	filler := func(n int) string {
		var b strings.Builder
		b.WriteString(`"fill":{`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"f%d":0`, i)
		}
		b.WriteString(`}`)
		return b.String()
	}
	wide := func(prefix string, n int, dup string) string {
		var b strings.Builder
		b.WriteString(`{`)
		for i := range n {
			fmt.Fprintf(&b, `"%s%d":0,`, prefix, i)
		}
		b.WriteString(`"` + dup + `":1}`)
		return b.String()
	}
	for _, tc := range []struct {
		name, doc string
		dup       bool
	}{
		{"shaped, duplicate", `{"a":` + wide("k", 40, "k7") + `}`, true},
		{"shaped, none", `{"a":` + wide("k", 40, "z") + `}`, false},
		{"all unshaped, duplicate", `{` + filler(maxShapes) + `,"a":` + wide("k", 40, "k39") + `}`, true},
		{"all unshaped, none", `{` + filler(maxShapes) + `,"a":` + wide("k", 40, "z") + `}`, false},
		// "o" is shaped by its first record; the second, after the
		// filler, adds names that are not, and repeats a shaped one.
		{"mixed, shaped name repeated", `{"o":[` + wide("k", 3, "z") + `],` + filler(maxShapes) + `,"p":[` + wide("k", 2, "q") + `],"o2":{}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := WalkJSON([]byte(tc.doc), Limits{}, nil)
			if got := ErrorCode(err) == CodeDuplicateKey; got != tc.dup {
				t.Fatalf("duplicate: %v, want %v", err, tc.dup)
			}
			valid, dup, _ := refValid([]byte(tc.doc))
			if !valid || dup != tc.dup {
				t.Fatalf("the reference reads valid %v, duplicate %v", valid, dup)
			}
		})
	}
	// One object whose names cross the bound: shaped names first, then
	// unshaped ones, then a repeat of a shaped one and of an unshaped one.
	var b strings.Builder
	b.WriteString(`{"o":{`)
	for i := range maxShapes + 50 {
		fmt.Fprintf(&b, `"k%d":0,`, i)
	}
	cross := b.String()
	for _, repeat := range []string{"k5", fmt.Sprintf("k%d", maxShapes+20)} {
		doc := cross + `"` + repeat + `":1}}`
		if err := WalkJSON([]byte(doc), Limits{}, nil); ErrorCode(err) != CodeDuplicateKey {
			t.Errorf("%s repeated across the bound: %v", repeat, err)
		}
	}
	if err := WalkJSON([]byte(cross+`"last":1}}`), Limits{}, func(v *Value) error {
		if v.Depth == 2 && v.Shape != NoShape && strings.HasPrefix(string(v.Key), "k") {
			if n, _ := strconv.Atoi(string(v.Key[1:])); n >= maxShapes {
				t.Fatalf("%s has shape %d past the bound", v.Key, v.Shape)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// Shapes kept across walks: a key path keeps its number from one document
// to the next (and the shapes stay true to their paths across all of
// them), a name met in an earlier document is no duplicate in a later
// one, a duplicate is still refused, and Reset starts the numbering anew.
func TestShapesKeptAcrossWalks(t *testing.T) {
	var s Shapes
	var c shapeCheck
	first := map[string]int32{}
	docs := []string{
		`{"records":[{"Id":"1","Email":"a@x.org"},{"Id":"2","Email":"b@x.org"}]}`,
		`{"records":[{"Email":"c@x.org","Id":"3","Phone":"1"}],"done":true}`,
		`{"totalSize":1,"records":[{"Id":"4","Email":"d@x.org","Account":{"Id":"5"}}]}`,
	}
	for i, doc := range docs {
		if err := WalkJSONShapes([]byte(doc), Limits{}, &s, func(v *Value) error {
			c.check(t, v)
			p := v.Pointer()
			if len(p) > len("/records/0") && strings.HasPrefix(p, "/records/") {
				p = "/records/*" + p[len("/records/0"):]
			}
			if n, ok := first[p]; ok && n != v.Shape {
				t.Errorf("document %d: %s is shape %d, was %d", i, p, v.Shape, n)
			}
			first[p] = v.Shape
			return nil
		}); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
	}
	if err := WalkJSONShapes([]byte(`{"records":[{"Id":"6","Email":"e","Id":"7"}]}`), Limits{}, &s, func(*Value) error { return nil }); err == nil {
		t.Error("a duplicate name in a later document passed")
	}
	if s.Full() {
		t.Error("a few paths fill the numbering")
	}
	s.Reset()
	var top int32 = -2
	if err := WalkJSONShapes([]byte(`{"x":1}`), Limits{}, &s, func(v *Value) error {
		if v.Pointer() == "/x" {
			top = v.Shape
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if top != 1 {
		t.Errorf("after Reset the first member is shape %d, want 1", top)
	}
}

// Full says so before new paths would go without a shape.
func TestShapesFull(t *testing.T) {
	var s Shapes
	for i := 0; !s.Full(); i++ {
		if i > maxShapes {
			t.Fatal("never full")
		}
		doc := fmt.Sprintf(`{"k%d":1}`, i)
		if err := WalkJSONShapes([]byte(doc), Limits{}, &s, func(v *Value) error {
			if v.Pointer() != "" && v.Shape == NoShape {
				t.Fatalf("%s: no shape before Full", doc)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// A name of under eight bytes is its fingerprint, so the trie does not
// compare its bytes; a longer name whose fingerprint happens to be a short
// one's is still another member.
func TestShapeTrieShortNamesByFingerprint(t *testing.T) {
	var tr shapeTrie
	tr.reset()
	short := []byte("Email")
	id := tr.member(0, NoShape, short, fingerprint(short), true)
	if got := tr.member(0, NoShape, []byte("Email"), fingerprint(short), true); got != id {
		t.Fatalf("the same short name is members %d and %d", id, got)
	}
	if got := tr.member(0, NoShape, []byte("Emails and more"), fingerprint(short), true); got == id || got < 0 {
		t.Fatalf("a longer name with the short one's fingerprint is member %d, the short one is %d", got, id)
	}
	if got := tr.member(0, id, []byte("Phone"), fingerprint([]byte("Phone")), true); got == id || got < 0 {
		t.Fatalf("another short name is member %d, Email is %d", got, id)
	}
}

// A member name the shape guesses, written as the last record had it, is
// read without scanning (walker.guessedKey); a duplicate is refused all
// the same, whatever the records before taught the guesses (a refused
// document among them), and a name that only starts like the guess, or
// spells it with an escape, is read the long way to the same shape.
func TestGuessedKeys(t *testing.T) {
	var s Shapes
	walk := func(doc string) (map[string]int32, error) {
		shapes := map[string]int32{}
		var c shapeCheck
		err := WalkJSONShapes([]byte(doc), Limits{}, &s, func(v *Value) error {
			c.check(t, v)
			shapes[v.Pointer()] = v.Shape
			return nil
		})
		return shapes, err
	}
	if _, err := walk(`{"records":[{"Id":"1","Email":"a"},{"Id":"2","Email":"b"}]}`); err != nil {
		t.Fatal(err)
	}
	for i, doc := range []string{
		`{"records":[{"Id":"1","Email":"a","Email":"b"}]}`, // teaches Email → Email
		`{"records":[{"Id":"1","Email":"a","Email":"b"}]}`,
		`{"records":[{"Id":"1","Email":"a"},{"Id":"2","Email":"b","Id":"3"}]}`,
		`{"records":[{"Id":"1","Email":"a"},{"Id":"2","Email":"b","\u0045mail":"c"}]}`,
	} {
		if _, err := walk(doc); err == nil || err.(*Error).Code != CodeDuplicateKey {
			t.Errorf("document %d: got %v, want a duplicate name refused", i+1, err)
		}
	}
	// A name whose JSON spelling needs an escape is never read short: its
	// bytes as they are would end the string early or be invalid JSON.
	for _, c := range []struct{ teach, bad string }{
		{`[{"a\"b":1},{"a\"b":2}]`, `[{"a\"b":1},{"a"b":2}]`},
		{`[{"a\nb":1},{"a\nb":2}]`, "[{\"a\\nb\":1},{\"a\nb\":2}]"},
	} {
		if _, err := walk(c.teach); err != nil {
			t.Fatal(err)
		}
		if _, err := walk(c.bad); err == nil || err.(*Error).Code != CodeInvalidJSON {
			t.Errorf("%q after %q: got %v, want invalid JSON", c.bad, c.teach, err)
		}
	}
	got, err := walk(`{"records":[{"Id":"1","Email":"a"},{"Id":"2","Emails":"b"},{"Id":"3","\u0045mail":"c"},{"Id":"4","Email":"d"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if got["/records/1/Emails"] == got["/records/0/Email"] {
		t.Error("Emails has Email's shape")
	}
	// Names of up to eight bytes are compared as a word.
	got, err = walk(`[{"Id":"1","LastName":"x","Title":"y"},{"Ix":"2","LastNamf":"y","Title":"z"},{"Id":"3","LastName":"z","Title":"w"}]`)
	if err != nil {
		t.Fatal(err)
	}
	if got["/1/Ix"] == got["/0/Id"] || got["/1/LastNamf"] == got["/0/LastName"] || got["/2/Id"] != got["/0/Id"] || got["/2/LastName"] != got["/0/LastName"] {
		t.Errorf("names that differ in a byte share a shape, or the same names do not: %v", got)
	}
	if got["/records/2/Email"] != got["/records/0/Email"] || got["/records/3/Email"] != got["/records/0/Email"] {
		t.Errorf("Email spelled with an escape, or after another name, has another shape: %v", got)
	}
}
