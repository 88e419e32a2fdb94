package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/veil-proxy/veil/proxy/benchdata"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/ingress"
)

// The two servers the driver runs as child processes of its own binary,
// so that each one's CPU is read apart: `veilbench crm` (the CRM) and
// `veilbench bare` (a bare httputil.ReverseProxy). Each prints
// "veilbench <name> listening on <addr>" once it listens.

// listeningFormat is that line (listeningRe in the driver reads it).
const listeningFormat = "veilbench %s listening on %s\n"

// serve listens on addr (loopback only), announces it, serves with srv
// until SIGTERM or SIGINT, then shuts down.
func serve(name, addr string, srv *http.Server) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host != "localhost" {
		if err := loopbackOnly(addr); err != nil {
			return fmt.Errorf("-listen: %w", err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	fmt.Fprintf(os.Stderr, listeningFormat, name, ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// runCRM is `veilbench crm`: a Salesforce that costs as little CPU as it
// can. Query results are generated once, at start, for each record count
// of -pages, in JSON and in REST XML, and answered by the SOQL's LIMIT in
// the format the Accept header asks for; Bulk API 2.0 (CSV) and 1.0 (XML)
// query results are generated while they are written (never held),
// maxRecords (records) records.
func runCRM(args []string) error {
	fs := flag.NewFlagSet("crm", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "listen address (loopback)")
	pagesFlag := fs.String("pages", "1,8", "comma-separated record counts of the query results to serve")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c := &benchCRM{pages: map[int][]byte{}, xmlPages: map[int][]byte{}}
	for f := range strings.SplitSeq(*pagesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return fmt.Errorf("-pages: %q is not a record count", f)
		}
		c.pages[n] = benchdata.QueryPage(n)
		c.xmlPages[n] = benchdata.QueryPageXML(n)
	}
	// No write timeout: a Bulk API result may take minutes to send.
	return serve("crm", *listen, &http.Server{Handler: c, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second})
}

// benchCRM answers the two Salesforce calls the benchmark makes.
type benchCRM struct {
	pages    map[int][]byte // query results by record count
	xmlPages map[int][]byte // the same in REST XML
}

var (
	jsonType = []string{"application/json;charset=UTF-8"}
	xmlType  = []string{"application/xml;charset=UTF-8"}
	csvType  = []string{"text/csv"}
	nullLoc  = []string{"null"}
)

// ServeHTTP answers GET /services/data/vNN.N/query?q=…LIMIT n (in XML when
// the Accept header asks for it, see wantsXML), GET
// /services/data/vNN.N/jobs/query/<id>/results?maxRecords=n (Bulk API 2.0,
// CSV) and GET /services/async/NN.N/job/<id>/batch/<id>/result/<id>?records=n
// (Bulk API 1.0, XML); anything else is a Salesforce-shaped 404.
func (c *benchCRM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/services/async/"); ok && r.Method == http.MethodGet {
		if n, ok := bulkV1Records(rest, r.URL.Query().Get("records")); ok {
			streamBulkXML(w, n)
			return
		}
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/services/data/")
	if !ok || r.Method != http.MethodGet {
		notFound(w)
		return
	}
	_, rest, _ = strings.Cut(rest, "/") // the version
	switch {
	case rest == "query":
		n, ok := soqlLimit(r.URL.Query().Get("q"))
		doc, ct := c.pages[n], jsonType
		if wantsXML(r.Header.Get("Accept")) {
			doc, ct = c.xmlPages[n], xmlType
		}
		if !ok || doc == nil {
			notFound(w)
			return
		}
		h := w.Header()
		h["Content-Type"] = ct
		h["Content-Length"] = []string{strconv.Itoa(len(doc))}
		_, _ = w.Write(doc)
	case strings.HasPrefix(rest, "jobs/query/") && strings.HasSuffix(rest, "/results"):
		n, err := strconv.Atoi(r.URL.Query().Get("maxRecords"))
		if err != nil || n <= 0 {
			notFound(w)
			return
		}
		streamCSV(w, n)
	default:
		notFound(w)
	}
}

// wantsXML reports whether a REST answer is XML, as Salesforce decides it
// from the Accept header: the first of JSON and XML it names (XML being
// application/xml or text/xml), JSON when it names neither.
func wantsXML(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, _ := strings.Cut(part, ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "application/json":
			return false
		case "application/xml", "text/xml":
			return true
		}
	}
	return false
}

// streamCSV writes n Bulk API 2.0 rows, chunked, 64 KB at a time from
// one buffer, and stops when the client is gone.
func streamCSV(w http.ResponseWriter, n int) {
	h := w.Header()
	h["Content-Type"] = csvType
	h["Sforce-Locator"] = nullLoc
	h["Sforce-Numberofrecords"] = []string{strconv.Itoa(n)}
	buf := make([]byte, 0, 80<<10)
	buf = append(buf, benchdata.CSVHeader...)
	for i := range n {
		buf = benchdata.AppendCSVRow(buf, i)
		if len(buf) >= 64<<10 {
			if _, err := w.Write(buf); err != nil {
				return
			}
			buf = buf[:0]
		}
	}
	_, _ = w.Write(buf)
}

// notFound is Salesforce's answer to an unknown resource.
func notFound(w http.ResponseWriter) {
	w.Header()["Content-Type"] = jsonType
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(`[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]`))
}

// runBare is `veilbench bare`: httputil.ReverseProxy to -upstream with
// Veil's own transport and server timeouts (config.Demo's), so that what
// differs from Veil is the pipeline, not connection handling.
func runBare(args []string) error {
	fs := flag.NewFlagSet("bare", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "listen address (loopback)")
	upstream := fs.String("upstream", "", "the CRM's base URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*upstream)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("-upstream %q: not a base URL", *upstream)
	}
	cfg := config.Demo("127.0.0.1:0", "127.0.0.1:1", *upstream)
	rp := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(u) },
		Transport: ingress.NewTransport(cfg.Timeouts),
	}
	t := cfg.Timeouts
	return serve("bare", *listen, &http.Server{
		Handler: rp, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read,
		WriteTimeout: t.Write, IdleTimeout: t.Idle, MaxHeaderBytes: 64 << 10,
	})
}

// soqlLimit reads the LIMIT of a SOQL query: the number after the last
// "LIMIT" word, or false.
func soqlLimit(q string) (int, bool) {
	f := strings.Fields(q)
	for k := len(f) - 2; k >= 0; k-- {
		if strings.EqualFold(f[k], "LIMIT") {
			n, err := strconv.Atoi(f[k+1])
			return n, err == nil && n > 0
		}
	}
	return 0, false
}
