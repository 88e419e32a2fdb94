package config

import (
	"strings"
	"testing"
)

// The streaming limits default, and a chunk too small to hold a record
// or a negative bound is refused.
func TestStreamLimits(t *testing.T) {
	base := "identity: {principals: [{id: a, token: t0123456789abcdef, roles: [admin]}]}\nroutes: [{name: sf, dialect: salesforce, prefix: /services/, upstream: 'https://x.my.salesforce.com'}]\n"
	c, err := Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if c.Limits.StreamChunkBytes != DefaultStreamChunkBytes || c.Limits.MaxStreamBytes != DefaultMaxStreamBytes {
		t.Errorf("defaults: %+v", c.Limits)
	}
	_, err = Parse([]byte(base + "limits: {stream_chunk_bytes: 100, max_stream_bytes: -1}\n"))
	for _, want := range []string{"limits.stream_chunk_bytes: 100 is below the minimum of 1024", "limits.max_stream_bytes: must not be negative"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}
