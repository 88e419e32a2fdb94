//go:build unix

package proxy_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/benchdata"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/ingress"
)

// BenchmarkProxyXML sends the same Contact query results (benchdata: the
// pages of BenchmarkProxySizes, about 1, 10 and 100 KB of JSON) as JSON
// and as Salesforce REST XML (benchdata.QueryPageXML: the same records,
// about 1.3 times the bytes), through a bare httputil.ReverseProxy and
// through Veil, in-process, as the analyst (names, e-mails and phones
// masked, streets redacted). The CRM answers XML when the request's Accept
// header asks for it, as Salesforce does. Sub-benchmarks are named by the
// JSON page's size, the format and the target; the XML page's bytes are
// its SetBytes.
//
// Besides ns/op, B/op and allocs/op, each reports cpu-ns/op: the whole
// test process's CPU (getrusage: user + system, every thread, the
// collector's included) per exchange, client and CRM included, which a
// serial loop's ns/op leaves out when the collector runs on another core.
//
// <size>/xml:json/veil measures the two formats through Veil in turn, in
// blocks of xmlBlock exchanges, and reports the ratio of their CPU and
// wall time per exchange (xml/json-cpu, xml/json-ns): on a machine other
// work shares, the two are then measured under the same conditions. The
// blocks keep most of the garbage collection each format causes in its own
// blocks; its ns/op is the mean exchange of both formats.
func BenchmarkProxyXML(b *testing.B) {
	sizes := []int{1 << 10, 10 << 10, 100 << 10}
	type page struct {
		records   int
		json, xml []byte
	}
	pages := map[string]page{}
	for _, s := range sizes {
		n := benchdata.RecordsFor(s)
		pages[strconv.Itoa(s>>10)] = page{n, benchdata.QueryPage(n), benchdata.QueryPageXML(n)}
	}
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := pages[r.URL.Query().Get("kb")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		doc, ct := p.json, "application/json;charset=UTF-8"
		if strings.Contains(r.Header.Get("Accept"), "application/xml") {
			doc, ct = p.xml, "application/xml;charset=UTF-8"
		}
		w.Header().Set("Content-Type", ct)
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
	// get fetches the page of kb in format from base, with the query
	// veilbench sends for it, and returns its body.
	get := func(b *testing.B, base, kb, format string) []byte {
		soql := url.QueryEscape(benchdata.ContactQuery(pages[kb].records))
		req, _ := http.NewRequest("GET", base+"/services/data/v62.0/query?kb="+kb+"&q="+soql, nil)
		req.Header.Set("Authorization", "Bearer demo-analyst")
		if format == "xml" {
			req.Header.Set("Accept", "application/xml")
		}
		res, err := cl.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 {
			b.Fatalf("%s %s KB: status %d (X-Veil-Error %q), %v", format, kb, res.StatusCode, res.Header.Get("X-Veil-Error"), err)
		}
		return body
	}
	// Before measuring: Veil answers every page in its format with every
	// record and no e-mail, phone or street the CRM sent; the bare proxy
	// answers the CRM's bytes.
	for _, s := range sizes {
		kb := strconv.Itoa(s >> 10)
		p := pages[kb]
		for format, want := range map[string][]byte{"json": p.json, "xml": p.xml} {
			if got := get(b, bare.URL, kb, format); !bytes.Equal(got, want) {
				b.Fatalf("%s %s KB through the bare proxy: not the CRM's page", format, kb)
			}
			if err := maskedPage(get(b, veil.veil, kb, format), format, p.records); err != nil {
				b.Fatalf("%s %s KB through Veil: %v", format, kb, err)
			}
		}
	}

	for _, s := range sizes {
		kb := strconv.Itoa(s >> 10)
		p := pages[kb]
		for _, format := range []string{"json", "xml"} {
			doc := p.json
			if format == "xml" {
				doc = p.xml
			}
			for _, target := range []struct{ name, base string }{{"bare", bare.URL}, {"veil", veil.veil}} {
				b.Run(kb+"KB/"+format+"/"+target.name, func(b *testing.B) {
					get(b, target.base, kb, format) // the steady state: the decision cached, the phone regions compiled
					b.SetBytes(int64(len(doc)))
					b.ReportAllocs()
					c0 := processCPU(b)
					for b.Loop() {
						get(b, target.base, kb, format)
					}
					b.ReportMetric(float64(processCPU(b)-c0)/float64(b.N), "cpu-ns/op")
					b.ReportMetric(float64(p.records), "records")
				})
			}
		}
		b.Run(kb+"KB/xml:json/veil", func(b *testing.B) {
			formats := [2]string{"json", "xml"}
			var cpu, wall [2]time.Duration
			var n [2]int
			get(b, veil.veil, kb, "json")
			get(b, veil.veil, kb, "xml")
			b.ReportAllocs()
			k, i := 0, 0
			c0, t0 := processCPU(b), time.Now()
			block := func() { // closes the block of format k
				c1, t1 := processCPU(b), time.Now()
				cpu[k] += c1 - c0
				wall[k] += t1.Sub(t0)
				c0, t0 = c1, t1
			}
			for b.Loop() {
				if i == xmlBlock {
					block()
					k, i = 1-k, 0
				}
				get(b, veil.veil, kb, formats[k])
				n[k]++
				i++
			}
			block()
			if n[0] == 0 || n[1] == 0 {
				return // b.N too small for both formats: nothing to compare
			}
			per := func(d [2]time.Duration, f int) float64 { return float64(d[f]) / float64(n[f]) }
			b.ReportMetric(per(cpu, 0), "json-cpu-ns/exchange")
			b.ReportMetric(per(cpu, 1), "xml-cpu-ns/exchange")
			b.ReportMetric(per(cpu, 1)/per(cpu, 0), "xml/json-cpu")
			b.ReportMetric(per(wall, 1)/per(wall, 0), "xml/json-ns")
		})
	}
}

// xmlBlock is how many exchanges of one format BenchmarkProxyXML's
// xml:json runs before it turns to the other.
const xmlBlock = 50

// processCPU is the CPU time this process has used (user + system, every
// thread).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// maskedPage fails unless page, a query result in format through Veil,
// holds the CRM's records in order (their ids) and none of the e-mails,
// phone numbers and streets the CRM sent, raw or escaped.
func maskedPage(page []byte, format string, records int) error {
	var ids int
	for i := range records {
		id := benchdata.ContactID(i)
		if format == "xml" {
			if bytes.Contains(page, []byte("<Id>"+id+"</Id>")) {
				ids++
			}
		} else if bytes.Contains(page, []byte(`"Id":"`+id+`"`)) {
			ids++
		}
		for _, v := range []string{benchdata.Email(i), benchdata.Phone(i), benchdata.Street(i)} {
			if bytes.Contains(page, []byte(v)) {
				return fmt.Errorf("record %d: %q passed unmasked", i, v)
			}
		}
	}
	if ids != records {
		return fmt.Errorf("%d of %d records in place", ids, records)
	}
	if format == "xml" && (!bytes.HasPrefix(page, []byte("<?xml")) || bytes.Count(page, []byte("<records ")) != records) {
		return fmt.Errorf("not the XML query result of %d records: %.200s", records, page)
	}
	return nil
}
