package body

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// visit is what a test sees of one Value.
type visit struct {
	Kind       Kind
	Ptr        string
	Start, End int
	Str        string
}

func collect(t *testing.T, doc string) []visit {
	t.Helper()
	var got []visit
	err := WalkJSON([]byte(doc), Limits{}, func(v *Value) error {
		got = append(got, visit{v.Kind, v.Pointer(), v.Start, v.End, string(v.Str)})
		return nil
	})
	if err != nil {
		t.Fatalf("WalkJSON(%q): %v", doc, err)
	}
	return got
}

func TestWalkVisits(t *testing.T) {
	tests := []struct {
		doc  string
		want []visit
	}{
		{`"x"`, []visit{{KindString, "", 0, 3, "x"}}},
		{` -1.5e+3 `, []visit{{KindNumber, "", 1, 8, "-1.5e+3"}}},
		{`[true,false,null]`, []visit{
			{KindArray, "", 0, -1, ""},
			{KindBool, "/0", 1, 5, "true"},
			{KindBool, "/1", 6, 11, "false"},
			{KindNull, "/2", 12, 16, "null"},
		}},
		{`{"a":{"b":[1,{"c":"d"}]},"e":[]}`, []visit{
			{KindObject, "", 0, -1, ""},
			{KindObject, "/a", 5, -1, ""},
			{KindArray, "/a/b", 10, -1, ""},
			{KindNumber, "/a/b/0", 11, 12, "1"},
			{KindObject, "/a/b/1", 13, -1, ""},
			{KindString, "/a/b/1/c", 18, 21, "d"},
			{KindArray, "/e", 29, -1, ""},
		}},
		// RFC 6901 escaping, empty names and names that need JSON escapes.
		{`{"a/b":1,"m~n":2,"":3,"~/":{"":4},"\u002f":5}`, []visit{
			{KindObject, "", 0, -1, ""},
			{KindNumber, "/a~1b", 7, 8, "1"},
			{KindNumber, "/m~0n", 15, 16, "2"},
			{KindNumber, "/", 20, 21, "3"},
			{KindObject, "/~0~1", 27, -1, ""},
			{KindNumber, "/~0~1/", 31, 32, "4"},
			{KindNumber, "/~1", 43, 44, "5"},
		}},
		{`{"é":"\u00e9","😀":"\ud83d\ude00","lone":"a\ud800b","pair?":"\udc00\ud800"}`, []visit{
			{KindObject, "", 0, -1, ""},
			{KindString, "/é", 6, 14, "é"},
			{KindString, "/😀", 22, 36, "😀"},
			{KindString, "/lone", 44, 54, "a\uFFFDb"},
			{KindString, "/pair?", 63, 77, "\uFFFD\uFFFD"},
		}},
		{`{"esc":"\"\\\/\b\f\n\r\t"}`, []visit{
			{KindObject, "", 0, -1, ""},
			{KindString, "/esc", 7, 25, "\"\\/\b\f\n\r\t"},
		}},
		{"\n{\n  \"k\" : [ 0 , -0.0e-0 ]\n}\n", []visit{
			{KindObject, "", 1, -1, ""},
			{KindArray, "/k", 11, -1, ""},
			{KindNumber, "/k/0", 13, 14, "0"},
			{KindNumber, "/k/1", 17, 24, "-0.0e-0"},
		}},
		// Huge numbers are literals, never converted.
		{`[123456789012345678901234567890e999999]`, []visit{
			{KindArray, "", 0, -1, ""},
			{KindNumber, "/0", 1, 38, "123456789012345678901234567890e999999"},
		}},
	}
	for _, tt := range tests {
		got := collect(t, tt.doc)
		if !slices.Equal(got, tt.want) {
			t.Errorf("WalkJSON(%q)\n got %+v\nwant %+v", tt.doc, got, tt.want)
		}
		for _, v := range got {
			if v.End > 0 && v.Kind != KindString && tt.doc[v.Start:v.End] != v.Str {
				t.Errorf("%q: span %d:%d is %q, want the literal %q", tt.doc, v.Start, v.End, tt.doc[v.Start:v.End], v.Str)
			}
		}
	}
}

