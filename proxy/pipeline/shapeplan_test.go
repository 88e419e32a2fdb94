package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy/benchdata"
	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
)

// inputs records the policy input of every decision, as JSON.
type inputs struct {
	Decider
	seen []string
}

// KeepsInput is the wrapped decider's: inputs reads an input only while
// deciding, so the pooled findings are exercised as in the proxy.
func (r *inputs) KeepsInput() bool {
	k, ok := r.Decider.(inputKeeper)
	return !ok || k.KeepsInput()
}

func (r *inputs) Decide(ctx context.Context, in *policy.Input) (*policy.Decision, error) {
	b, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	r.seen = append(r.seen, string(b))
	return r.Decider.Decide(ctx, in)
}

// What is worked out once per shape (field classifications, clean names,
// member roles) is what working it out per value gives: the same policy
// input, the same body, the same summary, on pages where one shape meets
// other objects, wrappers, filters and nesting, and past the walk's bound
// on shapes.
func TestShapePlansMatchPerValue(t *testing.T) {
	var wide strings.Builder
	wide.WriteString(`{"records":[`)
	for i := range 500 { // past maxShapes (nine new ones a record): the later values have none
		if i > 0 {
			wide.WriteByte(',')
		}
		fmt.Fprintf(&wide, `{"attributes":{"type":"Contact"},"Id":"003000000000%03dAAA","P%d":{"Email":"p%d@example.com","Name":"Ana Lima",`+
			`"Phone":"+1 415 555 0199","A":"x","B":"y","C":"z","D":"w","E":"v"},"Email":"q%d@example.com"}`, i, i, i, i)
	}
	wide.WriteString(`],"totalSize":500,"done":true}`)
	unshaped := 0
	if err := body.WalkJSON([]byte(wide.String()), body.Limits{}, func(v *body.Value) error {
		if v.Shape == body.NoShape {
			unshaped++
		}
		return nil
	}); err != nil || unshaped == 0 {
		t.Fatalf("the wide page: %v, %d values without a shape", err, unshaped)
	}
	sosl := crm.Classify(config.DialectSalesforce, "GET", "/services/data/v62.0/search", nil)
	query := crm.Classify(config.DialectSalesforce, "GET", "/services/data/v62.0/query", nil)
	hsSearch := crm.Classify(config.DialectHubSpot, "POST", "/crm/v3/objects/contacts/search", nil)
	hs := &config.Route{Name: "hubspot", Dialect: config.DialectHubSpot}
	for _, tc := range []struct {
		name  string
		route *config.Route
		dir   string
		call  crm.Call
		body  string
	}{
		{"query page", sfRoute, DirResponse, query, string(benchdata.QueryPage(12))},
		{"mixed objects", sfRoute, DirResponse, sosl, `{"searchRecords":[` +
			`{"attributes":{"type":"Account"},"Id":"001000000000001AAA","Name":"Acme Corp","Phone":"+1 415 555 0100"},` +
			`{"attributes":{"type":"Contact"},"Id":"003000000000001AAA","Name":"Ana Lima","Phone":"+1 415 555 0101"},` +
			`{"attributes":{"type":"Account"},"Id":"001000000000002AAA","Name":"Jane Roe","Phone":"+1 415 555 0102"},` +
			`{"attributes":{"type":"Contact"},"Id":"003000000000002AAA","Name":"Acme Corp","HasOptedOutOfEmail":true}]}`},
		{"parents and subqueries", sfRoute, DirResponse, crm.Call{Operation: crm.OpQuery, Object: "Case", Collection: true, Parents: true}, `{"records":[` +
			`{"attributes":{"type":"Case"},"Id":"500000000000001AAA","Contact":{"attributes":{"type":"Contact"},"Email":"a@example.com","HasOptedOutOfEmail":true},"Subject":"a@example.com"},` +
			`{"attributes":{"type":"Case"},"Id":"500000000000002AAA","Subject":"b@example.com","Contact":{"attributes":{"type":"Contact"},"HasOptedOutOfEmail":false,"Email":"b@example.com"},` +
			`"CaseComments":{"records":[{"attributes":{"type":"CaseComment"},"CommentBody":"call 415 555 0199"}]}}]}`},
		{"wrappers", sfRoute, DirResponse, crm.Call{Operation: crm.OpRetrieve, Object: "Contact"},
			`{"fields":{"Birthdate":{"value":"1960-01-02","displayValue":"1/2/1960"},"Email":{"value":"a@example.com"},"Title":{"value":"1960-01-02"}}}`},
		{"filters", hs, DirRequest, hsSearch, `{"filterGroups":[{"filters":[{"propertyName":"date_of_birth","operator":"EQ","value":"1960-01-02"},` +
			`{"propertyName":"email","operator":"EQ","value":"a@example.com"},{"value":"1960-01-02","propertyName":"city","operator":"EQ"}]}],` +
			`"properties":["email"],"4111111111111111":"name"}`},
		{"hubspot consent", hs, DirResponse, hsSearch, `{"results":[{"id":"1","properties":{"email":"a@example.com","hs_email_optout":"true"}},` +
			`{"id":"2","properties":{"hs_email_optout":null,"email":"b@example.com"}}]}`},
		{"past the bound", sfRoute, DirResponse, query, wide.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(plans bool) (Result, []string) {
				noPlans = !plans
				defer func() { noPlans = false }()
				p := realPipe(t, config.Limits{})
				rec := &inputs{Decider: p.decider}
				p.decider = rec
				m := &Message{Direction: tc.dir, Route: tc.route, Method: "GET", Path: "/x", Call: tc.call,
					Scope: principal("analyst"), Body: []byte(tc.body)}
				res := p.Process(context.Background(), m)
				return res, rec.seen
			}
			want, wantIn := run(false)
			got, gotIn := run(true)
			if !reflect.DeepEqual(gotIn, wantIn) {
				t.Fatalf("policy input by shape:\n%s\nper value:\n%s", gotIn, wantIn)
			}
			if len(wantIn) == 0 || !strings.Contains(wantIn[0], `"findings":[{`) {
				t.Fatalf("no findings reached the policy: %s", wantIn)
			}
			if (got.Err == nil) != (want.Err == nil) || got.Err != nil && (got.Err.Code != want.Err.Code || got.Err.Message != want.Err.Message) {
				t.Fatalf("refusal by shape %+v, per value %+v", got.Err, want.Err)
			}
			if string(got.Body) != string(want.Body) || got.Changed != want.Changed ||
				!reflect.DeepEqual(got.Summary, want.Summary) || !reflect.DeepEqual(got.Fields, want.Fields) {
				t.Fatalf("result by shape %+v, per value %+v", got, want)
			}
		})
	}
}

