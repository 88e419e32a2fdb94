package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/identity"
	"github.com/veil-proxy/veil/proxy/metrics"
	"github.com/veil-proxy/veil/proxy/scope"
)

// decider answers with a fixed decision built from the input it saw.
type decider struct {
	seen *policy.Input
	make func(in *policy.Input) (*policy.Decision, error)
}

func (d *decider) Decide(_ context.Context, in *policy.Input) (*policy.Decision, error) {
	d.seen = in
	return d.make(in)
}

func pipe(d Decider) *Pipeline {
	return New(Options{Scanner: detectors.NewScanner(detectors.Default()), Decider: d, Metrics: metrics.New(prometheus.NewRegistry(), "t"), Log: zap.NewNop(), Limits: config.Limits{MaxJSONDepth: 64}})
}

var sfRoute = &config.Route{Name: "salesforce", Dialect: config.DialectSalesforce}

const page = `{"totalSize":2,"done":true,"records":[
 {"attributes":{"type":"Contact"},"Id":"003A","Email":"jane@example.com","Birthdate":"1980-01-02","HasOptedOutOfEmail":true,"Description":"card 4111 1111 1111 1111"},
 {"attributes":{"type":"Contact"},"Id":"003B","Email":"joe@example.com","Birthdate":"1990-03-04","HasOptedOutOfEmail":false,"Description":"none"}]}`

func message() *Message {
	return &Message{
		Direction: DirResponse, Route: sfRoute, Method: "GET", Path: "/services/data/v62.0/query",
		Call:  crm.Call{Operation: crm.OpQuery, Object: "Contact", Collection: true},
		Scope: &scope.Scope{Principal: scopePrincipal(), Purpose: "support"}, Body: []byte(page),
	}
}

func TestInputCarriesRecordsAndFindings(t *testing.T) {
	d := &decider{make: func(*policy.Input) (*policy.Decision, error) { return &policy.Decision{ID: "d", Allow: true}, nil }}
	res := pipe(d).Process(context.Background(), message())
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	in := d.seen
	if len(in.Records) != 2 || in.Records[0].ID != "003A" || in.Records[0].Object != "Contact" || !in.Records[0].Consent["email_opt_out"] || in.Records[1].Consent["email_opt_out"] {
		t.Fatalf("records = %+v", in.Records)
	}
	cats := map[string]string{}
	for _, f := range in.Findings {
		cats[f.Pointer] = f.Category
		if f.Record < 0 || f.Field == "" || f.Detector == "" {
			t.Errorf("finding without record/field/detector: %+v", f)
		}
	}
	for p, want := range map[string]string{"/records/0/Email": "email", "/records/1/Birthdate": "date_of_birth", "/records/0/Description": "credit_card"} {
		if cats[p] != want {
			t.Errorf("finding at %s = %q, want %q (all: %v)", p, cats[p], want, cats)
		}
	}
	if in.Principal.ID != "p" || in.Purpose != "support" || in.Operation != "query" || in.Direction != "response" {
		t.Errorf("input header = %+v", in)
	}
}

// Each record carries its own pointer (for a policy that drops it whole)
// and the consent flags the configuration adds; a whole record can be
// dropped from the page.
func TestRecordPointersConsentFieldsAndRecordDrop(t *testing.T) {
	d := &decider{make: func(in *policy.Input) (*policy.Decision, error) {
		dec := &policy.Decision{ID: "d", Allow: true, Default: map[string]string{"email": "allow", "date_of_birth": "allow", "credit_card": "mask"}}
		for _, r := range in.Records {
			if r.Consent["sale_opt_out"] {
				dec.Drop = append(dec.Drop, r.Pointer)
			}
		}
		return dec, nil
	}}
	p := pipe(d)
	p.consent = map[string]string{"Do_Not_Sell__c": "sale_opt_out"}
	m := message()
	m.Body = []byte(`{"totalSize":2,"done":true,"records":[
 {"attributes":{"type":"Contact"},"Id":"003A","Email":"jane@example.com","Do_Not_Sell__c":true},
 {"attributes":{"type":"Contact"},"Id":"003B","Email":"joe@example.com","Do_Not_Sell__c":false}]}`)
	res := p.Process(context.Background(), m)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	in := d.seen
	if len(in.Records) != 2 || in.Records[0].Pointer != "/records/0" || in.Records[1].Pointer != "/records/1" ||
		!in.Records[0].Consent["sale_opt_out"] || in.Records[1].Consent["sale_opt_out"] {
		t.Fatalf("records = %+v", in.Records)
	}
	var out struct{ Records []map[string]any }
	if err := json.Unmarshal(res.Body, &out); err != nil {
		t.Fatalf("%v: %s", err, res.Body)
	}
	if len(out.Records) != 1 || out.Records[0]["Id"] != "003B" {
		t.Errorf("the opted-out record was not dropped: %s", res.Body)
	}
	// A single-record body's record is the whole body: pointer "".
	single := message()
	single.Call = crm.Call{Operation: crm.OpRetrieve, Object: "Contact"}
	single.Body = []byte(`{"attributes":{"type":"Contact"},"Id":"003A","Email":"jane@example.com"}`)
	d.make = func(*policy.Input) (*policy.Decision, error) { return &policy.Decision{ID: "d", Allow: true}, nil }
	if res := p.Process(context.Background(), single); res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(d.seen.Records) != 1 || d.seen.Records[0].Pointer != "" {
		t.Errorf("single record = %+v", d.seen.Records)
	}
}

