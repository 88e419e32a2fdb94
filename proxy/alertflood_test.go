package proxy_test

import (
	"bytes"
	"net/url"
	"path/filepath"
	"sync"
	"testing"

	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
)

// Alerts that cannot be flooded: 300 refused card writes from one
// principal are one alert at once and one summary with the count (the
// window, 60 s, outlasts the test: the summary is written when Veil
// stops); an unrelated alert raised after the flood is written at once,
// before the flood's summary.
func TestAlertFloodIsAggregated(t *testing.T) {
	const flood = 300
	dir := t.TempDir()
	alertFile := filepath.Join(dir, "alerts.jsonl")
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
		if sum != flood || len(pci) > 5 {
			t.Errorf("%d alerts counting %d for %d refusals", len(pci), sum, flood)
		}
		if bulk == 0 || summary == 0 || bulk > summary {
			t.Errorf("the bulk export alert (seq %d) is not before the flood's summary (seq %d)", bulk, summary)
		}
	})
	h := start(t, withAuditFiles(dir), func(c *config.Config, _ *proxy.Options) { c.Watch.BulkExport.Records = 3 })

	var wg sync.WaitGroup
	work := make(chan int)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				r := do(t, "PATCH", h.veil+"/services/data/v62.0/sobjects/Contact/003000000000001AAA", "demo-sales",
					`{"Description":"paid with 4111 1111 1111 1111"}`)
				if r.status != 403 {
					t.Errorf("refusal: %d %s", r.status, r.body)
				}
			}
		}()
	}
	for i := range flood {
		work <- i
	}
	close(work)
	wg.Wait()

	// Another principal's high alert, after the flood's last request.
	q := h.veil + "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id, Email FROM Contact LIMIT 3")
	for range 2 {
		if r := do(t, "GET", q, "demo-admin", ""); r.status != 200 {
			t.Fatalf("read: %d %s", r.status, r.body)
		}
	}
	eventually(t, "the bulk export alert", func() bool {
		for _, a := range readJSONL[audit.Alert](t, alertFile) {
			if a.Kind == audit.AlertBulkExport && a.Principal == "demo-admin" {
				return true
			}
		}
		return false
	})
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
	if m := do(t, "GET", h.admin+"/metrics", "", ""); !bytes.Contains(m.body, []byte(`veil_alerts_total{kind="pci_card_in_free_text",severity="high"} 300`)) {
		t.Errorf("every refusal is still counted:\n%s", grepLines(string(m.body), "veil_alerts_total"))
	}
}
