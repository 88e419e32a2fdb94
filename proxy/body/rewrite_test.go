package body

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// starts maps each value's pointer to its Start.
func starts(t testing.TB, doc []byte) map[string]int {
	t.Helper()
	m := map[string]int{}
	if err := WalkJSON(doc, Limits{}, func(v *Value) error {
		m[v.Pointer()] = v.Start
		return nil
	}); err != nil {
		t.Fatalf("WalkJSON: %v", err)
	}
	return m
}

// edit is a test's edit, by pointer.
type edit struct {
	replace map[string]string
	drop    []string // by offset
	ptrs    []string // by DropPointers
}

func (ed edit) edits(t testing.TB, doc []byte) *Edits {
	at := starts(t, doc)
	e := &Edits{Replace: map[int][]byte{}, Drop: map[int]bool{}, DropPointers: ed.ptrs}
	for p, s := range ed.replace {
		off, ok := at[p]
		if !ok {
			t.Fatalf("no value at %q", p)
		}
		e.Replace[off] = []byte(s)
	}
	for _, p := range ed.drop {
		off, ok := at[p]
		if !ok {
			t.Fatalf("no value at %q", p)
		}
		e.Drop[off] = true
	}
	return e
}

func TestRewriteJSON(t *testing.T) {
	const pretty = "{\n  \"a\": 1,\n  \"b\": [\n    \"x\",\n    \"y\"\n  ],\n  \"c\": \"\\u00e9\"\n}\n"
	tests := []struct {
		name    string
		doc     string
		ed      edit
		want    string
		matched int
	}{
		{"replace string", `{"email":"a@b.c","n":1}`, edit{replace: map[string]string{"/email": "a***"}}, `{"email":"a***","n":1}`, 0},
		{"replace number with string", `{"phone":4155550100}`, edit{replace: map[string]string{"/phone": "***0100"}}, `{"phone":"***0100"}`, 0},
		{"replace needs escapes", `["x"]`, edit{replace: map[string]string{"/0": "q\"\\\n\u2028<&>"}}, `["q\"\\\n\u2028<&>"]`, 0},
		{"replace container", `{"a":{"b":[1,2]},"c":3}`, edit{replace: map[string]string{"/a": "[REDACTED]"}}, `{"a":"[REDACTED]","c":3}`, 0},
		{"replace top value", ` "secret" `, edit{replace: map[string]string{"": "x"}}, ` "x" `, 0},
		{"drop first member", `{"a":1,"b":2,"c":3}`, edit{drop: []string{"/a"}}, `{"b":2,"c":3}`, 0},
		{"drop middle member", `{"a":1,"b":2,"c":3}`, edit{drop: []string{"/b"}}, `{"a":1,"c":3}`, 0},
		{"drop last member", `{"a":1,"b":2,"c":3}`, edit{drop: []string{"/c"}}, `{"a":1,"b":2}`, 0},
		{"drop only member", `{"a":1}`, edit{drop: []string{"/a"}}, `{}`, 0},
		{"drop all members", `{"a":1,"b":2,"c":3}`, edit{drop: []string{"/a", "/b", "/c"}}, `{}`, 0},
		{"drop first two", `{"a":1,"b":2,"c":3}`, edit{drop: []string{"/a", "/b"}}, `{"c":3}`, 0},
		{"drop last two", `{"a":1,"b":2,"c":3}`, edit{drop: []string{"/b", "/c"}}, `{"a":1}`, 0},
		{"drop alternate", `[0,1,2,3,4]`, edit{drop: []string{"/0", "/2", "/4"}}, `[1,3]`, 0},
		{"drop array elements", `[0,1,2,3,4]`, edit{drop: []string{"/1", "/3"}}, `[0,2,4]`, 0},
		{"drop only element", `[[1]]`, edit{drop: []string{"/0/0"}}, `[[]]`, 0},
		{"drop container member", `{"a":{"b":[1,{"c":2}]},"d":4}`, edit{drop: []string{"/a"}}, `{"d":4}`, 0},
		{"drop inside dropped", `{"a":{"b":1},"d":4}`, edit{drop: []string{"/a", "/a/b"}, replace: map[string]string{"/a/b": "x"}}, `{"d":4}`, 0},
		{"drop wins over replace", `{"a":1,"b":2}`, edit{drop: []string{"/a"}, replace: map[string]string{"/a": "x"}}, `{"b":2}`, 0},
		{"pointer drops", `{"records":[{"Id":"1","Birthdate":"1990-01-01"},{"Id":"2","Birthdate":null}]}`,
			edit{ptrs: []string{"/records/0/Birthdate", "/records/1/Birthdate"}}, `{"records":[{"Id":"1"},{"Id":"2"}]}`, 2},
		{"pointer drops container", `{"records":[{"a":1},{"b":2}],"x":[]}`, edit{ptrs: []string{"/records/0", "/x"}}, `{"records":[{"b":2}]}`, 2},
		{"pointer escapes", `{"a/b":1,"m~n":2,"":3,"k":4}`, edit{ptrs: []string{"/a~1b", "/m~0n", "/"}}, `{"k":4}`, 3},
		{"pointer no match", `{"a":[1]}`, edit{ptrs: []string{"/b", "/a/1", "/a/-", "/a/01", "/a/0/x", "/a/00"}}, `{"a":[1]}`, 0},
		{"pointer index not a name", `{"0":1,"a":[2]}`, edit{ptrs: []string{"/0", "/a/0"}}, `{"a":[]}`, 2},
		{"pointer inside dropped counts", `{"a":{"b":1},"c":2}`, edit{ptrs: []string{"/a", "/a/b"}}, `{"c":2}`, 2},
		{"pointer same twice", `{"a":1,"c":2}`, edit{ptrs: []string{"/a", "/a"}}, `{"c":2}`, 2},
		{"unicode name pointer", `{"é":"x","b":1}`, edit{ptrs: []string{"/é"}}, `{"b":1}`, 1},
		{"escaped name pointer", `{"\u00e9":"x","b":1}`, edit{ptrs: []string{"/é"}}, `{"b":1}`, 1},
		{"mixed edits", `{"records":[{"Email":"a@b.c","Phone":"415","SSN":"123"},{"Email":"d@e.f"}],"done":true}`,
			edit{replace: map[string]string{"/records/0/Email": "a***", "/records/1/Email": "d***"}, drop: []string{"/records/0/SSN"}, ptrs: []string{"/records/0/Phone", "/done"}},
			`{"records":[{"Email":"a***"},{"Email":"d***"}]}`, 2},
		{"pretty replace", pretty, edit{replace: map[string]string{"/b/1": "Z"}},
			"{\n  \"a\": 1,\n  \"b\": [\n    \"x\",\n    \"Z\"\n  ],\n  \"c\": \"\\u00e9\"\n}\n", 0},
		{"pretty drop first", pretty, edit{drop: []string{"/a"}},
			"{\n  \"b\": [\n    \"x\",\n    \"y\"\n  ],\n  \"c\": \"\\u00e9\"\n}\n", 0},
		{"pretty drop last", pretty, edit{drop: []string{"/c"}},
			"{\n  \"a\": 1,\n  \"b\": [\n    \"x\",\n    \"y\"\n  ]\n}\n", 0},
		{"pretty drop middle element", "[\n  1 ,\n  2 ,\n  3\n]", edit{drop: []string{"/1"}}, "[\n  1 ,\n  3\n]", 0},
		{"pretty drop all", "{ \"a\" : 1 , \"b\" : 2 }", edit{drop: []string{"/a", "/b"}}, "{  }", 0},
		{"untouched escapes and numbers", `{"s":"\u0041\/","n":1.0E+2,"x":1}`, edit{drop: []string{"/x"}}, `{"s":"\u0041\/","n":1.0E+2}`, 0},
		{"no edits", " [ 1 ] ", edit{}, " [ 1 ] ", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := []byte(tt.doc)
			e := tt.ed.edits(t, doc)
			out, n, err := RewriteJSON([]byte("prefix:"), doc, e)
			if err != nil {
				t.Fatalf("RewriteJSON: %v", err)
			}
			got, ok := strings.CutPrefix(string(out), "prefix:")
			if !ok {
				t.Fatalf("dst not appended to: %q", out)
			}
			if got != tt.want || n != tt.matched {
				t.Errorf("got %q (%d matched)\nwant %q (%d matched)", got, n, tt.want, tt.matched)
			}
			checkRewrite(t, doc, []byte(got), e)
		})
	}
}

