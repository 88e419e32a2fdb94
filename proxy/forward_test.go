package proxy_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/elazarl/goproxy"
	"go.uber.org/zap"

	"github.com/veil-proxy/veil/cmd/fakecrm/fakecrm"
	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/forward/ca"
	"github.com/veil-proxy/veil/proxy/forward/forwardtest"
	"github.com/veil-proxy/veil/proxy/logging"
	"github.com/veil-proxy/veil/proxy/scan"
)

// fwdHarness is Veil in forward mode in front of a fake CRM serving TLS
// (its own test CA) on 127.0.0.1, reached as api.hubapi.com and
// acme.my.salesforce.com through forward.resolve, and a plain TLS server
// reached as tunnel.test (allowlisted, tunnelled).
type fwdHarness struct {
	proxyURL *url.URL
	veilCA   *x509.CertPool // trusted by clients of the proxy
	crmCA    *x509.CertPool // the fake CRM's own CA
	crm      string         // https://127.0.0.1:port, unproxied
	srv      *proxy.Server
	logs     *syncBuffer
	dir      string
}

const tunnelBody = `{"email":"jane.doe@example.com","note":"untouched"}`

func startForward(t testing.TB, opts ...harnessOption) *fwdHarness {
	t.Helper()
	dir := t.TempDir()
	// Veil's CA as `veil ca init` makes it (name-constrained to the CRMs).
	caCert, caKey, err := ca.Init(ca.Options{Dir: dir, CommonName: "Veil test CA"})
	if err != nil {
		t.Fatal(err)
	}
	veilCA, err := ca.Load(caCert, caKey)
	if err != nil {
		t.Fatal(err)
	}
	veilPool := x509.NewCertPool()
	veilPool.AppendCertsFromPEM(veilCA.CertPEM())
	crmCA, err := forwardtest.NewCA("fake CRM CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := crmCA.Leaf("api.hubapi.com", "acme.my.salesforce.com", "tunnel.test", "crm.tunnel.test", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	upCA := filepath.Join(dir, "upstream-ca.crt")
	if err := os.WriteFile(upCA, crmCA.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	fake, err := fakecrm.New(os.DirFS("../testdata/crm"), fakecrm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	crmSrv := httptest.NewUnstartedServer(fake)
	crmSrv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}, NextProtos: []string{"h2", "http/1.1"}}
	crmSrv.EnableHTTP2 = true
	crmSrv.StartTLS()
	t.Cleanup(crmSrv.Close)
	tun := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, tunnelBody)
	}))
	tun.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}}
	tun.StartTLS()
	t.Cleanup(tun.Close)

	ln, adminLn, fwdLn := listen(t), listen(t), listen(t)
	cfg := config.Demo(ln.Addr().String(), adminLn.Addr().String(), crmSrv.URL)
	crmAddr := strings.TrimPrefix(crmSrv.URL, "https://")
	cfg.Forward = config.Forward{
		Listen: fwdLn.Addr().String(), CACert: caCert, CAKey: caKey, UpstreamCA: upCA,
		// crm.tunnel.test is the fake CRM itself, tunnelled (BenchmarkForward).
		Egress: config.Egress{Allow: []string{"tunnel.test", "crm.tunnel.test"}},
		Resolve: map[string]string{
			"api.hubapi.com": crmAddr, "acme.my.salesforce.com": crmAddr, "crm.tunnel.test": crmAddr,
			"tunnel.test": strings.TrimPrefix(tun.URL, "https://"),
		},
	}
	var po proxy.Options
	for _, o := range opts {
		o(cfg, &po)
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h := &fwdHarness{veilCA: veilPool, crmCA: crmCA.Pool(), crm: crmSrv.URL, logs: &syncBuffer{}, dir: dir}
	h.proxyURL, _ = url.Parse("http://" + fwdLn.Addr().String())
	log, err := logging.New(logging.Options{Level: "debug", Output: h.logs, Scrub: scan.LogScrubber()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	po.Logger = log
	srv, err := proxy.New(ctx, cfg, po)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	h.srv = srv
	done := make(chan error, 1)
	go func() { done <- srv.ServeAll(ctx, proxy.Listeners{Proxy: ln, Admin: adminLn, Forward: fwdLn}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeAll: %v", err)
		}
	})
	return h
}

// client is what `curl --proxy ... --cacert veil.crt` does; roots are the
// CAs it trusts.
func (h *fwdHarness) client(roots *x509.CertPool, keepAlive bool) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:              http.ProxyURL(h.proxyURL),
		TLSClientConfig:    &tls.Config{RootCAs: roots},
		DisableCompression: true,
		DisableKeepAlives:  !keepAlive,
	}, Timeout: 10 * time.Second}
}