func TestKeyIndexDepthSegments(t *testing.T) {
	doc := `{"records":[{"attributes":{"type":"Contact"},"":"x"}],"done":true}`
	type seg struct {
		Key   string
		Index int
		Nil   bool
	}
	type row struct {
		Key    string
		KeyNil bool
		Index  int
		Depth  int
		Segs   []seg
	}
	var got []row
	err := WalkJSON([]byte(doc), Limits{}, func(v *Value) error {
		r := row{Key: string(v.Key), KeyNil: v.Key == nil, Index: v.Index, Depth: v.Depth}
		for i := range v.Segments() {
			k, idx := v.Segment(i)
			r.Segs = append(r.Segs, seg{string(k), idx, k == nil})
		}
		got = append(got, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{"", true, -1, 0, nil},
		{"records", false, -1, 1, []seg{{"records", -1, false}}},
		{"", true, 0, 2, []seg{{"records", -1, false}, {"", 0, true}}},
		{"attributes", false, -1, 3, []seg{{"records", -1, false}, {"", 0, true}, {"attributes", -1, false}}},
		{"type", false, -1, 4, []seg{{"records", -1, false}, {"", 0, true}, {"attributes", -1, false}, {"type", -1, false}}},
		// The empty name is a name: non-nil.
		{"", false, -1, 3, []seg{{"records", -1, false}, {"", 0, true}, {"", -1, false}}},
		{"done", false, -1, 1, []seg{{"done", -1, false}}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestWalkErrors(t *testing.T) {
	deep := strings.Repeat("[", DefaultMaxDepth) + strings.Repeat("]", DefaultMaxDepth)
	tests := []struct {
		name, doc string
		code      string
		offset    int
	}{
		{"empty", ``, CodeInvalidJSON, 0},
		{"only space", "  \n", CodeInvalidJSON, 3},
		{"bom", "\ufeff{}", CodeInvalidJSON, 0},
		{"bad byte", `{"a":x}`, CodeInvalidJSON, 5},
		{"unclosed object", `{"a":1`, CodeInvalidJSON, 6},
		{"unclosed array", `[1,`, CodeInvalidJSON, 3},
		{"unclosed string", `["abc`, CodeInvalidJSON, 5},
		{"trailing comma obj", `{"a":1,}`, CodeInvalidJSON, 7},
		{"trailing comma arr", `[1,]`, CodeInvalidJSON, 3},
		{"missing colon", `{"a" 1}`, CodeInvalidJSON, 5},
		{"missing comma", `[1 2]`, CodeInvalidJSON, 3},
		{"unquoted key", `{a:1}`, CodeInvalidJSON, 1},
		{"single quotes", `['a']`, CodeInvalidJSON, 1},
		{"control char", "[\"a\tb\"]", CodeInvalidJSON, 3},
		{"bad escape", `["\x"]`, CodeInvalidJSON, 2},
		{"short unicode escape", `["\u12"]`, CodeInvalidJSON, 2},
		{"bad hex", `["\u12g4"]`, CodeInvalidJSON, 2},
		{"leading zero", `[01]`, CodeInvalidJSON, 2},
		{"leading plus", `[+1]`, CodeInvalidJSON, 1},
		{"bare minus", `[-]`, CodeInvalidJSON, 2},
		{"dot without digits", `[1.]`, CodeInvalidJSON, 3},
		{"leading dot", `[.5]`, CodeInvalidJSON, 1},
		{"exponent without digits", `[1e+]`, CodeInvalidJSON, 4},
		{"hex number", `[0x1]`, CodeInvalidJSON, 2},
		{"NaN", `[NaN]`, CodeInvalidJSON, 1},
		{"truncated literal", `[tru]`, CodeInvalidJSON, 4},
		{"literal run-on", `[truex]`, CodeInvalidJSON, 5},
		{"number run-on", `1x`, CodeInvalidJSON, 1},
		{"capital literal", `True`, CodeInvalidJSON, 0},
		{"invalid utf8 value", "[\"ab\xffc\"]", CodeInvalidUTF8, 4},
		{"invalid utf8 key", "{\"k\xc3\":1}", CodeInvalidUTF8, 3},
		{"utf8 surrogate bytes", "[\"\xed\xa0\x80\"]", CodeInvalidUTF8, 2},
		{"overlong utf8", "[\"\xc0\xaf\"]", CodeInvalidUTF8, 2},
		{"invalid utf8 outside", "[1,\xff]", CodeInvalidUTF8, 3},
		{"valid utf8 outside", "[1,é]", CodeInvalidJSON, 3},
		{"duplicate key", `{"a":1,"b":2,"a":3}`, CodeDuplicateKey, 13},
		{"duplicate via escape", `{"a":1,"\u0061":2}`, CodeDuplicateKey, 7},
		{"duplicate empty", `{"":1,"":2}`, CodeDuplicateKey, 6},
		{"duplicate nested", `[{"x":{"y":1,"y":2}}]`, CodeDuplicateKey, 13},
		{"too deep", "[" + deep + "]", CodeTooDeep, DefaultMaxDepth},
		{"too deep object", strings.Repeat(`{"a":`, DefaultMaxDepth+1) + "1" + strings.Repeat("}", DefaultMaxDepth+1), CodeTooDeep, 5 * DefaultMaxDepth},
		{"trailing value", `{} {}`, CodeTrailingData, 3},
		{"trailing garbage", "[1]\n x", CodeTrailingData, 5},
		{"trailing string", `"a""b"`, CodeTrailingData, 3},
		{"trailing nul", "1\x00", CodeInvalidJSON, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WalkJSON([]byte(tt.doc), Limits{}, nil)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error %s", err, tt.code)
			}
			if e.Code != tt.code || e.Offset != tt.offset {
				t.Errorf("err = %s@%d, want %s@%d", e.Code, e.Offset, tt.code, tt.offset)
			}
			if ErrorCode(err) != tt.code {
				t.Errorf("ErrorCode = %q", ErrorCode(err))
			}
			if json.Valid([]byte(tt.doc)) && tt.code == CodeInvalidJSON {
				t.Errorf("encoding/json accepts what we call a syntax error")
			}
		})
	}
	if err := WalkJSON([]byte(deep), Limits{}, nil); err != nil {
		t.Errorf("nesting of exactly DefaultMaxDepth: %v", err)
	}
}

// The error text carries code and offset, never the document.
func TestErrorHasNoDocumentBytes(t *testing.T) {
	for _, doc := range []string{`{"ssn":"123-45-6789",}`, "{\"ssn\":\"123-45-6789\xff\"}", `{"ssn":1,"ssn":2}`, `"123-45-6789" x`} {
		err := WalkJSON([]byte(doc), Limits{}, nil)
		if err == nil || strings.Contains(err.Error(), "6789") || strings.Contains(err.Error(), "ssn") {
			t.Errorf("WalkJSON(%q) = %v", doc, err)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	tests := []struct {
		max, nest int
		ok        bool
	}{
		{1, 1, true}, {1, 2, false}, {3, 3, true}, {3, 4, false}, {0, DefaultMaxDepth, true}, {0, DefaultMaxDepth + 1, false},
	}
	for _, tt := range tests {
		doc := strings.Repeat(`{"a":[`, tt.nest/2) + strings.Repeat("[", tt.nest%2) + "7" +
			strings.Repeat("]", tt.nest%2) + strings.Repeat(`]}`, tt.nest/2)
		deepest := -1
		err := WalkJSON([]byte(doc), Limits{MaxDepth: tt.max}, func(v *Value) error {
			deepest = max(deepest, v.Depth)
			return nil
		})
		if (err == nil) != tt.ok {
			t.Errorf("max %d, nesting %d: err = %v", tt.max, tt.nest, err)
		}
		if tt.ok && deepest != tt.nest {
			t.Errorf("max %d, nesting %d: deepest Depth = %d", tt.max, tt.nest, deepest)
		}
	}
}

// Objects past the linear scan use the hash table: duplicates are found at
// any size, in nested and sibling objects, after the table grew and after
// it was reused by another object at the same depth.
func TestDuplicateKeysLarge(t *testing.T) {
	obj := func(n int, extra ...string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, `"k%d":%d,`, i, i)
		}
		for _, e := range extra {
			b.WriteString(e + ",")
		}
		return strings.TrimSuffix(b.String(), ",") + "}"
	}
	tests := []struct {
		name string
		doc  string
		dup  bool
	}{
		{"linear unique", obj(linearKeys - 1), false},
		{"indexed unique", obj(linearKeys), false},
		{"1000 unique", obj(1000), false},
		{"dup as last linear", obj(linearKeys-1, `"k3":0`), true},
		{"dup as first indexed", obj(linearKeys, `"k0":0`), true},
		{"dup as second indexed", obj(linearKeys+1, `"k0":0`), true},
		{"dup after growth", obj(500, `"k499":0`), true},
		{"escaped dup in table", obj(100, `"\u006b42":0`), true},
		{"siblings reuse table", "[" + obj(100) + "," + obj(100) + "," + obj(40, `"k39":1`) + "]", true},
		{"siblings clean", "[" + obj(100) + "," + obj(100) + "," + obj(40) + "]", false},
		{"nested same names", `{"k0":` + obj(50) + `,"k1":` + obj(50) + "}", false},
		{"outer dup after big inner", obj(20, `"in":`+obj(60), `"k5":1`), true},
	}
	for _, tt := range tests {
		err := WalkJSON([]byte(tt.doc), Limits{}, nil)
		if got := ErrorCode(err) == CodeDuplicateKey; got != tt.dup || (!tt.dup && err != nil) {
			t.Errorf("%s: err = %v, want duplicate %v", tt.name, err, tt.dup)
		}
	}
}

func TestSkipChildrenAndCallbackErrors(t *testing.T) {
	doc := []byte(`{"a":{"b":1,"c":[2]},"d":3}`)
	var seen []string
	err := WalkJSON(doc, Limits{}, func(v *Value) error {
		seen = append(seen, v.Pointer())
		if string(v.Key) == "a" || v.Kind == KindNumber {
			return SkipChildren // a leaf ignores it
		}
		return nil
	})
	if err != nil || strings.Join(seen, " ") != " /a /d" {
		t.Errorf("seen %q, err %v", seen, err)
	}
	// Skipped contents are still validated.
	if err := WalkJSON([]byte(`[{"a":1,"a":2}]`), Limits{}, func(*Value) error { return SkipChildren }); ErrorCode(err) != CodeDuplicateKey {
		t.Errorf("skipped duplicate: %v", err)
	}
	stop := errors.New("stop")
	n := 0
	err = WalkJSON(doc, Limits{}, func(*Value) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Errorf("err = %v after %d calls, want the callback's error after 3", err, n)
	}
}

// Once its buffers are warm, a walker allocates nothing per value, even
// for names and strings with escapes and objects past the linear scan. (The
// pool is left out: under -race it drops items on purpose.)
func TestWalkAllocs(t *testing.T) {
	doc := append(salesforcePage(20)[:0:0], `[`...)
	doc = append(doc, salesforcePage(20)...)
	doc = append(doc, `,{"\u00e9\n":"\ud83d\ude00"}`...)
	doc = append(doc, `,{"k":0`...)
	for i := range 3 * linearKeys {
		doc = fmt.Appendf(doc, `,"k%d":1`, i)
	}
	doc = append(doc, "}]"...)
	var w walker
	n := 0
	fn := func(v *Value) error {
		n += len(v.Str) + len(v.Key)
		return nil
	}
	walk := func() {
		w.reset(doc, Limits{})
		w.onValue = fn
		if err := w.run(); err != nil {
			t.Fatal(err)
		}
	}
	walk()
	if a := testing.AllocsPerRun(20, walk); a != 0 {
		t.Errorf("a warm walk allocates %.1f times", a)
	}
}

func TestKeyTableSize(t *testing.T) {
	if minSlots&(minSlots-1) != 0 || minSlots < 2*linearKeys {
		t.Errorf("minSlots = %d: want a power of two at least twice linearKeys (%d)", minSlots, linearKeys)
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindString: "string", KindArray: "array", Kind(9): "invalid"} {
		if k.String() != want {
			t.Errorf("Kind(%d) = %q", k, k.String())
		}
	}
}
