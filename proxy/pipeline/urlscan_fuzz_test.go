package pipeline

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/crm"
)

// FuzzURLValues reads a request target as net/http does and checks what
// the pipeline scans of it and how it rewrites it:
//
//   - urlValues lists every query value (q split into its SOQL/SOSL
//     literals) and every non-empty path segment, each exactly once, under
//     its pointer; a value with an offset is exactly there, so a rewrite
//     at it rewrites nothing else;
//   - tokenizing every finding the detectors make in those values (as
//     planURL and rewriteURL do) leaves, read back, every tokenized value
//     spliced with its tokens and nothing else changed: the other query
//     parameters and the path's segments, as decoded and as sent.
func FuzzURLValues(f *testing.F) {
	for _, s := range []string{
		"/crm/v3/objects/contacts/jane%40x.com?idProperty=email",
		"/services/data/v62.0/query?q=SELECT+Id+FROM+Contact+WHERE+SSN__c+%3D+%27123-45-6789%27+AND+Email+%3D+%27a%40b.c%27",
		"/services/data/v62.0/search?q=FIND+%7B4111+1111+1111+1111%7D+IN+ALL+FIELDS",
		"/services/data/v62.0/query?q=SELECT+Id+FROM+Contact+WHERE+LastName+%3D+%27O%5C%27Brien%27",
		"/crm/v3/objects/contacts/123-45-6789?idProperty=ssn&b=2&b=123-45-6789",
		"/a%2Fb/123-45-6789?x=1&x=2&a%2Fb=%zz",
		"/services/data/v62.0/sobjects/Contact/003A?fields=Email;Phone&q=x",
		"//x/?;", "*", "/?q='", "/?q={",
	} {
		f.Add(s)
	}
	s := detectors.NewScanner(detectors.Default())
	f.Fuzz(func(t *testing.T, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		q := u.Query()
		segs := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
		vals := urlValues(u, nil)

		type place struct {
			in, param string
			index     int
		}
		listed := map[place]int{}
		for _, v := range vals {
			pl := place{v.in, v.param, v.index}
			listed[pl]++
			switch v.in {
			case InQuery:
				vs := q[v.param]
				if v.index < 0 || v.index >= len(vs) {
					t.Fatalf("%q: value %d of %q, which has %d", target, v.index, v.param, len(vs))
				}
				want := "/" + body.EscapePointerToken(v.param)
				if len(vs) > 1 {
					want += "/" + strconv.Itoa(v.index)
				}
				if v.pointer != want {
					t.Fatalf("%q: pointer %q, want %q", target, v.pointer, want)
				}
				raw := vs[v.index]
				if v.param != "q" {
					if v.value != raw || v.at != 0 || v.field != v.param {
						t.Fatalf("%q: %+v is not %q=%q", target, v, v.param, raw)
					}
					continue
				}
				if v.at >= 0 && (v.at+len(v.value) > len(raw) || raw[v.at:v.at+len(v.value)] != v.value) {
					t.Fatalf("%q: literal %q is not at %d of %q", target, v.value, v.at, raw)
				}
				listed[pl] = 1 // a q holds any number of literals
			case InPath:
				if v.index < 0 || v.index >= len(segs) || segs[v.index] != v.value || v.value == "" || v.pointer != "/"+strconv.Itoa(v.index) || v.at != 0 {
					t.Fatalf("%q: segment %+v of %q", target, v, segs)
				}
			default:
				t.Fatalf("%q: value in %q", target, v.in)
			}
		}
		for k, vs := range q {
			for i := range vs {
				if n := listed[place{InQuery, k, i}]; n != 1 && !(k == "q" && n == 0 && len(crm.QueryLiterals(vs[i])) == 0) {
					t.Fatalf("%q: %q value %d listed %d times", target, k, i, n)
				}
			}
		}
		for i, seg := range segs {
			if n := listed[place{InPath, "", i}]; seg != "" && n != 1 {
				t.Fatalf("%q: segment %d listed %d times", target, i, n)
			}
		}

		// Tokenize every finding in place, as the pipeline does for a
		// policy that says tokenize.
		var (
			urls []urlFind
			w    vaultWork
		)
		w.out = map[int][]byte{}
		var scratch []detectors.Finding
		want := map[place]string{}
		// Later literals of a value first, so that splicing one leaves the
		// offsets of those before it valid (a q holds several).
		byAt := append([]urlValue(nil), vals...)
		sort.SliceStable(byAt, func(a, b int) bool { return byAt[a].at > byAt[b].at })
		for _, v := range byAt {
			if v.at < 0 {
				continue // refused by the pipeline, never rewritten
			}
			scratch = s.Scan(scratch[:0], []byte(v.value), detectors.ClassifyFieldOf("", v.field))
			if len(scratch) == 0 {
				continue
			}
			pl := place{v.in, v.param, v.index}
			cur, ok := want[pl]
			if !ok {
				if v.in == InQuery {
					cur = q[v.param][v.index]
				} else {
					cur = segs[v.index]
				}
			}
			// Splice from the last finding back, as rewriteURL does.
			for k := len(scratch) - 1; k >= 0; k-- {
				fd := scratch[k]
				i := len(urls)
				urls = append(urls, urlFind{id: i, v: v, start: fd.Start, end: fd.End, category: fd.Category})
				tok := "TOK" + strconv.Itoa(i) + "END"
				w.out[urlKey(i)] = []byte(tok)
				cur = cur[:v.at+fd.Start] + tok + cur[v.at+fd.End:]
			}
			want[pl] = cur
		}
		if len(urls) == 0 {
			return
		}
		before := *u
		rewriteURL(u, urls, &w)
		q2 := u.Query()
		segs2 := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
		if len(segs2) != len(segs) {
			t.Fatalf("%q rewrote to %q: %d path segments, were %d", target, u.RequestURI(), len(segs2), len(segs))
		}
		if sent, was := strings.Count(u.EscapedPath(), "/"), strings.Count(before.EscapedPath(), "/"); sent != was {
			t.Fatalf("%q rewrote to %q: the path sent has %d segments, the client's %d", target, u.RequestURI(), sent, was)
		}
		for i := range segs {
			exp, ok := want[place{InPath, "", i}]
			if !ok {
				exp = segs[i]
			}
			if segs2[i] != exp {
				t.Fatalf("%q rewrote to %q: segment %d is %q, want %q", target, u.RequestURI(), i, segs2[i], exp)
			}
		}
		if len(q2) != len(q) {
			t.Fatalf("%q rewrote to %q: %d parameters, were %d", target, u.RequestURI(), len(q2), len(q))
		}
		for k, vs := range q {
			if len(q2[k]) != len(vs) {
				t.Fatalf("%q rewrote to %q: %q has %d values, had %d", target, u.RequestURI(), k, len(q2[k]), len(vs))
			}
			for i := range vs {
				exp, ok := want[place{InQuery, k, i}]
				if !ok {
					exp = vs[i]
				}
				if q2[k][i] != exp {
					t.Fatalf("%q rewrote to %q: %q value %d is %q, want %q", target, u.RequestURI(), k, i, q2[k][i], exp)
				}
			}
		}
	})
}

