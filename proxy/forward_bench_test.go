package proxy_test

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkForward compares, in one run and one process, a request through
// forward mode's MITM (TLS to Veil, pipeline with masking, TLS to the fake
// CRM) with a plain tunnel (CONNECT, bytes copied) to a TLS server.
// Keep-alive clients, 8 in parallel on the machine's cores.
func BenchmarkForward(b *testing.B) {
	h := startForward(b)
	for _, bc := range []struct {
		name, url, token string
		roots            bool // true: trust Veil's CA; false: the upstream's
	}{
		{"mitm", "https://api.hubapi.com/crm/v3/objects/contacts?limit=10", "demo-analyst", true},
		{"tunnel", "https://tunnel.test/", "", false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			roots := h.crmCA
			if bc.roots {
				roots = h.veilCA
			}
			c := h.client(roots, true)
			c.Transport.(*http.Transport).MaxIdleConnsPerHost = 16
			defer c.CloseIdleConnections()
			b.SetParallelism(4)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("GET", bc.url, nil)
					if bc.token != "" {
						req.Header.Set("Authorization", "Bearer "+bc.token)
					}
					res, err := c.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 {
						b.Errorf("status %d", res.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
