package policy

import (
	"math"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Key terms of the input document, built once. Terms are never mutated by
// evaluation, so every input can share them.
var (
	kDirection  = ast.StringTerm("direction")
	kRoute      = ast.StringTerm("route")
	kDialect    = ast.StringTerm("dialect")
	kMethod     = ast.StringTerm("method")
	kPath       = ast.StringTerm("path")
	kOperation  = ast.StringTerm("operation")
	kObject     = ast.StringTerm("object")
	kPrincipal  = ast.StringTerm("principal")
	kPurpose    = ast.StringTerm("purpose")
	kRecords    = ast.StringTerm("records")
	kFindings   = ast.StringTerm("findings")
	kStats      = ast.StringTerm("stats")
	kTruncated  = ast.StringTerm("truncated")
	kID         = ast.StringTerm("id")
	kRoles      = ast.StringTerm("roles")
	kMFA        = ast.StringTerm("mfa")
	kIP         = ast.StringTerm("ip")
	kIndex      = ast.StringTerm("index")
	kConsent    = ast.StringTerm("consent")
	kRecord     = ast.StringTerm("record")
	kPointer    = ast.StringTerm("pointer")
	kIn         = ast.StringTerm("in")
	kField      = ast.StringTerm("field")
	kCategory   = ast.StringTerm("category")
	kDetector   = ast.StringTerm("detector")
	kConfidence = ast.StringTerm("confidence")
	kTokenCat   = ast.StringTerm("token_category")
	kBody       = ast.StringTerm("body")
	kFormat     = ast.StringTerm("format")
	kInspected  = ast.StringTerm("inspected")
	kReason     = ast.StringTerm("reason")
	kDownload   = ast.StringTerm("download")
	kPredicates = ast.StringTerm("predicates")
	kClause     = ast.StringTerm("clause")
	kOp         = ast.StringTerm("op")
	kCategories = ast.StringTerm("categories")
)

// astValue converts the input to the ast.Value the evaluator reads. Building
// it directly skips ast.InterfaceToValue's JSON round trip of the struct
// (reflection, an encoded copy and a generic decode): about four times
// faster with a quarter of the allocations (BenchmarkInputToValue), and
// input_test.go proves both give the same value. A nil slice or map becomes
// an empty array or object, never null, so Rego iterates it without a type
// check.
func (in *Input) astValue() ast.Value {
	c := converter{}
	return ast.NewObject(
		ast.Item(kDirection, str(in.Direction)),
		ast.Item(kRoute, str(in.Route)),
		ast.Item(kDialect, str(in.Dialect)),
		ast.Item(kMethod, str(in.Method)),
		ast.Item(kPath, str(in.Path)),
		ast.Item(kOperation, str(in.Operation)),
		ast.Item(kObject, str(in.Object)),
		ast.Item(kPrincipal, in.Principal.term()),
		ast.Item(kPurpose, str(in.Purpose)),
		ast.Item(kRecords, c.records(in.Records)),
		ast.Item(kFindings, c.findings(in.Findings)),
		ast.Item(kStats, stats(in.Stats)),
		ast.Item(kTruncated, ast.InternedTerm(in.Truncated)),
		ast.Item(kBody, in.Body.term()),
		ast.Item(kPredicates, c.predicates(in.Predicates)),
	)
}

func (c *converter) predicates(ps []Predicate) *ast.Term {
	ts := make([]*ast.Term, len(ps))
	for i := range ps {
		p := &ps[i]
		cats := make([]*ast.Term, len(p.Categories))
		for j, cat := range p.Categories {
			cats[j] = c.str(cat)
		}
		ts[i] = ast.ObjectTerm(
			ast.Item(kObject, c.str(p.Object)),
			ast.Item(kField, c.str(p.Field)),
			ast.Item(kClause, c.str(p.Clause)),
			ast.Item(kOp, c.str(p.Op)),
			ast.Item(kCategories, ast.ArrayTerm(cats...)),
		)
	}
	return ast.ArrayTerm(ts...)
}

// term is the body's description as JSON encodes it: reason and download
// are left out when empty, as their omitempty tags say.
func (b *Body) term() *ast.Term {
	o := ast.NewObjectWithCapacity(4)
	o.Insert(kFormat, str(b.Format))
	o.Insert(kInspected, ast.InternedTerm(b.Inspected))
	if b.Reason != "" {
		o.Insert(kReason, str(b.Reason))
	}
	if b.Download {
		o.Insert(kDownload, ast.InternedTerm(true))
	}
	return ast.NewTerm(o)
}

func (p *Principal) term() *ast.Term {
	roles := make([]*ast.Term, len(p.Roles))
	for i, r := range p.Roles {
		roles[i] = str(r)
	}
	return ast.ObjectTerm(
		ast.Item(kID, str(p.ID)),
		ast.Item(kRoles, ast.ArrayTerm(roles...)),
		ast.Item(kMFA, ast.InternedTerm(p.MFA)),
		ast.Item(kIP, str(p.IP)),
	)
}

// converter shares one term per distinct repeated value (field names,
// categories, detectors, confidences) within an input: a page of 50
// Contacts repeats the same few, and each term saved is two allocations.
type converter struct {
	strs  map[string]*ast.Term
	confs map[float64]*ast.Term
}

func (c *converter) str(s string) *ast.Term {
	if t, ok := c.strs[s]; ok {
		return t
	}
	if c.strs == nil {
		c.strs = make(map[string]*ast.Term, 16)
	}
	t := str(s)
	c.strs[s] = t
	return t
}

func (c *converter) confidence(f float64) *ast.Term {
	if t, ok := c.confs[f]; ok {
		return t
	}
	if c.confs == nil {
		c.confs = make(map[float64]*ast.Term, 4)
	}
	t := confidence(f)
	c.confs[f] = t
	return t
}

func (c *converter) records(rs []Record) *ast.Term {
	ts := make([]*ast.Term, len(rs))
	for i := range rs {
		r := &rs[i]
		ts[i] = ast.ObjectTerm(
			ast.Item(kIndex, ast.InternedTerm(r.Index)),
			ast.Item(kObject, c.str(r.Object)),
			ast.Item(kID, str(r.ID)),
			ast.Item(kPointer, str(r.Pointer)),
			ast.Item(kConsent, c.consent(r.Consent)),
		)
	}
	return ast.ArrayTerm(ts...)
}

func (c *converter) consent(m map[string]bool) *ast.Term {
	o := ast.NewObjectWithCapacity(len(m))
	for k, v := range m {
		o.Insert(c.str(k), ast.InternedTerm(v))
	}
	return ast.NewTerm(o)
}

func (c *converter) findings(fs []Finding) *ast.Term {
	ts := make([]*ast.Term, len(fs))
	for i := range fs {
		f := &fs[i]
		ts[i] = ast.ObjectTerm(
			ast.Item(kID, ast.InternedTerm(f.ID)),
			ast.Item(kRecord, ast.InternedTerm(f.Record)),
			ast.Item(kIn, c.str(f.In)),
			ast.Item(kPointer, str(f.Pointer)),
			ast.Item(kField, c.str(f.Field)),
			ast.Item(kCategory, c.str(f.Category)),
			ast.Item(kDetector, c.str(f.Detector)),
			ast.Item(kConfidence, c.confidence(f.Confidence)),
			ast.Item(kTokenCat, c.str(f.TokenCategory)),
		)
	}
	return ast.ArrayTerm(ts...)
}

func stats(m map[string]int64) *ast.Term {
	o := ast.NewObjectWithCapacity(len(m))
	for k, v := range m {
		o.Insert(str(k), ast.InternedTerm(v))
	}
	return ast.NewTerm(o)
}

// confidence is the finding's confidence as a number. NaN and infinities
// have no JSON form (an ast.Number holding "NaN" breaks comparisons), so they
// become 0: a detector that cannot say how sure it is, is not sure.
func confidence(c float64) *ast.Term {
	if math.IsNaN(c) || math.IsInf(c, 0) {
		c = 0
	}
	return ast.FloatNumberTerm(c)
}

// str returns the term for s: interned for the strings OPA keeps, fresh
// otherwise. Invalid UTF-8 is coerced the way encoding/json does it, one
// U+FFFD per bad byte, so the policy sees the same string as from a JSON
// input (veil policy eval) and built-ins never meet broken text.
func str(s string) *ast.Term {
	if !utf8.ValidString(s) {
		s = string([]rune(s))
	}
	return ast.InternedTerm(s)
}
