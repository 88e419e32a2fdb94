package proxy_test

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkForward compares, in one run and one process, the same HubSpot
// page (10 contacts with their personal data) fetched through forward mode:
// intercepted (TLS to Veil with a minted leaf, the full pipeline with
// masking, TLS to the fake CRM) and tunnelled (CONNECT, bytes copied, TLS
// end to end with the fake CRM). "keepalive" reuses connections, 8 clients
// in parallel; "connect-per-request" opens a CONNECT and a TLS handshake
// for every request, as jsforce does, so the leaf cache is what keeps it
// fast. See README "Benchmarks".
func BenchmarkForward(b *testing.B) {
	// One principal reads the same page many times: far past the default
	// bundle's bulk-export limit, which is not what is measured.
	unlimited := withRules(bundleWith(b, func(cfg map[string]any) {
		cfg["limits"].(map[string]any)["bulk_export_records"] = 1 << 50
		cfg["decision_cache"].(map[string]any)["stats_levels"].(map[string]any)["principal_pii_records"] = []int64{1 << 50}
	}))
	h := startForward(b, unlimited)
	const page = "/crm/v3/objects/contacts?limit=10&properties=firstname,lastname,email,phone"
	for _, conn := range []struct {
		name      string
		keepAlive bool
	}{{"keepalive", true}, {"connect-per-request", false}} {
		for _, bc := range []struct {
			name, url, token string
			veil             bool // true: trust Veil's CA (intercepted); false: the CRM's (tunnel)
		}{
			{"mitm", "https://api.hubapi.com" + page, "demo-analyst", true},
			{"tunnel", "https://crm.tunnel.test" + page, "crm-token", false}, // the CRM's own token: nothing checks it but the CRM
		} {
			b.Run(conn.name+"/"+bc.name, func(b *testing.B) {
				roots := h.crmCA
				if bc.veil {
					roots = h.veilCA
				}
				c := h.client(roots, conn.keepAlive)
				c.Transport.(*http.Transport).MaxIdleConnsPerHost = 16
				defer c.CloseIdleConnections()
				b.SetParallelism(4) // 8 clients on 2 cores
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
							b.Errorf("status %d (%s)", res.StatusCode, res.Header.Get("X-Veil-Error"))
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			})
		}
	}
}
