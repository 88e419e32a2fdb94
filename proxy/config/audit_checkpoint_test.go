package config

import (
	"strings"
	"testing"
	"time"
)

func TestAuditCheckpointConfig(t *testing.T) {
	base := "identity:\n  principals: [{id: a, token: t, roles: [admin]}]\nroutes:\n  - {name: sf, prefix: /services/, upstream: \"https://x.my.salesforce.com\"}\n"
	c, err := Parse([]byte(base + "audit: {file: /tmp/a.jsonl, chain_key_file: /k/chain.key, signing_key_file: /k/s.key}\n"))
	if err != nil {
		t.Fatal(err)
	}
	a := c.Audit
	if a.ChainKeyFile != "/k/chain.key" || a.SigningKeyFile != "/k/s.key" || a.Checkpoint.Every != DefaultCheckpointEvery || a.Checkpoint.Interval != DefaultCheckpointInterval {
		t.Fatalf("audit: %+v", a)
	}
	c, err = Parse([]byte(base + "audit: {head_file: /h, checkpoint: {every: 10, interval: 2s}}\n"))
	if err != nil || c.Audit.HeadFile != "/h" || c.Audit.Checkpoint.Every != 10 || c.Audit.Checkpoint.Interval != 2*time.Second {
		t.Fatalf("%v %+v", err, c.Audit)
	}
	for extra, want := range map[string]string{
		"audit: {checkpoint: {every: -1}}":             "audit.checkpoint: every and interval must be positive",
		"audit: {checkpoint: {interval: -1s}}":         "audit.checkpoint: every and interval must be positive",
		"audit: {file: /a.jsonl, head_file: /a.jsonl}": "audit.head_file: must not be audit.file",
	} {
		if _, err := Parse([]byte(base + extra + "\n")); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", extra, err, want)
		}
	}
}
