package policy

import (
	"math"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

func sampleInput() *Input {
	return &Input{
		Direction: "response", Route: "salesforce", Dialect: "salesforce", Method: "GET",
		Path: "/services/data/v62.0/query", Operation: "query", Object: "Contact",
		Principal: Principal{ID: "u-42", Roles: []string{"sales_rep", "marketing"}, MFA: true, IP: "10.1.2.3"},
		Purpose:   "support",
		Records: []Record{
			{Index: 0, Object: "Contact", ID: "003A", Consent: map[string]bool{"email_opt_out": true, "call_opt_out": false}},
			{Index: 7, Object: "Lead", ID: "00QB", Consent: map[string]bool{}},
		},
		Findings: []Finding{
			{ID: 0, Record: 0, In: "body", Pointer: "/records/0/Email", Field: "Email", Category: "email", Detector: "email", Confidence: 0.99},
			{ID: 1, Record: -1, In: "query", Pointer: "/records/0/Desc~1ription", Field: "Desc/ription", Category: "credit_card", Detector: "credit_card", Confidence: 1},
			{ID: 1 << 40, Record: 7, Pointer: "", Field: "", Category: "", Detector: "", Confidence: 1e-9},
		},
		Stats:     map[string]int64{"principal_pii_records_1h": 1200, "big": math.MaxInt64, "neg": -3},
		Truncated: true,
		Body:      Body{Format: BodyBinary, Reason: ReasonBinaryContent, Download: true},
		Predicates: []Predicate{
			{Object: "Contact", Field: "SSN__c", Clause: "where", Op: "like", Categories: []string{"us_ssn"}},
			{Field: "ALL FIELDS", Clause: "search", Op: "search", Categories: []string{"person_name", "email", "phone"}},
			{Field: "Email", Clause: "order_by", Op: "sort", Categories: []string{}},
		},
	}
}

// viaJSON is the conversion astValue replaces: a JSON round trip.
func viaJSON(t testing.TB, in *Input) ast.Value {
	t.Helper()
	v, err := ast.InterfaceToValue(in)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestASTValueMatchesJSON(t *testing.T) {
	cases := map[string]*Input{
		"realistic":   sampleInput(),
		"empty lists": {Principal: Principal{Roles: []string{}}, Records: []Record{}, Findings: []Finding{}, Stats: map[string]int64{}, Predicates: []Predicate{}},
	}
	for name, b := range map[string]Body{
		"inspected":  {Format: BodyJSON, Inspected: true},
		"no body":    {Format: BodyNone, Inspected: true},
		"over limit": {Format: BodyCSV, Reason: ReasonOverLimit},
		"download":   {Format: BodyBinary, Download: true},
	} {
		in := sampleInput()
		in.Body = b
		cases[name] = in
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			got, want := in.astValue(), viaJSON(t, in)
			if got.Compare(want) != 0 {
				t.Errorf("direct conversion differs from JSON:\n got %v\nwant %v", got, want)
			}
		})
	}
}

// Nil slices and maps become empty collections, not null, so that Rego
// iterates them without a type check.
func TestASTValueNilCollectionsAreEmpty(t *testing.T) {
	v := (&Input{}).astValue()
	want := ast.MustParseTerm(`{"direction": "", "route": "", "dialect": "", "method": "", "path": "", "operation": "", "object": "",
		"principal": {"id": "", "roles": [], "mfa": false, "ip": ""}, "purpose": "",
		"records": [], "findings": [], "stats": {}, "truncated": false,
		"body": {"format": "", "inspected": false}, "predicates": []}`).Value
	if v.Compare(want) != 0 {
		t.Errorf("got %v", v)
	}
	rec := (&Input{Records: []Record{{}}}).astValue().(ast.Object).Get(ast.StringTerm("records"))
	if got := rec.String(); got != `[{"consent": {}, "id": "", "index": 0, "object": "", "pointer": ""}]` {
		t.Errorf("record with nil consent: %s", got)
	}
}

func TestASTValueNonFiniteConfidence(t *testing.T) {
	for _, c := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		in := &Input{Findings: []Finding{{Confidence: c}}}
		f := in.astValue().(ast.Object).Get(ast.StringTerm("findings")).Value.(*ast.Array).Elem(0)
		if got := f.Value.(ast.Object).Get(ast.StringTerm("confidence")); got.Value.Compare(ast.Number("0")) != 0 {
			t.Errorf("confidence %v became %v", c, got)
		}
	}
}

func FuzzASTValue(f *testing.F) {
	f.Add("response", "sales_rep", "/records/0/Email", "Email", "email", 3, -1, 0.5, int64(7), true, true)
	f.Add("", "", "", "", "", 0, 0, 0.0, int64(0), false, false)
	f.Add("ünïcode\x00", "r\"ole", "/a~0b~1c", "\u2028", "cat\n", -5, 1<<30, 1e300, int64(-1), true, false)
	f.Fuzz(func(t *testing.T, dir, role, ptr, field, cat string, id, rec int, conf float64, stat int64, mfa, optOut bool) {
		if math.IsNaN(conf) || math.IsInf(conf, 0) {
			t.Skip("no JSON form; TestASTValueNonFiniteConfidence covers it")
		}
		if string([]rune(cat)) == string([]rune(role)) {
			t.Skip("two consent keys that coerce to one: which value survives follows map order, in JSON too")
		}
		in := &Input{
			Direction: dir, Path: ptr, Purpose: cat,
			Principal:  Principal{ID: role, Roles: []string{role, dir}, MFA: mfa, IP: field},
			Records:    []Record{{Index: rec, ID: field, Object: cat, Consent: map[string]bool{cat: optOut, role: !optOut}}},
			Findings:   []Finding{{ID: id, Record: rec, Pointer: ptr, Field: field, Category: cat, Detector: role, Confidence: conf}},
			Stats:      map[string]int64{field: stat},
			Body:       Body{Format: field, Inspected: mfa, Reason: cat, Download: optOut},
			Predicates: []Predicate{{Object: cat, Field: field, Clause: dir, Op: role, Categories: []string{cat, role}}},
		}
		if got, want := in.astValue(), viaJSON(t, in); got.Compare(want) != 0 {
			t.Errorf("direct conversion differs from JSON:\n got %v\nwant %v", got, want)
		}
	})
}

func BenchmarkInputToValue(b *testing.B) {
	in := sampleInput()
	for range 16 {
		in.Findings = append(in.Findings, in.Findings...)
		if len(in.Findings) >= 50 {
			in.Findings = in.Findings[:50]
			break
		}
	}
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = in.astValue()
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = viaJSON(b, in)
		}
	})
}
