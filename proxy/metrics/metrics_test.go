package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestCountersExposition(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := New(reg, "test")
	m.Requests.WithLabelValues("salesforce", "response", "transformed").Add(2)
	m.Findings.WithLabelValues("credit_card", "credit_card").Inc()
	m.Actions.WithLabelValues("mask", "credit_card").Inc()
	m.Blocks.WithLabelValues("salesforce", "request", "policy_denied").Inc()

	want := `
# HELP veil_proxy_requests_total Messages handled, by route, direction and outcome (allowed, transformed, blocked, passthrough).
# TYPE veil_proxy_requests_total counter
veil_proxy_requests_total{direction="response",outcome="transformed",route="salesforce"} 2
# HELP veil_detect_findings_total Personal data found, by category and detector.
# TYPE veil_detect_findings_total counter
veil_detect_findings_total{category="credit_card",detector="credit_card"} 1
# HELP veil_transform_actions_total Actions applied to findings, by action and category.
# TYPE veil_transform_actions_total counter
veil_transform_actions_total{action="mask",category="credit_card"} 1
# HELP veil_proxy_blocked_total Messages refused, by route, direction and stable error code.
# TYPE veil_proxy_blocked_total counter
veil_proxy_blocked_total{code="policy_denied",direction="request",route="salesforce"} 1
# HELP veil_policy_evaluations_total Policy evaluations by result (allow, deny, error).
# TYPE veil_policy_evaluations_total counter
veil_policy_evaluations_total{result="allow"} 0
veil_policy_evaluations_total{result="deny"} 0
veil_policy_evaluations_total{result="error"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"veil_proxy_requests_total", "veil_detect_findings_total", "veil_transform_actions_total",
		"veil_proxy_blocked_total", "veil_policy_evaluations_total"); err != nil {
		t.Fatal(err)
	}
}

func TestLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, "test")
	m.StageDuration.WithLabelValues("r", "request", "detect").Observe(0.001)
	m.BodyBytes.WithLabelValues("r", "request").Observe(1000)
	m.UpstreamErrors.WithLabelValues("r", "timeout").Inc()
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

func TestDoubleRegistrationPanics(t *testing.T) {
	reg := prometheus.NewRegistry()
	New(reg, "a")
	defer func() {
		if recover() == nil {
			t.Fatal("second New on one registry did not panic")
		}
	}()
	New(reg, "b")
}