// FuzzShapePlans: on any document, the scan by shape finds what the scan
// per value finds, value by value and name by name, with the same fields.
func FuzzShapePlans(f *testing.F) {
	for _, d := range []string{
		string(benchdata.QueryPage(3)),
		`{"searchRecords":[{"attributes":{"type":"Account"},"Name":"Jane Roe"},{"attributes":{"type":"Contact"},"Name":"Jane Roe"}]}`,
		`{"fields":{"Birthdate":{"value":"1960-01-02"}},"x":[{"value":"1960-01-02"},{"propertyName":"date_of_birth","value":"1960-01-02"}]}`,
		`{"a":{"4111111111111111":1},"b":[{"4111111111111111":2},{"c":"4111 1111 1111 1111"}]}`,
	} {
		f.Add([]byte(d))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		want, werr := scanForPlans(doc, false, nil)
		got, gerr := scanForPlans(doc, true, nil)
		if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(got, want) {
			t.Fatalf("by shape (%v):\n%q\nper value (%v):\n%q", gerr, got, werr, want)
		}
	})
}

var (
	plansScanner = detectors.NewScanner(detectors.Default())
	plansLimits  = body.Limits{MaxDepth: 64}
)

// scanForPlans is what scanJSONNames reports of doc, value by value and
// name by name, by shape or per value, with kept shapes or not.
func scanForPlans(doc []byte, plans bool, kept *shapesKept) ([]string, error) {
	noPlans = !plans
	defer func() { noPlans = false }()
	var out []string
	err := scanJSONNames(plansScanner, doc, plansLimits, func(v *body.Value, _ *shapePlan, fd *detectors.Field, finds []detectors.Finding) error {
		out = append(out, fmt.Sprintf("%s %+v %+v", v.Pointer(), fd, finds))
		return nil
	}, jsonScan{kept: kept, name: func(v *body.Value, finds []detectors.Finding) error {
		out = append(out, fmt.Sprintf("name %s %+v", v.Pointer(), finds))
		return nil
	}})
	return out, err
}

