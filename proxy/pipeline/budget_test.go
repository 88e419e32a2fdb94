package pipeline

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
)

// pathological is a body that costs the detectors their most: many values
// each full of near-miss candidates.
func pathological(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"records":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"Id":"003` + strconv.Itoa(i) + `","Description":"` + strings.Repeat("4111 1111 1111 111 a@b. +1 (555) 0", 20) + `"}`)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// A message whose inspection outlasts limits.inspection_budget fails
// closed: 503 inspection_budget_exceeded on the way in, 502 on the way
// out; the policy is never asked.
func TestInspectionBudgetFailsClosed(t *testing.T) {
	asked := false
	d := &decider{make: func(*policy.Input) (*policy.Decision, error) {
		asked = true
		return &policy.Decision{ID: "d", Allow: true}, nil
	}}
	p := pipe(d)
	p.budget = time.Nanosecond
	for _, tt := range []struct {
		dir    string
		status int
	}{{DirRequest, 503}, {DirResponse, 502}} {
		m := message()
		m.Direction, m.Body = tt.dir, pathological(2000)
		t0 := time.Now()
		res := p.Process(context.Background(), m)
		if res.Err == nil || res.Err.Code != crm.CodeInspectionBudgetExceeded || res.Err.Status != tt.status {
			t.Fatalf("%s: %+v", tt.dir, res.Err)
		}
		if asked {
			t.Fatalf("%s: the policy was asked", tt.dir)
		}
		// Stopped within budgetEvery values, not after the 2000 records.
		p.budget = 0
		t1 := time.Now()
		if res := p.Process(context.Background(), m); res.Err != nil {
			t.Fatal(res.Err)
		}
		if whole, cut := time.Since(t1), t1.Sub(t0); testing.Verbose() {
			t.Logf("%s: stopped after %v, whole %v", tt.dir, cut, whole)
		}
		p.budget, asked = time.Nanosecond, false
	}

	// The configured budget reaches the pipeline; a generous one passes.
	budget := time.Minute
	p = New(Options{Scanner: p.scanner, Decider: d, Metrics: p.metrics, Log: p.log, Limits: config.Limits{MaxJSONDepth: 64, InspectionBudget: &budget}})
	if p.budget != time.Minute {
		t.Fatalf("budget %v", p.budget)
	}
	if res := p.Process(context.Background(), message()); res.Err != nil {
		t.Fatal(res.Err)
	}
}

// A client gone stops the inspection: nothing is walked or decided.
func TestCanceledContextStopsInspection(t *testing.T) {
	asked := false
	d := &decider{make: func(*policy.Input) (*policy.Decision, error) {
		asked = true
		return &policy.Decision{ID: "d", Allow: true}, nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, m := range []*Message{message(), func() *Message { m := message(); m.Direction = DirRequest; return m }()} {
		m.Body = pathological(500)
		res := pipe(d).Process(ctx, m)
		if res.Err == nil || res.Err.Code != crm.CodeRequestCanceled || asked {
			t.Fatalf("%s: %+v (asked %v)", m.Direction, res.Err, asked)
		}
	}
	// The budget's own checks: every budgetEvery ticks, sticky.
	ctx, cancel = context.WithCancel(context.Background())
	b := newBudget(ctx, 0)
	for range budgetEvery {
		if err := b.tick(); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	for i := range budgetEvery {
		if err := b.tick(); err != nil {
			if i != budgetEvery-1 {
				t.Fatalf("stopped at tick %d", i)
			}
			break
		}
	}
	if b.check() == nil || newBudget(context.Background(), 0) != nil {
		t.Fatal("the budget")
	}
}

// An XML walk stops between values too.
func TestInspectionBudgetStopsXML(t *testing.T) {
	d := &decider{make: func(*policy.Input) (*policy.Decision, error) { return &policy.Decision{ID: "d", Allow: true}, nil }}
	p := pipe(d)
	p.budget = time.Nanosecond
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><QueryResult>`)
	for i := range 1000 {
		b.WriteString(`<records type="Contact"><Id>003` + strconv.Itoa(i) + `</Id><Email>a` + strconv.Itoa(i) + `@example.com</Email></records>`)
	}
	b.WriteString(`</QueryResult>`)
	m := message()
	m.Format, m.Body = FormatXML, []byte(b.String())
	res := p.Process(context.Background(), m)
	if res.Err == nil || res.Err.Code != crm.CodeInspectionBudgetExceeded {
		t.Fatalf("%+v", res.Err)
	}
}