func fetch(t testing.TB, c *http.Client, method, u, token, body string) (int, http.Header, []byte, *tls.ConnectionState) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, b, res.TLS
}

func TestForwardMITMMasksCRMResponse(t *testing.T) {
	h := startForward(t)
	path := "/crm/v3/objects/contacts?limit=100&properties=firstname,lastname,email,phone"
	direct := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: h.crmCA}, Proxy: nil}}
	_, _, truth, _ := fetch(t, direct, "GET", h.crm+path, "crm-token", "")
	emails := findEmails(truth)
	if len(emails) == 0 {
		t.Fatalf("fixtures hold no e-mail address: %.200s", truth)
	}
	status, hdr, got, st := fetch(t, h.client(h.veilCA, true), "GET", "https://api.hubapi.com"+path, "demo-analyst", "")
	if status != 200 {
		t.Fatalf("status %d: %.300s", status, got)
	}
	if hdr.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id: the request did not go through Veil's pipeline")
	}
	if st == nil || len(st.PeerCertificates) == 0 || st.PeerCertificates[0].Issuer.CommonName != "Veil test CA" {
		t.Errorf("the client did not see Veil's leaf: %+v", st)
	}
	for _, e := range emails {
		if bytes.Contains(got, []byte(e)) {
			t.Errorf("a raw e-mail address went through to the analyst (policy: masked)")
			break
		}
	}
	if bytes.Equal(got, truth) {
		t.Error("the response was not transformed")
	}
	if strings.Contains(h.logs.String(), emails[0]) {
		t.Error("an e-mail address reached the log")
	}
}

func TestForwardMITMRefusesUnknownCaller(t *testing.T) {
	h := startForward(t)
	status, hdr, body, _ := fetch(t, h.client(h.veilCA, false), "GET", "https://acme.my.salesforce.com/services/data/v62.0/query?q=SELECT+Id+FROM+Contact", "nobody", "")
	if status != http.StatusForbidden || hdr.Get("X-Veil-Error") != "unknown_principal" {
		t.Fatalf("status %d, code %q: %s", status, hdr.Get("X-Veil-Error"), body)
	}
	// The Salesforce dialect: a JSON array of {message, errorCode}.
	if !bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) {
		t.Errorf("not a Salesforce-shaped error: %s", body)
	}
}

func TestForwardMITMRequestBodyInspected(t *testing.T) {
	h := startForward(t)
	body := `{"properties":{"email":"jane.doe@example.com","firstname":"Jane"}}`
	status, hdr, got, _ := fetch(t, h.client(h.veilCA, true), "POST", "https://api.hubapi.com/crm/v3/objects/contacts", "demo-sales", body)
	if status >= 500 {
		t.Fatalf("status %d: %s", status, got)
	}
	if hdr.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id")
	}
}

func TestForwardTunnelUntouched(t *testing.T) {
	h := startForward(t)
	// The client trusts only the upstream's CA: a tunnel must present the
	// upstream's own certificate, never Veil's.
	status, hdr, got, st := fetch(t, h.client(h.crmCA, false), "GET", "https://tunnel.test/x?email=a", "", "")
	if status != 200 || string(got) != tunnelBody {
		t.Fatalf("status %d, body %q", status, got)
	}
	if hdr.Get("X-Request-Id") != "" {
		t.Error("a tunnelled exchange went through the pipeline")
	}
	if st.PeerCertificates[0].Issuer.CommonName != "fake CRM CA" {
		t.Errorf("tunnel presented %q", st.PeerCertificates[0].Issuer.CommonName)
	}
}

