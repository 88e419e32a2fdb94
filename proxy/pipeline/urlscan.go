package pipeline

import (
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/crm"
)

// Where a finding sits (policy.Finding.In).
const (
	InBody  = "body"
	InQuery = "query" // pointer /<parameter>
	InPath  = "path"  // pointer /<segment index>
)

// urlValue is one value of a request URL that the detectors scan: a query
// parameter (a SOQL or SOSL literal inside q), or a path segment.
type urlValue struct {
	in      string
	pointer string
	field   string // the field it names, for hints: the SOQL field, the parameter, the segment before
	value   string

	// Where value sits, so that a finding in it can be rewritten (a
	// tokenized search term): query parameter param's value number index
	// (in "path": segment index), from byte at; at is -1 where value is not
	// a verbatim substring (a SOQL literal with escapes).
	param string
	index int
	at    int
}

// urlValues lists the values of a request URL worth scanning, in a stable
// order: query parameters by name, then path segments. A SOQL/SOSL q is
// split into its literals, each under the field it is compared with
// ("WHERE Email = 'jane@x.com'" is an email in field Email), so hints work
// as they do in bodies. HubSpot's ?idProperty=email names the field of the
// record id in the path.
func urlValues(u *url.URL, q url.Values) []urlValue {
	if q == nil {
		q = u.Query()
	}
	segs := strings.Split(strings.TrimPrefix(u.Path, "/"), "/") // u.Path is decoded
	// Room for a value a parameter and a segment, and a query's literals:
	// the slice grows only for a long query.
	n := len(segs) + 8
	names := make([]string, 0, len(q))
	for k, vs := range q {
		names = append(names, k)
		n += len(vs)
	}
	out := make([]urlValue, 0, n)
	sort.Strings(names)
	for _, k := range names {
		ptr := "/" + body.EscapePointerToken(k)
		for i, v := range q[k] {
			p := ptr
			if len(q[k]) > 1 {
				p += "/" + strconv.Itoa(i)
			}
			if k == "q" {
				// The literals under the fields they are compared with, and
				// the rest of q scanned too: a search term need not be
				// quoted (parameterizedSearch?q=jane@x.com).
				lits, gaps := crm.QueryParts(v)
				for _, lit := range lits {
					out = append(out, urlValue{in: InQuery, pointer: p, field: lit.Field, value: lit.Value, param: k, index: i, at: lit.At})
				}
				for _, g := range gaps {
					out = append(out, urlValue{in: InQuery, pointer: p, field: k, value: g.Value, param: k, index: i, at: g.At})
				}
				continue
			}
			out = append(out, urlValue{in: InQuery, pointer: p, field: k, value: v, param: k, index: i})
		}
	}
	idProperty := q.Get("idProperty")
	for i, s := range segs {
		if s == "" {
			continue
		}
		field := ""
		if i > 0 {
			field = segs[i-1]
		}
		if idProperty != "" && i == len(segs)-1 {
			field = idProperty
		}
		out = append(out, urlValue{in: InPath, pointer: segmentPointer(i), field: field, value: s, index: i})
	}
	return out
}

// segmentPointers are the pointers of a path's first segments, made once.
var segmentPointers = func() (p [16]string) {
	for i := range p {
		p[i] = "/" + strconv.Itoa(i)
	}
	return p
}()

// segmentPointer is "/<i>", the pointer of path segment i.
func segmentPointer(i int) string {
	if i < len(segmentPointers) {
		return segmentPointers[i]
	}
	return "/" + strconv.Itoa(i)
}
