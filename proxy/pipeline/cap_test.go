package pipeline

import (
	"context"
	"strconv"
	"strings"
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
	"github.com/veil-proxy/veil/rules"
)

// realPipe is a pipeline deciding with the default bundle (rules/).
func realPipe(t *testing.T, lim config.Limits) *Pipeline {
	t.Helper()
	e, err := policy.New(context.Background(), policy.Options{FS: rules.FS, NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if lim.MaxJSONDepth == 0 {
		lim.MaxJSONDepth = 64
	}
	return New(Options{Scanner: detectors.NewScanner(detectors.Default()), Decider: e, Metrics: metrics.New(prometheus.NewRegistry(), "t"), Log: zap.NewNop(), Limits: lim})
}

func principal(role string) *scope.Scope {
	return &scope.Scope{Principal: identity.Principal{ID: "demo-" + role, Roles: []string{role}}, Purpose: "support"}
}

// A cap is not a bypass: a write with more findings than the cap and a
// card in free text past it is refused by pci_card_in_free_text, as it is
// under the cap, with the real rules.
func TestFindingsPastTheCapStillDeny(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"Emails__c":[`)
	for i := range DefaultMaxFindings + 1 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"u` + strconv.Itoa(i) + `@example.com"`)
	}
	b.WriteString(`],"Description":"paid with 4111 1111 1111 1111"}`)
	m := &Message{
		Direction: DirRequest, Route: sfRoute, Method: "PATCH", Path: "/services/data/v62.0/sobjects/Contact/003000000000001AAA",
		Call: crm.Call{Operation: crm.OpUpdate, Object: "Contact"}, Scope: principal("sales_rep"), Body: []byte(b.String()),
	}
	res := realPipe(t, config.Limits{}).Process(context.Background(), m)
	if res.Err == nil || res.Err.Code != crm.CodePolicyDenied || !strings.Contains(res.Err.Message, "pci_card_in_free_text") {
		t.Fatalf("the card past the cap: %+v", res.Err)
	}

	// Under the cap the same card is refused the same way (the baseline).
	m.Body = []byte(`{"Description":"paid with 4111 1111 1111 1111"}`)
	if res := realPipe(t, config.Limits{}).Process(context.Background(), m); res.Err == nil || res.Err.Code != crm.CodePolicyDenied {
		t.Fatalf("the card under the cap: %+v", res.Err)
	}
}

// Past the cap the policy hears of the first finding of every (category,
// detector, field); past maxOverflowSamples kinds, of every (category,
// detector) with its place unknown. Every finding past the cap is
// redacted, whatever the policy says.
func TestFindingSamplesPastTheCap(t *testing.T) {
	d := &decider{make: func(*policy.Input) (*policy.Decision, error) {
		return &policy.Decision{ID: "d", Allow: true, Default: map[string]string{"email": "allow", "credit_card": "allow"}}, nil
	}}
	p := pipe(d)
	p.maxFinds = 3
	body := `{"a":"x1@example.com","b":"x2@example.com","c":"x3@example.com",
	 "d":"x4@example.com","d2":["x5@example.com","x6@example.com"],"e":"4111 1111 1111 1111"}`
	m := message()
	m.Body = []byte(body)
	m.Call = crm.Call{Operation: crm.OpRetrieve, Object: "Contact"}
	res := p.Process(context.Background(), m)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	in := d.seen
	if !in.Truncated {
		t.Fatal("not truncated")
	}
	fields := map[string]int{}
	for _, f := range in.Findings {
		fields[f.Field]++
	}
	// a, b, c under the cap; d, d2 (once), e sampled.
	if len(in.Findings) != 6 || fields["d2"] != 1 || fields["e"] != 1 {
		t.Fatalf("findings sent: %+v", in.Findings)
	}
	out := string(res.Body)
	for _, v := range []string{"x4@example.com", "x5@example.com", "x6@example.com", "4111 1111 1111 1111"} {
		if strings.Contains(out, v) {
			t.Errorf("%s past the cap went through: %s", v, out)
		}
	}
	if !strings.Contains(out, "x1@example.com") {
		t.Errorf("an allowed finding under the cap was rewritten: %s", out)
	}

	var s findingSampler
	for i := range maxOverflowSamples + 10 {
		f := policy.Finding{Category: "email", Detector: "email", Field: "f" + strconv.Itoa(i), Record: 2, Pointer: "/x"}
		kept := s.sample(&f)
		switch {
		case i < maxOverflowSamples && (!kept || f.Field == ""):
			t.Fatalf("sample %d not kept as is", i)
		case i == maxOverflowSamples && (!kept || f.Field != "" || f.Record != -1 || f.Pointer != ""):
			t.Fatalf("the collapsed sample: %v %+v", kept, f)
		case i > maxOverflowSamples && kept:
			t.Fatalf("sample %d kept past the collapsed one", i)
		}
	}
}