func TestForwardRefusesUnknownHost(t *testing.T) {
	h := startForward(t)
	req, _ := http.NewRequest("GET", "https://evil.example.org/", nil)
	_, err := h.client(h.veilCA, false).Do(req)
	if err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Fatalf("CONNECT to an unlisted host: err %v, want 403 Forbidden", err)
	}
	// Plain HTTP through the proxy is refused too.
	status, hdr, _, _ := fetch(t, h.client(h.veilCA, false), "GET", "http://evil.example.org/", "", "")
	if status != http.StatusForbidden || hdr.Get("X-Veil-Error") != "egress_refused" {
		t.Errorf("plain HTTP: status %d code %q", status, hdr.Get("X-Veil-Error"))
	}
	if !strings.Contains(h.logs.String(), "forward refused") {
		t.Error("the refusal was not logged")
	}
}

func TestForwardRefusesWebsocket(t *testing.T) {
	h := startForward(t)
	req, _ := http.NewRequest("GET", "https://api.hubapi.com/crm/v3/objects/contacts", nil)
	req.Header.Set("Authorization", "Bearer demo-sales")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	req.Header.Set("Sec-WebSocket-Version", "13")
	res, err := h.client(h.veilCA, false).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || res.Header.Get("X-Veil-Error") != "egress_refused" {
		t.Fatalf("status %d code %q", res.StatusCode, res.Header.Get("X-Veil-Error"))
	}
}

// TestForwardLeafCacheAndNoLeak opens a new CONNECT per request (jsforce
// does) thousands of times: one leaf is minted for the host, the rest are
// cache hits, and no goroutine or file descriptor outlives the connections.
func TestForwardLeafCacheAndNoLeak(t *testing.T) {
	h := startForward(t)
	c := h.client(h.veilCA, false)
	n := 2000
	if testing.Short() {
		n = 200
	}
	fetch(t, c, "GET", "https://api.hubapi.com/crm/v3/objects/contacts?limit=1", "demo-sales", "") // warm up
	before, fdsBefore := runtime.NumGoroutine(), openFDs(t)
	for i := 0; i < n; i++ {
		status, _, _, _ := fetch(t, c, "GET", "https://api.hubapi.com/crm/v3/objects/contacts?limit=1", "demo-sales", "")
		if status != 200 {
			t.Fatalf("request %d: status %d", i, status)
		}
	}
	st := h.srv.LeafCache.Stats()
	hits, misses := st.Hits, st.Misses
	if misses != 1 || hits < uint64(n) {
		t.Errorf("leaf cache: %d hits, %d misses; want ≥%d hits and 1 miss", hits, misses, n)
	}
	t.Logf("leaf cache hit rate %.4f (%d hits, %d misses)", float64(hits)/float64(hits+misses), hits, misses)
	c.CloseIdleConnections()
	var after, fdsAfter int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		after, fdsAfter = runtime.NumGoroutine(), openFDs(t)
		if after <= before+2 && fdsAfter <= fdsBefore+2 {
			return
		}
	}
	buf := make([]byte, 1<<20)
	t.Errorf("after %d CONNECTs: goroutines %d → %d, open files %d → %d\n%s", n, before, after, fdsBefore, fdsAfter, buf[:runtime.Stack(buf, true)])
}

// openFDs counts this process's open file descriptors (Linux), or -1.
func openFDs(t testing.TB) int {
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(es)
}

func findEmails(b []byte) []string {
	var out []string
	for _, f := range strings.FieldsFunc(string(b), func(r rune) bool { return strings.ContainsRune("\"{}[],: ", r) }) {
		if strings.Contains(f, "@") && strings.Contains(f, ".") {
			out = append(out, f)
		}
	}
	return out
}

var _ = net.Listen

