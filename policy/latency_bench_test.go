package policy

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/veil-proxy/veil/rules"
)

// latencyInput is a SOQL response page: n findings over Contacts of five
// fields each (email, phone, birthdate, SSN, card), every other record
// opted out of email, read by a sales rep for support. page varies the
// record ids and the principal id, which the default bundle declares it
// does not read: the same shape on another page or for another user.
func latencyInput(n, page int) *Input {
	in := &Input{
		Direction: "response", Route: "salesforce", Dialect: "salesforce", Method: "GET",
		Path: "/services/data/v62.0/query", Operation: "query", Object: "Contact",
		Principal: Principal{ID: fmt.Sprintf("u-%d", page%7), Roles: []string{"sales_rep"}, MFA: true, IP: "10.1.2.3"},
		Purpose:   "support",
		Stats:     map[string]int64{},
		Body:      Body{Format: BodyJSON, Inspected: true},
	}
	fields := []struct{ field, cat string }{{"Email", "email"}, {"Phone", "phone"}, {"Birthdate", "date_of_birth"}, {"SSN__c", "us_ssn"}, {"Card_Number__c", "credit_card"}}
	for r := 0; len(in.Findings) < n; r++ {
		in.Records = append(in.Records, Record{Index: r, Object: "Contact", ID: fmt.Sprintf("003%06d%09d", page, r),
			Pointer: fmt.Sprintf("/records/%d", r), Consent: map[string]bool{"email_opt_out": r%2 == 1}})
		for _, f := range fields {
			if len(in.Findings) == n {
				break
			}
			in.Findings = append(in.Findings, Finding{ID: len(in.Findings), Record: r, In: "body",
				Pointer: fmt.Sprintf("/records/%d/%s", r, f.field), Field: f.field, Category: f.cat, Detector: f.cat, Confidence: 0.97})
		}
	}
	return in
}

// BenchmarkDecideLatency reports ns/op and the p50/p99 of single decisions
// for 50 findings: "naive" is the engine as first written (the prepared
// query fed through OPA's generic Go-to-AST conversion, rego.EvalInput,
// no cache); "uncached" evaluates every message with the input built
// directly as AST; "cached" is the same shape again on other pages and
// for other users, answered from the decision cache.
func BenchmarkDecideLatency(b *testing.B) {
	ctx := context.Background()
	const findings = 50
	inputs := make([]*Input, 64)
	for i := range inputs {
		inputs[i] = latencyInput(findings, i)
	}
	run := func(b *testing.B, decide func(in *Input) error) {
		lat := make([]time.Duration, 0, 1<<16)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			t0 := time.Now()
			if err := decide(inputs[i%len(inputs)]); err != nil {
				b.Fatal(err)
			}
			if len(lat) < cap(lat) {
				lat = append(lat, time.Since(t0))
			}
			i++
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
	}
	b.Run("naive", func(b *testing.B) {
		c, err := compile(ctx, rules.FS)
		if err != nil {
			b.Fatal(err)
		}
		run(b, func(in *Input) error {
			rs, err := c.query.Eval(ctx, rego.EvalInput(in))
			if err != nil || len(rs) == 0 {
				return fmt.Errorf("eval: %v", err)
			}
			return nil
		})
	})
	for _, mode := range []struct {
		name    string
		noCache bool
	}{{"uncached", true}, {"cached", false}} {
		b.Run(mode.name, func(b *testing.B) {
			e, err := New(ctx, Options{FS: rules.FS, NoCache: mode.noCache})
			if err != nil {
				b.Fatal(err)
			}
			// Warm with page 0 only: the other pages and users are the
			// same shape, which the cache must see through.
			if _, err := e.Decide(ctx, inputs[0]); err != nil {
				b.Fatal(err)
			}
			run(b, func(in *Input) error { _, err := e.Decide(ctx, in); return err })
			if s := e.Stats(); !mode.noCache && s.CacheMisses != 1 {
				b.Fatalf("pages after the first missed the cache: %+v", s)
			}
		})
	}
}

// BenchmarkDecideExchange is the two cached decisions of one exchange of
// a 1 KB page, as the pipeline makes them: the request (its query, no
// body) and the response (one Contact, five findings), each with a
// fresh input.stats as the watch gives it, rounded to the bundle's
// stats_levels.
func BenchmarkDecideExchange(b *testing.B) {
	ctx := context.Background()
	e, err := New(ctx, Options{FS: rules.FS})
	if err != nil {
		b.Fatal(err)
	}
	stats := func() map[string]int64 {
		return map[string]int64{"principal_pii_records": 12, "principal_auth_failures": 0, "ip_auth_failures": 0,
			"principal_sensitive_values": 0, "principal_probes": 0}
	}
	p := Principal{ID: "analyst", Roles: []string{"analyst"}, IP: "10.1.2.3"}
	req := Input{Direction: "request", Route: "salesforce", Dialect: "salesforce", Method: "GET",
		Path: "/services/data/v62.0/query", Operation: "query", Object: "Contact", Principal: p, Purpose: "support",
		Records: []Record{}, Findings: []Finding{}, Body: Body{Format: "none", Inspected: true}}
	res := *latencyInput(5, 0)
	res.Principal = p
	b.ReportAllocs()
	for b.Loop() {
		for _, tmpl := range []*Input{&req, &res} {
			in := *tmpl
			in.Stats = stats()
			if _, err := e.Decide(ctx, &in); err != nil {
				b.Fatal(err)
			}
		}
	}
}
