package pipeline

import (
	"bytes"
	"context"
	"net/url"
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy/benchdata"
	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/metrics"
	"github.com/veil-proxy/veil/rules"
)

// BenchmarkStages measures the pipeline a stage at a time on the
// Salesforce query pages the proxy benchmarks serve, beside a copy of
// the page (memory speed), so that each stage's distance from it shows
// (docs/performance.md):
//
//	copy         bytes.Clone of the page
//	walk         body.WalkJSON visiting every value, doing nothing
//	walk+detect  the walk with field hints and the detectors (ScanJSONFields)
//	process      Pipeline.Process: the analyst's read with the default
//	             bundle (its decision cached after the first message),
//	             the rewritten page in a reused buffer (the proxy's pools)
//	request      Pipeline.Process of the query's request (the SOQL
//	             veilbench sends, 36 fields named): no body, the SOQL in
//	             the URL read for values and predicates
//	xml/process  Pipeline.Process of the same records in REST XML
//	             (benchdata.QueryPageXML), to set beside process
//
// Each reports ns/value: the time over the page's scalar values (the
// JSON page's, for xml/process too: the same records' values).
func BenchmarkStages(b *testing.B) {
	eng, err := policy.New(context.Background(), policy.Options{FS: rules.FS})
	if err != nil {
		b.Fatal(err)
	}
	scanner := detectors.NewScanner(detectors.Default())
	p := New(Options{Scanner: scanner, Decider: eng, Metrics: metrics.New(prometheus.NewRegistry(), "b"), Log: zap.NewNop(),
		Limits: config.Limits{MaxJSONDepth: 64}})
	// The query veilbench sends: every field of the page named, as
	// clients that list fields write it (and a LIMIT, a number to scan).
	soql := benchdata.ContactSOQL + " LIMIT 1"
	call := crm.Classify(config.DialectSalesforce, "GET", "/services/data/v62.0/query", url.Values{"q": {soql}})
	lim := body.Limits{MaxDepth: 64}
	b.Run("request", func(b *testing.B) {
		q := url.Values{"q": {soql}}
		u := &url.URL{Path: "/services/data/v62.0/query", RawQuery: q.Encode()}
		b.ReportAllocs()
		for b.Loop() {
			m := &Message{Direction: DirRequest, Route: &config.Route{Name: "salesforce", Dialect: config.DialectSalesforce},
				Method: "GET", Path: u.Path, URL: u, Query: q, Call: call, Scope: principal("analyst")}
			if res := p.Process(context.Background(), m); res.Err != nil {
				b.Fatal(res.Err)
			}
		}
	})
	for _, kb := range []int{1, 10, 1024} {
		page := benchdata.QueryPage(benchdata.RecordsFor(kb << 10))
		values := 0
		if err := body.WalkJSON(page, lim, func(v *body.Value) error {
			if v.Kind != body.KindObject && v.Kind != body.KindArray {
				values++
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		run := func(name string, f func()) {
			b.Run(strconv.Itoa(kb)+"KB/"+name, func(b *testing.B) {
				b.SetBytes(int64(len(page)))
				b.ReportAllocs()
				for b.Loop() {
					f()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(values), "ns/value")
			})
		}
		var sink []byte
		run("copy", func() { sink = bytes.Clone(page) })
		run("walk", func() {
			if err := body.WalkJSON(page, lim, func(*body.Value) error { return nil }); err != nil {
				b.Fatal(err)
			}
		})
		run("walk+detect", func() {
			if err := ScanJSONFields(scanner, page, lim, func(*body.Value, *detectors.Field, []detectors.Finding) error { return nil }); err != nil {
				b.Fatal(err)
			}
		})
		// The rewritten page goes into one buffer reused from message to
		// message, as the proxy's body pools give it (Message.Alloc).
		var out []byte
		reuse := func(n int) []byte {
			if cap(out) < n {
				out = make([]byte, 0, n)
			}
			return out[:0]
		}
		run("process", func() {
			m := &Message{Direction: DirResponse, Route: &config.Route{Name: "salesforce", Dialect: config.DialectSalesforce},
				Method: "GET", Path: "/services/data/v62.0/query", Call: call, Scope: principal("analyst"), Body: page, Alloc: reuse}
			if res := p.Process(context.Background(), m); res.Err != nil {
				b.Fatal(res.Err)
			}
		})
		xml := benchdata.QueryPageXML(benchdata.RecordsFor(kb << 10))
		run("xml/process", func() {
			m := &Message{Direction: DirResponse, Route: &config.Route{Name: "salesforce", Dialect: config.DialectSalesforce},
				Method: "GET", Path: "/services/data/v62.0/query", Call: call, Scope: principal("analyst"), Body: xml, Format: FormatXML, Alloc: reuse}
			if res := p.Process(context.Background(), m); res.Err != nil {
				b.Fatal(res.Err)
			}
		})
		_ = sink
	}
}