// TestForwardRefusesUnsafeCA: serve will not start with goproxy's public
// CA, nor with a CA whose name constraints exclude a host it must intercept.
func TestForwardRefusesUnsafeCA(t *testing.T) {
	dir := t.TempDir()
	build := func(mutate func(*config.Config)) error {
		cfg := config.Demo("127.0.0.1:0", "127.0.0.1:1", "https://127.0.0.1:2")
		cfg.Forward = config.Forward{Listen: "127.0.0.1:3"}
		mutate(cfg)
		cfg.ApplyDefaults()
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		srv, err := proxy.New(context.Background(), cfg, proxy.Options{Logger: zap.NewNop()})
		if err == nil {
			srv.Close()
		}
		return err
	}
	gpCert, gpKey := filepath.Join(dir, "gp.crt"), filepath.Join(dir, "gp.key")
	if err := os.WriteFile(gpCert, goproxy.CA_CERT, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gpKey, goproxy.CA_KEY, 0o600); err != nil {
		t.Fatal(err)
	}
	err := build(func(c *config.Config) { c.Forward.CACert, c.Forward.CAKey = gpCert, gpKey })
	if err == nil || !strings.Contains(err.Error(), "built-in") {
		t.Errorf("goproxy's CA: %v", err)
	}
	cert, key, err := ca.Init(ca.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	err = build(func(c *config.Config) {
		c.Forward.CACert, c.Forward.CAKey = cert, key
		c.Forward.MITM = []config.MITMHost{{Host: "crm.example.org", Route: c.Routes[0].Name}}
	})
	if err == nil || !strings.Contains(err.Error(), "name constraints") {
		t.Errorf("a host outside the CA's constraints: %v", err)
	}
	if err := build(func(c *config.Config) { c.Forward.CACert, c.Forward.CAKey = cert, key }); err != nil {
		t.Errorf("the default hosts with a default CA: %v", err)
	}
}

// TestForwardVerifiesUpstreamTLS: without forward.upstream_ca the fake
// CRM's certificate is not trusted; Veil answers 502 in the CRM's format
// and never sends the request on.
func TestForwardVerifiesUpstreamTLS(t *testing.T) {
	h := startForward(t, func(c *config.Config, _ *proxy.Options) { c.Forward.UpstreamCA = "" })
	status, hdr, body, _ := fetch(t, h.client(h.veilCA, false), "GET", "https://api.hubapi.com/crm/v3/objects/contacts?limit=1", "demo-sales", "")
	if status != http.StatusBadGateway || hdr.Get("X-Veil-Error") != "upstream_unavailable" {
		t.Fatalf("status %d code %q: %s", status, hdr.Get("X-Veil-Error"), body)
	}
	if !bytes.Contains(body, []byte(`"category"`)) {
		t.Errorf("not a HubSpot-shaped error: %s", body)
	}
}

// TestForwardLogin: jsforce behind HTTPS_PROXY logs in at the CRM's own
// token endpoint; Veil binds the CRM's token to the CRM user's principal and
// leaves instance_url as the CRM's (the client is behind the proxy anyway).
func TestForwardLogin(t *testing.T) {
	h := startForward(t, withCRMUser("crm-analyst", "analyst", "analyst@acme.example"))
	c := h.client(h.veilCA, false)
	req, _ := http.NewRequest("POST", "https://acme.my.salesforce.com/services/oauth2/token",
		strings.NewReader("grant_type=password&username=analyst%40acme.example&password=pw&client_id=c&client_secret=s"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var tok tokenResponse
	if res.StatusCode != 200 || json.Unmarshal(b, &tok) != nil {
		t.Fatalf("login: %d %s", res.StatusCode, b)
	}
	if tok.InstanceURL != "https://acme.my.salesforce.com" {
		t.Errorf("instance_url %q: forward mode keeps the CRM's", tok.InstanceURL)
	}
	q := "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Name, Email FROM Contact LIMIT 3")
	status, _, got, _ := fetch(t, c, "GET", tok.InstanceURL+q, tok.AccessToken, "")
	if status != 200 {
		t.Fatalf("query: %d %s", status, got)
	}
	direct := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: h.crmCA}, Proxy: nil}}
	_, _, truth, _ := fetch(t, direct, "GET", h.crm+q, "crm-token", "")
	for _, e := range findEmails(truth) {
		if bytes.Contains(got, []byte(e)) {
			t.Fatalf("the analyst saw %s through forward mode", e)
		}
	}
	status, hdr, _, _ := fetch(t, c, "POST", "https://acme.my.salesforce.com/services/oauth2/token", "", "")
	if status != 400 || hdr.Get("X-Veil-Error") == "" {
		t.Errorf("a token request that is not a form: %d %q", status, hdr.Get("X-Veil-Error"))
	}
}

