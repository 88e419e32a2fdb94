package config

import (
	"strings"
	"testing"
	"time"
)

// limits.inspection_budget defaults to DefaultInspectionBudget, reads a
// duration, is disabled by an explicit 0, and may not be negative.
func TestInspectionBudget(t *testing.T) {
	base := "identity: {principals: [{id: a, token: t0123456789abcdef, roles: [admin]}]}\nroutes: [{name: sf, dialect: salesforce, prefix: /services/, upstream: 'https://x.my.salesforce.com'}]\n"
	for _, tt := range []struct {
		yaml string
		want time.Duration
	}{
		{"", DefaultInspectionBudget},
		{"limits: {inspection_budget: 150ms}\n", 150 * time.Millisecond},
		{"limits: {inspection_budget: 0s}\n", 0},
	} {
		c, err := Parse([]byte(base + tt.yaml))
		if err != nil {
			t.Fatalf("%q: %v", tt.yaml, err)
		}
		if got := c.Limits.Budget(); got != tt.want {
			t.Errorf("%q: budget %v, want %v", tt.yaml, got, tt.want)
		}
	}
	_, err := Parse([]byte(base + "limits: {inspection_budget: -1s}\n"))
	if err == nil || !strings.Contains(err.Error(), "limits.inspection_budget: must not be negative") {
		t.Errorf("negative budget: %v", err)
	}
	if (Limits{}).Budget() != 0 {
		t.Error("an unset budget outside ApplyDefaults is none")
	}
}