// FuzzKeptShapePlans: with shapes and plans kept from one document to the
// next, each of two documents scans as it does per value.
func FuzzKeptShapePlans(f *testing.F) {
	page := string(benchdata.QueryPage(2))
	for _, d := range [][2]string{
		{page, page},
		{`{"records":[{"attributes":{"type":"Account"},"Name":"Acme"}]}`, `{"records":[{"attributes":{"type":"Contact"},"Name":"Jane Roe"}]}`},
		{`{"records":[{"Name":"Jane Roe","Email":"a@example.com"}]}`, `{"records":[{"Email":"b@example.com","Name":"Jo Doe","Name":"x"}]}`},
		{`{"a":{"4111111111111111":1}}`, `{"a":{"4111111111111111":2,"b":"4111 1111 1111 1111"}}`},
		{`{"x":[{"value":"1960-01-02"}]}`, `{"x":[{"propertyName":"date_of_birth","value":"1960-01-02"}]}`},
	} {
		f.Add([]byte(d[0]), []byte(d[1]))
	}
	f.Fuzz(func(t *testing.T, doc1, doc2 []byte) {
		var kept shapesKept
		kept.shapes.Reset()
		for i, doc := range [][]byte{doc1, doc2} {
			want, werr := scanForPlans(doc, false, nil)
			got, gerr := scanForPlans(doc, true, &kept)
			if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(got, want) {
				t.Fatalf("document %d, kept shapes (%v):\n%q\nper value (%v):\n%q", i+1, gerr, got, werr, want)
			}
		}
	})
}

// Nothing of one message is left in the buffers the next one reuses (the
// record table, the pointers, the plans): messages of different shapes,
// taken in turn, each get the policy input they get alone.
func TestPooledBuffersCarryNothingOver(t *testing.T) {
	query := crm.Classify(config.DialectSalesforce, "GET", "/services/data/v62.0/query", nil)
	msgs := []struct {
		dir  string
		call crm.Call
		body string
	}{
		{DirResponse, query, string(benchdata.QueryPage(20))},
		{DirRequest, crm.Call{Operation: crm.OpCreate, Object: "Contact"}, `{"Email":"x@example.com","HasOptedOutOfEmail":true}`},
		{DirResponse, query, `{"records":[{"attributes":{"type":"Lead"},"Phone":"+1 415 555 0100"}]}`},
		{DirResponse, query, `{"records":[{"Id":"003000000000009AAA","Email":"y@example.com","HasOptedOutOfEmail":false},{"Email":"z@example.com"}]}`},
	}
	p := realPipe(t, config.Limits{})
	rec := &inputs{Decider: p.decider}
	p.decider = rec
	// Each message follows a different one in each order.
	first := make([]string, len(msgs))
	for round, order := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {1, 3, 0, 2}, {2, 0, 3, 1}} {
		for _, i := range order {
			mc := msgs[i]
			rec.seen = rec.seen[:0]
			m := &Message{Direction: mc.dir, Route: sfRoute, Method: "GET", Path: "/x", Call: mc.call,
				Scope: principal("analyst"), Body: []byte(mc.body)}
			p.Process(context.Background(), m)
			if len(rec.seen) != 1 {
				t.Fatalf("message %d: %d decisions", i, len(rec.seen))
			}
			if round == 0 {
				first[i] = rec.seen[0]
			} else if rec.seen[0] != first[i] {
				t.Fatalf("message %d, round %d:\n%s\nwas\n%s", i, round, rec.seen[0], first[i])
			}
		}
	}
}