// A CRM that sends its headers and part of a body, then stalls, is
// answered with a CRM-shaped 504 once timeouts.upstream_response has
// passed: neither the client nor Veil waits for ever, and the part of the
// body that arrived is not forwarded.
func TestForwardStalledUpstreamBody(t *testing.T) {
	stallCA, err := forwardtest.NewCA("stalling CRM CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := stallCA.Leaf("acme.my.salesforce.com")
	if err != nil {
		t.Fatal(err)
	}
	stall := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "4096")
		_, _ = io.WriteString(w, `{"totalSize":1,"done":true,"records":[{"Email":"jane.doe@example.com"`)
		w.(http.Flusher).Flush()
		<-r.Context().Done() // Veil gives up and closes the connection
	}))
	stall.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}}
	stall.StartTLS()
	t.Cleanup(stall.Close)
	caFile := filepath.Join(t.TempDir(), "stall-ca.crt")
	if err := os.WriteFile(caFile, stallCA.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	h := startForward(t, func(c *config.Config, _ *proxy.Options) {
		c.Forward.UpstreamCA = caFile
		c.Forward.Resolve["acme.my.salesforce.com"] = strings.TrimPrefix(stall.URL, "https://")
		c.Timeouts.UpstreamResponse = 300 * time.Millisecond
	})
	t0 := time.Now()
	status, hdr, body, _ := fetch(t, h.client(h.veilCA, false), "GET", "https://acme.my.salesforce.com/services/data/v62.0/query?q=SELECT+Email+FROM+Contact", "demo-sales", "")
	if status != http.StatusGatewayTimeout || hdr.Get("X-Veil-Error") != "upstream_unavailable" {
		t.Fatalf("got %d %q, want 504 upstream_unavailable: %.300s", status, hdr.Get("X-Veil-Error"), body)
	}
	var errs []map[string]any
	if err := json.Unmarshal(body, &errs); err != nil || len(errs) != 1 || errs[0]["errorCode"] != "upstream_unavailable" {
		t.Fatalf("not a Salesforce error: %s", body)
	}
	if bytes.Contains(body, []byte("jane.doe")) {
		t.Error("the part of the body that arrived was forwarded")
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("answered after %v: the stall was not bounded by timeouts.upstream_response", d)
	}
}

// forward.tls: the proxy itself over TLS (HTTPS_PROXY=https://...). The
// client's CONNECT and proxy credentials travel encrypted; the CRM
// exchange inside is intercepted and inspected as over plain HTTP.
func TestForwardListenerTLS(t *testing.T) {
	dir := t.TempDir()
	lca := newCA(t, "veil forward listener CA")
	leaf := writeLeaf(t, lca, dir, "forward")
	h := startForward(t, func(c *config.Config, _ *proxy.Options) {
		c.Forward.TLS = config.TLS{CertFile: leaf.cert, KeyFile: leaf.key}
	})
	roots := h.veilCA.Clone()
	roots.AppendCertsFromPEM(lca.CertPEM)
	path := "/crm/v3/objects/contacts?limit=2&properties=email"
	direct := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: h.crmCA}, Proxy: nil}}
	_, _, truth, _ := fetch(t, direct, "GET", h.crm+path, "crm-token", "")
	emails := findEmails(truth)
	if len(emails) == 0 {
		t.Fatalf("fixtures hold no e-mail address: %.200s", truth)
	}
	h.proxyURL.Scheme = "https"
	status, hdr, body, _ := fetch(t, h.client(roots, false), "GET", "https://api.hubapi.com"+path, "demo-analyst", "")
	if status != 200 || hdr.Get("X-Request-Id") == "" {
		t.Fatalf("through the TLS proxy listener: %d %.200s", status, body)
	}
	for _, e := range emails {
		if bytes.Contains(body, []byte(e)) {
			t.Fatal("a raw e-mail address went through to the analyst")
		}
	}
	// A client speaking plain HTTP to it gets no proxy.
	h.proxyURL.Scheme = "http"
	c := h.client(roots, false)
	c.Timeout = 3 * time.Second
	if res, err := c.Get("https://api.hubapi.com/crm/v3/objects/contacts"); err == nil {
		res.Body.Close()
		t.Errorf("plain HTTP to the TLS forward listener was served: %d", res.StatusCode)
	}
}