// TestRewriteURLKeepsEscapedSlashes: found by FuzzURLValues. A tokenized
// path segment was written back by joining the decoded path, so a slash
// the client had escaped inside another segment (%2F) became a separator
// and the CRM was sent a path with one more segment.
func TestRewriteURLKeepsEscapedSlashes(t *testing.T) {
	for target, want := range map[string]string{
		"/a%2Fb/123-45-6789?x=1":                              "/a%2Fb/TOK?x=1",
		"/a%2F123-45-6789/c":                                  "/a%2FTOK/c",
		"/crm/v3/objects/contacts/123-45-6789?idProperty=ssn": "/crm/v3/objects/contacts/TOK?idProperty=ssn",
		"/x%20y/123-45-6789":                                  "/x%20y/TOK",
	} {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			t.Fatal(err)
		}
		var urls []urlFind
		w := vaultWork{out: map[int][]byte{}}
		for _, v := range urlValues(u, nil) {
			if i := strings.Index(v.value, "123-45-6789"); i >= 0 && v.in == InPath {
				w.out[urlKey(len(urls))] = []byte("TOK")
				urls = append(urls, urlFind{id: len(urls), v: v, start: i, end: i + 11, category: "us_ssn"})
			}
		}
		rewriteURL(u, urls, &w)
		if got := u.RequestURI(); got != want {
			t.Errorf("%s: sent as %s, want %s", target, got, want)
		}
	}
}
