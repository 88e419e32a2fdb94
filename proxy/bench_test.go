package proxy_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"testing"

	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/benchdata"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/ingress"
	"github.com/veil-proxy/veil/proxy/logging"
	"github.com/veil-proxy/veil/proxy/redistest"
	"github.com/veil-proxy/veil/proxy/scan"
)

// BenchmarkProxy measures, in one run and on one machine, the same
// Salesforce query (every Contact with its personal data) served by the
// fake CRM directly, through a bare httputil.ReverseProxy, and through Veil
// with the full pipeline (detect, one policy decision, transforms, audit
// event, watch, inventory). The ratio Veil/bare is the cost of privacy;
// veil-no-soc and veil-soc-redis price the SOC side. See README
// "Benchmarks".
func BenchmarkProxy(b *testing.B) {
	// One principal reads the same page thousands of times: far past the
	// default bundle's bulk-export limit, which is not what is measured.
	unlimited := withRules(bundleWith(b, func(cfg map[string]any) {
		cfg["limits"].(map[string]any)["bulk_export_records"] = 1 << 50
		cfg["decision_cache"].(map[string]any)["stats_levels"].(map[string]any)["principal_pii_records"] = []int64{1 << 50}
	}))
	h := start(b, unlimited)
	crmURL, err := url.Parse(h.crm)
	if err != nil {
		b.Fatal(err)
	}
	// The bare proxy gets Veil's transport settings, so the difference is the
	// pipeline, not connection handling.
	cfg := config.Demo("127.0.0.1:0", "127.0.0.1:1", h.crm)
	bare := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(crmURL) },
		Transport: ingress.NewTransport(cfg.Timeouts),
	})
	defer bare.Close()

	path := "/services/data/v62.0/query?q=" + url.QueryEscape(soql)
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr}

	// The SOC side's cost: Veil without the watch and the inventory, and
	// without audit sinks, against Veil auditing to a real Redis (events
	// and alerts to streams, the watch's windows in Redis).
	quiet := start(b, unlimited, func(c *config.Config, _ *proxy.Options) {
		c.Watch.Disabled, c.Inventory.Disabled = true, true
	})
	rs := redistest.Start(b)
	redisSOC := start(b, unlimited, func(c *config.Config, _ *proxy.Options) {
		c.Redis.Addrs = []string{rs.Addr()}
		c.Audit.SpoolDir = b.TempDir()
	})

	for _, target := range []struct{ name, base string }{
		{"direct", h.crm},
		{"bare", bare.URL},
		{"veil", h.veil},
		{"veil-no-soc", quiet.veil},
		{"veil-soc-redis", redisSOC.veil},
	} {
		b.Run(target.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("GET", target.base+path, nil)
					req.Header.Set("Authorization", "Bearer demo-sales")
					res, err := cl.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					m, _ := io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 {
						b.Errorf("status %d", res.StatusCode)
						return
					}
					n = m
				}
			})
			b.SetBytes(n)
		})
	}
}

// BenchmarkProxySizes sends Contact query results of about 1 KB to 1 MB
// (benchdata, as cmd/veilbench: five personal values per ~1.26 KB record,
// 40 in 10 KB) from a CRM that serves them ready-made, through a bare
// httputil.ReverseProxy and through Veil (the analyst's read: names,
// e-mails and phones masked, streets redacted; audit events and the watch
// in memory). What to read is B/op and allocs/op against the size: the
// allocations no longer grow with the payload; the body buffers come from
// pools (proxy/inspect/bufpool.go), and the bytes that still grow are the per-finding
// ones (see docs/performance.md).
func BenchmarkProxySizes(b *testing.B) {
	sizes := []int{1 << 10, 10 << 10, 100 << 10, 1 << 20}
	pages := map[string][]byte{}
	records := map[string]int{}
	for _, s := range sizes {
		k := strconv.Itoa(s >> 10)
		records[k] = benchdata.RecordsFor(s)
		pages[k] = benchdata.QueryPage(records[k])
	}
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc, ok := pages[r.URL.Query().Get("kb")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
		_, _ = w.Write(doc)
	}))
	defer crm.Close()
	crmURL, _ := url.Parse(crm.URL)
	unlimited := withRules(bundleWith(b, func(cfg map[string]any) {
		cfg["limits"].(map[string]any)["bulk_export_records"] = 1 << 50
		cfg["decision_cache"].(map[string]any)["stats_levels"].(map[string]any)["principal_pii_records"] = []int64{1 << 50}
	}))
	veil := start(b, unlimited, withUpstream(crm.URL), quietLog(b), func(c *config.Config, _ *proxy.Options) {
		c.Watch.BulkExport.Records = 1 << 40
	})
	cfg := config.Demo("127.0.0.1:0", "127.0.0.1:1", crm.URL)
	bare := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(crmURL) },
		Transport: ingress.NewTransport(cfg.Timeouts),
	})
	defer bare.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr}
	for _, s := range sizes {
		kb := strconv.Itoa(s >> 10)
		for _, target := range []struct{ name, base string }{{"bare", bare.URL}, {"veil", veil.veil}} {
			b.Run(kb+"KB/"+target.name, func(b *testing.B) {
				// The query veilbench sends for this page.
				u := target.base + "/services/data/v62.0/query?kb=" + kb + "&q=" + url.QueryEscape(benchdata.ContactQuery(records[kb]))
				get := func() {
					req, _ := http.NewRequest("GET", u, nil)
					req.Header.Set("Authorization", "Bearer demo-analyst")
					res, err := cl.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 {
						b.Fatalf("status %d", res.StatusCode)
					}
				}
				get() // the steady state: the page's decision cached, the phone regions compiled
				b.SetBytes(int64(len(pages[kb])))
				b.ReportAllocs()
				for b.Loop() {
					get()
				}
				b.ReportMetric(float64(records[kb]), "records")
			})
		}
	}
}

// quietLog gives Veil the log of a proxy at load: warnings and errors,
// scrubbed, written nowhere. At info the sampler writes the access line of
// the first 100 exchanges of a second and of every 100th after, so what a
// benchmark counts would follow its own speed: natively, at thousands of
// exchanges a second, one in forty or fewer pays for a line; under
// valgrind, fifty times slower, nearly every one, and the instructions per
// exchange of one build moved by up to 12,000 from run to run.
func quietLog(b *testing.B) harnessOption {
	return func(c *config.Config, po *proxy.Options) {
		log, err := logging.New(logging.Options{Level: "warn", Output: io.Discard, Scrub: scan.LogScrubber()})
		if err != nil {
			b.Fatal(err)
		}
		c.Log.Level = "warn"
		po.Logger = log
	}
}