// Shapes and plans kept from message to message give every message what
// working it out per value gives it alone: messages of other kinds
// (collections or not, other dialects), other objects under the same
// names and other shapes follow each other in every order through one
// Pipeline.
func TestKeptShapePlansMatchPerValue(t *testing.T) {
	query := crm.Classify(config.DialectSalesforce, "GET", "/services/data/v62.0/query", nil)
	sosl := crm.Classify(config.DialectSalesforce, "GET", "/services/data/v62.0/search", nil)
	retrieve := crm.Call{Operation: crm.OpRetrieve, Object: "Contact"}
	hsSearch := crm.Classify(config.DialectHubSpot, "POST", "/crm/v3/objects/contacts/search", nil)
	hs := &config.Route{Name: "hubspot", Dialect: config.DialectHubSpot}
	contacts := `{"records":[{"attributes":{"type":"Contact"},"Id":"003000000000001AAA","Name":"Jane Roe","Email":"a@example.com","HasOptedOutOfEmail":true}]}`
	parents := `{"records":[{"attributes":{"type":"Case"},"Id":"500000000000001AAA","Contact":{"attributes":{"type":"Contact"},"Id":"003000000000005AAA",` +
		`"Email":"f@example.com","HasOptedOutOfEmail":true},"Subject":"g@example.com"}]}`
	composite := `{"compositeResponse":[{"body":{"attributes":{"type":"Contact"},"Id":"003000000000003AAA","Email":"d@example.com","HasOptedOutOfEmail":true},` +
		`"httpStatusCode":200},{"body":{"attributes":{"type":"Contact"},"Id":"003000000000004AAA","Email":"e@example.com","HasOptedOutOfEmail":false},"httpStatusCode":200}]}`
	msgs := []struct {
		route *config.Route
		dir   string
		call  crm.Call
		body  string
	}{
		{sfRoute, DirResponse, query, contacts},
		{sfRoute, DirResponse, query, `{"records":[{"attributes":{"type":"Account"},"Id":"001000000000001AAA","Name":"Jane Roe","Email":"b@example.com"}]}`},
		{sfRoute, DirResponse, retrieve, contacts}, // the same names, not a collection: other sites
		{sfRoute, DirResponse, sosl, `{"searchRecords":[{"attributes":{"type":"Contact"},"Id":"003000000000002AAA","Name":"Ana Lima","HasOptedOutOfEmail":false},` +
			`{"attributes":{"type":"Account"},"Id":"001000000000002AAA","Name":"Acme Corp"}]}`},
		{hs, DirResponse, hsSearch, `{"results":[{"id":"1","properties":{"email":"a@example.com","hs_email_optout":"true"}}]}`},
		{hs, DirResponse, query, contacts}, // a Salesforce page's names on a HubSpot route
		{sfRoute, DirResponse, query, string(benchdata.QueryPage(3))},
		{sfRoute, DirRequest, crm.Call{Operation: crm.OpCreate, Object: "Contact"}, `{"Name":"Jane Roe","Email":"c@example.com","HasOptedOutOfEmail":false}`},
		// Only the operation differs, then only whether it is a collection.
		{sfRoute, DirResponse, crm.Call{Operation: crm.OpComposite, Collection: true, Parents: true}, composite},
		{sfRoute, DirResponse, crm.Call{Operation: crm.OpQuery, Collection: true, Parents: true}, composite},
		{sfRoute, DirResponse, crm.Call{Operation: crm.OpQuery, Object: "Contact", Parents: true}, contacts},
		// Only whether parents are records of their own differs.
		{sfRoute, DirResponse, crm.Call{Operation: crm.OpQuery, Object: "Case", Collection: true, Parents: true}, parents},
		{sfRoute, DirResponse, crm.Call{Operation: crm.OpQuery, Object: "Case", Collection: true}, parents},
	}
	process := func(p *Pipeline, rec *inputs, i int) (Result, string) {
		mc := msgs[i]
		rec.seen = rec.seen[:0]
		m := &Message{Direction: mc.dir, Route: mc.route, Method: "GET", Path: "/x", Call: mc.call,
			Scope: principal("analyst"), Body: []byte(mc.body)}
		res := p.Process(context.Background(), m)
		if len(rec.seen) != 1 {
			t.Fatalf("message %d: %d decisions", i, len(rec.seen))
		}
		return res, rec.seen[0]
	}
	// Each message alone, per value.
	wantRes, wantIn := make([]Result, len(msgs)), make([]string, len(msgs))
	noPlans = true
	for i := range msgs {
		p := realPipe(t, config.Limits{})
		rec := &inputs{Decider: p.decider}
		p.decider = rec
		wantRes[i], wantIn[i] = process(p, rec, i)
	}
	noPlans = false
	p := realPipe(t, config.Limits{})
	rec := &inputs{Decider: p.decider}
	p.decider = rec
	for _, order := range [][]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
		{2, 0, 5, 1, 8, 3, 12, 10, 7, 11, 9, 4, 6}, {0, 10, 0, 2, 2, 1, 1, 5, 5, 9, 8, 9, 11, 12, 11}} {
		for _, i := range order {
			got, in := process(p, rec, i)
			if in != wantIn[i] {
				t.Fatalf("order %v, message %d: policy input with kept shapes\n%s\nper value, alone\n%s", order, i, in, wantIn[i])
			}
			want := wantRes[i]
			if string(got.Body) != string(want.Body) || (got.Err == nil) != (want.Err == nil) ||
				!reflect.DeepEqual(got.Summary, want.Summary) || !reflect.DeepEqual(got.Fields, want.Fields) {
				t.Fatalf("order %v, message %d: result with kept shapes %+v, per value alone %+v", order, i, got, want)
			}
		}
	}
}
