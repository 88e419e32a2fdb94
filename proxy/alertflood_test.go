package proxy_test

import (
	"bytes"
	"fmt"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
)

// Alerts that cannot be flooded: refused card writes from one principal,
// six at a time for as long as the test runs, are one alert at once and
// one summary with the count (the window, 60 s, outlasts the test: the
// summary is written when Veil stops); another principal's high alert,
// raised while the flood runs, is written as soon as one raised without a
// flood is, before the flood's summary. Both latencies are logged.
func TestAlertFloodIsAggregated(t *testing.T) {
	const maxFlood = 5000 // the flood stops here if the other alert never comes
	dir := t.TempDir()
	alertFile := filepath.Join(dir, "alerts.jsonl")
	var flooded atomic.Int64 // refusals the flood received
	// Registered before start: runs after Veil has stopped and written
	// its pending summaries.
	t.Cleanup(func() {
		var pci []audit.Alert
		var sum int64
		var bulk, summary uint64
		for _, a := range readJSONL[audit.Alert](t, alertFile) {
			switch {
			case a.Kind == "pci_card_in_free_text":
				pci = append(pci, a)
				sum += a.Evidence["count"]
				if a.Evidence["count"] > 1 {
					summary = a.Seq
				}
				if a.Principal != "demo-sales" || a.Severity != audit.SeverityHigh {
					t.Errorf("flood alert: %+v", a)
				}
			case a.Kind == audit.AlertBulkExport && a.Principal == "demo-admin":
				bulk = a.Seq
			}
		}
		if sum != flooded.Load() || len(pci) > 5 {
			t.Errorf("%d alerts counting %d for %d refusals", len(pci), sum, flooded.Load())
		}
		if bulk == 0 || summary == 0 || bulk > summary {
			t.Errorf("the bulk export alert (seq %d) is not before the flood's summary (seq %d)", bulk, summary)
		}
	})
	h := start(t, withAuditFiles(dir), func(c *config.Config, _ *proxy.Options) { c.Watch.BulkExport.Records = 3 })
	q := h.veil + "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id, Email FROM Contact LIMIT 3")
	// bulkExport reads twice as principal and returns how long its
	// bulk_export alert took to reach the alert file after the read that
	// raised it.
	bulkExport := func(principal string) time.Duration {
		t.Helper()
		var t0 time.Time
		for range 2 {
			t0 = time.Now()
			if r := do(t, "GET", q, principal, ""); r.status != 200 {
				t.Fatalf("read: %d %s", r.status, r.body)
			}
		}
		eventually(t, "the bulk export alert of "+principal, func() bool {
			for _, a := range readJSONL[audit.Alert](t, alertFile) {
				if a.Kind == audit.AlertBulkExport && a.Principal == principal {
					return true
				}
			}
			return false
		})
		return time.Since(t0)
	}
	calm := bulkExport("demo-analyst")

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if flooded.Load() >= maxFlood {
					return
				}
				r := do(t, "PATCH", h.veil+"/services/data/v62.0/sobjects/Contact/003000000000001AAA", "demo-sales",
					`{"Description":"paid with 4111 1111 1111 1111"}`)
				if r.status != 403 {
					t.Errorf("refusal: %d %s", r.status, r.body)
					return
				}
				flooded.Add(1)
			}
		}()
	}
	eventually(t, "the flood under way", func() bool { return flooded.Load() >= 50 })
	during := bulkExport("demo-admin")
	inFlood := flooded.Load() < maxFlood
	close(stop)
	wg.Wait()
	t.Logf("bulk_export alert written %s after its read alone, %s during a flood of %d refused writes", calm, during, flooded.Load())
	if !inFlood {
		t.Fatalf("the bulk export alert came only after the flood's %d refusals", maxFlood)
	}

	var n int
	for _, a := range readJSONL[audit.Alert](t, alertFile) {
		if a.Kind == "pci_card_in_free_text" {
			n++
			if n == 1 && a.Evidence["count"] != 1 {
				t.Errorf("the flood's first alert does not count itself: %+v", a)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d flood alerts while the window runs, want 1 (the first, at once)", n)
	}
	want := fmt.Sprintf(`veil_alerts_total{kind="pci_card_in_free_text",severity="high"} %d`, flooded.Load())
	if m := do(t, "GET", h.admin+"/metrics", "", ""); !bytes.Contains(m.body, []byte(want)) {
		t.Errorf("every refusal is still counted (%s):\n%s", want, grepLines(string(m.body), "veil_alerts_total"))
	}
}
