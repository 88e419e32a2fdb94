package proxy_test

import (
	"flag"
	"os"
	"testing"

	"github.com/veil-proxy/veil/proxy/inspect"
)

// TestMain runs the tests with released body buffers poisoned (filled,
// never reused: inspect.PoisonReleased), so that a response written from
// a buffer after its release shows as garbage in what they check;
// benchmarks run with the pools as in production.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		inspect.PoisonReleased(true)
	}
	os.Exit(m.Run())
}
