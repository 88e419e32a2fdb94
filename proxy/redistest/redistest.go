// Package redistest is proxy/internal/redistest for the tests outside
// proxy/ (cmd/veil) that the internal rule keeps from importing it: a
// real redis-server on a free port, stopped when the test ends.
package redistest

import (
	"testing"

	"github.com/veil-proxy/veil/proxy/internal/redistest"
)

// Server is a redis-server process owned by a test.
type Server = redistest.Server

// Start runs a redis-server for t (redistest.Start in proxy/internal).
func Start(t testing.TB) *Server {
	t.Helper()
	return redistest.Start(t)
}