// checkRewrite checks out against encoding/json's view of doc with e
// applied.
func checkRewrite(t testing.TB, doc, out []byte, e *Edits) {
	t.Helper()
	if !json.Valid(out) {
		t.Fatalf("output is not valid JSON: %q", out)
	}
	drop, rep := map[string]bool{}, map[string]string{}
	err := WalkJSON(doc, Limits{MaxDepth: rewriteMaxDepth}, func(v *Value) error {
		p := v.Pointer()
		if e.Drop[v.Start] {
			drop[p] = true
		}
		if s, ok := e.Replace[v.Start]; ok {
			rep[p] = string([]rune(string(s))) // invalid UTF-8 → U+FFFD per byte
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range e.DropPointers {
		drop[p] = true
	}
	before, after := decode(t, doc), decode(t, out)
	want, _ := applyEdits(before, "", drop, rep)
	if !reflect.DeepEqual(after, want) {
		t.Errorf("output %q\nis %#v\nwant %#v", out, after, want)
	}
}

// decode is encoding/json's reading of doc, numbers kept as literals.
func decode(t testing.TB, doc []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return v
}

// applyEdits is the reference: the edits applied to a decoded document. It
// reports false when the value at p itself is dropped.
func applyEdits(v any, p string, drop map[string]bool, rep map[string]string) (any, bool) {
	if drop[p] {
		return nil, false
	}
	if s, ok := rep[p]; ok {
		return s, true
	}
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, c := range x {
			name := strings.NewReplacer("~", "~0", "/", "~1").Replace(k)
			if nv, keep := applyEdits(c, p+"/"+name, drop, rep); keep {
				out[k] = nv
			}
		}
		return out, true
	case []any:
		out := []any{}
		for i, c := range x {
			if nv, keep := applyEdits(c, p+"/"+strconv.Itoa(i), drop, rep); keep {
				out = append(out, nv)
			}
		}
		return out, true
	}
	return v, true
}

func TestRewriteErrors(t *testing.T) {
	doc := []byte(`{"a":"x","b":[1]}`)
	tests := []struct {
		name   string
		doc    []byte
		e      *Edits
		code   string
		offset int
	}{
		{"offset of a name", doc, &Edits{Replace: map[int][]byte{1: []byte("y")}}, CodeInvalidEdit, 1},
		{"offset inside a value", doc, &Edits{Drop: map[int]bool{6: true, 15: true}}, CodeInvalidEdit, 6},
		{"offset past the end", doc, &Edits{Drop: map[int]bool{99: true}}, CodeInvalidEdit, 99},
		{"drop the top value", doc, &Edits{Drop: map[int]bool{0: true}}, CodeInvalidEdit, 0},
		{"drop the top value by pointer", doc, &Edits{DropPointers: []string{""}}, CodeInvalidEdit, 0},
		{"pointer without slash", doc, &Edits{DropPointers: []string{"/a", "a"}}, CodeInvalidEdit, 1},
		{"pointer with bad tilde", doc, &Edits{DropPointers: []string{"/a~2"}}, CodeInvalidEdit, 0},
		{"pointer with final tilde", doc, &Edits{DropPointers: []string{"/a~"}}, CodeInvalidEdit, 0},
		{"invalid document", []byte(`{"a":1,"a":2}`), &Edits{Drop: map[int]bool{5: true}}, CodeDuplicateKey, 7},
	}
	for _, tt := range tests {
		dst := []byte("keep")
		out, n, err := RewriteJSON(dst, tt.doc, tt.e)
		var e *Error
		if !errors.As(err, &e) || e.Code != tt.code || e.Offset != tt.offset {
			t.Errorf("%s: err = %v, want %s at %d", tt.name, err, tt.code, tt.offset)
		}
		if string(out) != "keep" || n != 0 {
			t.Errorf("%s: dst = %q, n = %d: want it unchanged", tt.name, out, n)
		}
	}
}

// Rewriting checks nesting like encoding/json, not with the default limit:
// the caller's WalkJSON applied its own.
func TestRewriteDeepDocument(t *testing.T) {
	doc := []byte(strings.Repeat("[", 200) + `"x",1` + strings.Repeat("]", 200))
	out, _, err := RewriteJSON(nil, doc, &Edits{Drop: map[int]bool{200: true}})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat("[", 200) + "1" + strings.Repeat("]", 200); string(out) != want {
		t.Errorf("got %q", out)
	}
}

// A page with edits in every record matches encoding/json's reading.
func TestRewriteSalesforcePage(t *testing.T) {
	doc := salesforcePage(50)
	e := &Edits{Replace: map[int][]byte{}, Drop: map[int]bool{}, DropPointers: []string{"/records/7", "/nextRecordsUrl"}}
	err := WalkJSON(doc, Limits{}, func(v *Value) error {
		switch string(v.Key) {
		case "Email", "attributes":
			e.Replace[v.Start] = []byte("***")
		case "Birthdate", "MobilePhone":
			e.Drop[v.Start] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out, n, err := RewriteJSON(nil, doc, e)
	if err != nil || n != 2 {
		t.Fatalf("n = %d, err = %v", n, err)
	}
	checkRewrite(t, doc, out, e)
}