func TestActionsAreApplied(t *testing.T) {
	d := &decider{make: func(in *policy.Input) (*policy.Decision, error) {
		dec := &policy.Decision{ID: "d", Allow: true, Default: map[string]string{"email": "mask", "credit_card": "mask", "date_of_birth": "allow"}, Drop: []string{"/records/1/Description"}}
		for _, f := range in.Findings {
			if f.Record == 0 && f.Category == "email" {
				dec.Actions = append(dec.Actions, policy.FindingAction{Finding: f.ID, Action: "redact"})
			}
			if f.Record == 1 && f.Category == "date_of_birth" {
				dec.Actions = append(dec.Actions, policy.FindingAction{Finding: f.ID, Action: "drop"})
			}
		}
		return dec, nil
	}}
	res := pipe(d).Process(context.Background(), message())
	if res.Err != nil || !res.Changed {
		t.Fatalf("err %v changed %v", res.Err, res.Changed)
	}
	var got struct {
		Records []map[string]any `json:"records"`
	}
	if err := json.Unmarshal(res.Body, &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, res.Body)
	}
	r0, r1 := got.Records[0], got.Records[1]
	checks := []struct {
		name      string
		got, want any
	}{
		{"redacted email (per-finding override)", r0["Email"], "[REDACTED:email]"},
		{"masked email (category default)", r1["Email"], "j***@example.com"},
		{"masked card inside free text", r0["Description"], "card **** **** **** 1111"},
		{"allowed birthdate", r0["Birthdate"], "1980-01-02"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	if _, ok := r1["Birthdate"]; ok {
		t.Error("drop action left the member in place")
	}
	if _, ok := r1["Description"]; ok {
		t.Error("decision.drop pointer left the member in place")
	}
}

func TestBlockAndFailures(t *testing.T) {
	tests := []struct {
		name   string
		make   func(in *policy.Input) (*policy.Decision, error)
		body   string
		status int
		code   string
	}{
		{"deny", func(*policy.Input) (*policy.Decision, error) {
			return &policy.Decision{ID: "d1", Deny: []policy.Reason{{Rule: "r1"}}}, nil
		}, page, 403, crm.CodePolicyDenied},
		{"block action", func(in *policy.Input) (*policy.Decision, error) {
			return &policy.Decision{ID: "d2", Allow: true, Default: map[string]string{"credit_card": "block"}}, nil
		}, page, 403, crm.CodePolicyDenied},
		{"policy error", func(*policy.Input) (*policy.Decision, error) { return nil, errors.New("boom") }, page, 502, crm.CodePolicyError},
		{"undecodable", func(*policy.Input) (*policy.Decision, error) { return &policy.Decision{Allow: true}, nil }, `{"a":1,"a":2}`, 502, crm.CodeUpstreamInvalidBody},
	}
	for _, tt := range tests {
		m := message()
		m.Body = []byte(tt.body)
		res := pipe(&decider{make: tt.make}).Process(context.Background(), m)
		if res.Err == nil || res.Err.Status != tt.status || res.Err.Code != tt.code {
			t.Errorf("%s: %+v, want %d %s", tt.name, res.Err, tt.status, tt.code)
		}
	}
}

func TestUnknownCategoryDefaultsToRedact(t *testing.T) {
	d := &decider{make: func(*policy.Input) (*policy.Decision, error) { return &policy.Decision{ID: "d", Allow: true}, nil }}
	res := pipe(d).Process(context.Background(), message())
	if res.Err != nil || !res.Changed {
		t.Fatal(res.Err)
	}
	var got struct {
		Records []map[string]any `json:"records"`
	}
	_ = json.Unmarshal(res.Body, &got)
	if got.Records[0]["Email"] != "[REDACTED:email]" {
		t.Fatalf("a category the policy did not decide must be redacted, got %v", got.Records[0]["Email"])
	}
}

func scopePrincipal() identity.Principal {
	return identity.Principal{ID: "p", Roles: []string{"sales_rep"}}
}

// Every data row of a Bulk API CSV is a record: the policy sees its id and
// consent flags, and dropping the record empties the whole row.
func TestCSVRowsAreRecords(t *testing.T) {
	d := &decider{make: func(in *policy.Input) (*policy.Decision, error) {
		dec := &policy.Decision{ID: "d", Allow: true, Default: map[string]string{"email": "allow"}}
		for _, r := range in.Records {
			if r.Consent["email_opt_out"] {
				dec.Drop = append(dec.Drop, r.Pointer)
			}
		}
		return dec, nil
	}}
	m := message()
	m.Format = FormatCSV
	m.Body = []byte("Id,Email,HasOptedOutOfEmail,Do_Not_Sell__c\n" +
		"003A,jane@example.com,true,false\n" +
		"003B,joe@example.com,false,TRUE\n" +
		"003C,,true,false\n")
	p := pipe(d)
	p.consent = map[string]string{"Do_Not_Sell__c": "sale_opt_out"}
	res := p.Process(context.Background(), m)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	in := d.seen
	// 003C holds no finding: it is not sent to the policy.
	if len(in.Records) != 2 || in.Records[0].ID != "003A" || in.Records[0].Pointer != "/0" || in.Records[1].ID != "003B" || in.Records[1].Pointer != "/1" ||
		!in.Records[0].Consent["email_opt_out"] || in.Records[0].Consent["sale_opt_out"] ||
		in.Records[1].Consent["email_opt_out"] || !in.Records[1].Consent["sale_opt_out"] {
		t.Fatalf("records = %+v", in.Records)
	}
	for _, f := range in.Findings {
		if f.Category == "email" && (f.Record < 0 || f.Record > 1) {
			t.Errorf("finding outside its row's record: %+v", f)
		}
	}
	want := "Id,Email,HasOptedOutOfEmail,Do_Not_Sell__c\n" +
		",,,\n" +
		"003B,joe@example.com,false,TRUE\n" +
		"003C,,true,false\n"
	if string(res.Body) != want {
		t.Errorf("body = %q, want %q", res.Body, want)
	}
}

// The input tells a consent flag the CRM left unset (null: HubSpot's for a
// property never set, false) from one the response does not carry (absent,
// which the policy treats as unknown and fails closed on).
func TestConsentNullIsFalseAbsentIsUnknown(t *testing.T) {
	d := &decider{make: func(*policy.Input) (*policy.Decision, error) { return &policy.Decision{ID: "d", Allow: true}, nil }}
	m := message()
	m.Route = &config.Route{Name: "hubspot", Dialect: config.DialectHubSpot}
	m.Path = "/crm/v3/objects/contacts"
	m.Call = crm.Call{Operation: crm.OpQuery, Object: "contacts", Collection: true}
	m.Body = []byte(`{"results":[
 {"id":"1","properties":{"email":"jane@example.com","hs_email_optout":null}},
 {"id":"2","properties":{"email":"joe@example.com"}},
 {"id":"3","properties":{"email":"ann@example.com","hs_email_optout":"true"}}]}`)
	if res := pipe(d).Process(context.Background(), m); res.Err != nil {
		t.Fatal(res.Err)
	}
	recs := d.seen.Records
	if len(recs) != 3 {
		t.Fatalf("records = %+v", recs)
	}
	if v, ok := recs[0].Consent["email_opt_out"]; !ok || v {
		t.Errorf("null flag: consent = %v, want email_opt_out false", recs[0].Consent)
	}
	if _, ok := recs[1].Consent["email_opt_out"]; ok {
		t.Errorf("absent flag: consent = %v, want no email_opt_out key", recs[1].Consent)
	}
	if !recs[2].Consent["email_opt_out"] {
		t.Errorf("set flag: consent = %v", recs[2].Consent)
	}
	if recs[0].Object != "contacts" {
		t.Errorf("object = %q", recs[0].Object)
	}
}
