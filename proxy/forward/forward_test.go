package forward

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elazarl/goproxy"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"

	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/forward/ca"
	"github.com/veil-proxy/veil/proxy/forward/forwardtest"
	"github.com/veil-proxy/veil/proxy/identity"
	"github.com/veil-proxy/veil/proxy/metrics"
	"github.com/veil-proxy/veil/proxy/scope"
)

func TestMatchHost(t *testing.T) {
	for _, c := range []struct {
		pattern, host string
		want          bool
	}{
		{"*.salesforce.com", "acme.my.salesforce.com", true},
		{"*.salesforce.com", "salesforce.com", false},
		{"*.salesforce.com", "evilsalesforce.com", false},
		{"*.salesforce.com", "ACME.Salesforce.com.", true},
		{"api.hubapi.com", "api.hubapi.com", true},
		{"api.hubapi.com", "x.api.hubapi.com", false},
	} {
		if got := config.MatchHost(c.pattern, c.host); got != c.want {
			t.Errorf("MatchHost(%q, %q) = %v", c.pattern, c.host, got)
		}
	}
}

func testConfig(mutate func(*config.Config)) *config.Config {
	c := config.Demo("127.0.0.1:1", "127.0.0.1:2", "https://unused.invalid")
	c.Forward = config.Forward{Listen: "127.0.0.1:3", CACert: "x", CAKey: "y"}
	if mutate != nil {
		mutate(c)
	}
	c.ApplyDefaults()
	return c
}

func TestDefaultsAndDecisions(t *testing.T) {
	cfg := testConfig(func(c *config.Config) { c.Forward.Egress.Allow = []string{"*.googleapis.com"} })
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h := newHosts(cfg)
	for host, want := range map[string]string{
		"login.salesforce.com": "salesforce", "acme.my.salesforce.com": "salesforce", "acme.lightning.force.com": "salesforce",
		"api.hubapi.com": "hubspot", "api.hubspot.com": "hubspot", "example.com": "",
	} {
		got := ""
		if rt := h.route(host); rt != nil {
			got = rt.Name
		}
		if got != want {
			t.Errorf("route(%s) = %q, want %q", host, got, want)
		}
	}
	if !h.tunnel("storage.googleapis.com") || h.tunnel("example.com") {
		t.Error("egress: allowlist or default refuse broken")
	}
	tun := newHosts(testConfig(func(c *config.Config) { c.Forward.Egress.Otherwise = config.EgressTunnel }))
	if !tun.tunnel("example.com") {
		t.Error("otherwise: tunnel not honoured")
	}
}

func TestValidate(t *testing.T) {
	cfg := testConfig(func(c *config.Config) {
		c.Forward.CACert = ""
		c.Forward.MITM = []config.MITMHost{{Host: "bad host", Route: "nope"}}
		c.Forward.Egress.Otherwise = "maybe"
		c.Forward.Resolve = map[string]string{"a": "noport"}
	})
	err := cfg.Validate()
	if err == nil {
		t.Fatal("no problems found")
	}
	for _, want := range []string{"forward.ca_cert", "forward.mitm[0].host", "forward.mitm[0].route", "forward.egress.otherwise", "forward.resolve.a"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing problem %s in %v", want, err)
		}
	}
}

// stubInspector replaces request bodies and counts responses.
type stubInspector struct {
	mu        sync.Mutex
	responses int
}

func (s *stubInspector) InspectRequest(r *http.Request) *crm.Error {
	if r.Header.Get("X-Test-Panic") == "request" {
		panic("inspector bug")
	}
	if scope.From(r.Context()).Principal.ID == "" {
		return &crm.Error{Status: 500, Code: "no_scope"}
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	b, _ := io.ReadAll(r.Body)
	nb := bytes.ReplaceAll(b, []byte("jane.doe@example.com"), []byte("[email]"))
	r.Body = io.NopCloser(bytes.NewReader(nb))
	r.ContentLength = int64(len(nb))
	r.Header.Set("Content-Length", strconv.Itoa(len(nb)))
	return nil
}

func (s *stubInspector) InspectResponse(res *http.Response) error {
	if res.Request.Header.Get("X-Test-Panic") == "response" {
		panic("inspector bug")
	}
	s.mu.Lock()
	s.responses++
	s.mu.Unlock()
	return nil
}

type memAudit struct {
	mu     sync.Mutex
	events []audit.Event
	alerts []audit.Alert
}

func (m *memAudit) Record(e audit.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.events = append(m.events, e)
	return nil
}

func (m *memAudit) Alert(a audit.Alert) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.alerts = append(m.alerts, a)
	return nil
}

// testHandler is a forward Handler served on loopback in front of one TLS
// upstream reached as api.hubapi.com, with a stub inspector and a memory
// auditor, and a client that uses it as its proxy and trusts its CA.
type testHandler struct {
	client *http.Client
	fm     *metrics.Forward
	aud    *memAudit
	insp   *stubInspector
	proxy  *url.URL
	roots  *x509.CertPool
}

func newTestHandler(t *testing.T, upCA *forwardtest.CA, upURL string, mutate func(*config.Config)) *testHandler {
	t.Helper()
	cfg := testConfig(func(c *config.Config) {
		c.Forward.Resolve = map[string]string{"api.hubapi.com": strings.TrimPrefix(upURL, "https://")}
		if mutate != nil {
			mutate(c)
		}
	})
	veilCA, err := forwardtest.NewCA("veil")
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := veilCA.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	ident, err := identity.New(cfg.Identity)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	cache := ca.NewCache(16)
	th := &testHandler{aud: &memAudit{}, insp: &stubInspector{}, roots: veilCA.Pool()}
	th.fm = metrics.RegisterForward(reg, func() (uint64, uint64) { s := cache.Stats(); return s.Hits, s.Misses })
	h, err := New(Options{Config: cfg, Identity: ident, Inspector: th.insp, Metrics: metrics.New(reg, "t"), Connects: th.fm.Connects,
		Audit: th.aud, Log: zap.NewNop(), TLSConfig: goproxy.TLSConfigFromCA(caCert), CertStore: cache,
		Transport: NewTransport(cfg, upCA.Pool())})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = IdleListener(srv.Listener, cfg.Timeouts.Idle, cfg.Timeouts.Write)
	srv.Start()
	t.Cleanup(srv.Close)
	th.proxy, _ = url.Parse(srv.URL)
	th.client = &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(th.proxy), TLSClientConfig: &tls.Config{RootCAs: th.roots}}, Timeout: 5 * time.Second}
	t.Cleanup(th.client.CloseIdleConnections)
	return th
}

type seen struct {
	mu      sync.Mutex
	proto   int
	length  int64
	body    string
	veilHdr bool
}

func TestHandlerMITMBodyLengthAndHTTP2(t *testing.T) {
	// Veil's own HTTP(S)_PROXY must not be used for upstreams: a trap
	// proxy in the environment sees no connection.
	trap, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var trapped atomic.Int32
	go func() {
		for {
			c, err := trap.Accept()
			if err != nil {
				return
			}
			trapped.Add(1)
			c.Close()
		}
	}()
	defer trap.Close()
	for _, k := range []string{"HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "ALL_PROXY"} {
		t.Setenv(k, "http://"+trap.Addr().String())
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")

	upCA, err := forwardtest.NewCA("upstream")
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := upCA.Leaf("api.hubapi.com", "127.0.0.1")
	var got seen
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.mu.Lock()
		got.proto, got.length, got.body, got.veilHdr = r.ProtoMajor, r.ContentLength, string(b), r.Header.Get("X-Veil-Purpose") != ""
		got.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	up.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}}
	up.EnableHTTP2 = true
	up.StartTLS()
	defer up.Close()

	th := newTestHandler(t, upCA, up.URL, nil)
	c, fm, aud, insp := th.client, th.fm, th.aud, th.insp

	req, _ := http.NewRequest("POST", "https://api.hubapi.com/crm/v3/objects/contacts", strings.NewReader(`{"email":"jane.doe@example.com"}`))
	req.Header.Set("Authorization", "Bearer demo-sales")
	req.Header.Set("X-Veil-Purpose", "support")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	got.mu.Lock()
	if got.body != `{"email":"[email]"}` || got.length != int64(len(got.body)) {
		t.Errorf("upstream saw %q with Content-Length %d", got.body, got.length)
	}
	if got.proto != 2 {
		t.Errorf("upstream spoke HTTP/%d, want HTTP/2", got.proto)
	}
	if got.veilHdr {
		t.Error("X-Veil-* headers reached the CRM")
	}
	got.mu.Unlock()
	if n := trapped.Load(); n != 0 {
		t.Errorf("%d connection(s) went to the environment's proxy", n)
	}
	if insp.responses != 1 {
		t.Errorf("InspectResponse ran %d times", insp.responses)
	}

	// A refused host: counted, audited, alerted.
	if _, err := c.Get("https://refused.example.org/"); err == nil {
		t.Error("refused host reachable")
	}
	if v := testutil.ToFloat64(fm.Connects.WithLabelValues(DecisionRefused)); v != 1 {
		t.Errorf("refused count %v", v)
	}
	if v := testutil.ToFloat64(fm.Connects.WithLabelValues(DecisionMITM)); v != 1 {
		t.Errorf("mitm count %v", v)
	}
	aud.mu.Lock()
	if len(aud.events) != 1 || aud.events[0].Kind != audit.KindEgressRefused || aud.events[0].Host != "refused.example.org" || len(aud.alerts) != 1 {
		t.Errorf("audit: %+v %+v", aud.events, aud.alerts)
	}
	aud.mu.Unlock()
	// A retry is audited again, but does not raise a second alert.
	if _, err := c.Get("https://refused.example.org/again"); err == nil {
		t.Error("refused host reachable")
	}
	aud.mu.Lock()
	if len(aud.events) != 2 || len(aud.alerts) != 1 {
		t.Errorf("after a retry: %d events, %d alerts; want 2, 1", len(aud.events), len(aud.alerts))
	}
	aud.mu.Unlock()
}

func TestResolveExactThenLongestWildcard(t *testing.T) {
	d := newDialer(testConfig(func(c *config.Config) {
		c.Forward.Resolve = map[string]string{
			"login.salesforce.com": "127.0.0.1:1", "*.salesforce.com": "127.0.0.1:2", "*.my.salesforce.com": "127.0.0.1:3",
		}
	}))
	for in, want := range map[string]string{
		"login.salesforce.com:443":   "127.0.0.1:1",
		"LOGIN.salesforce.com:443":   "127.0.0.1:1",
		"eu.salesforce.com:443":      "127.0.0.1:2",
		"acme.my.salesforce.com:443": "127.0.0.1:3",
		"api.hubapi.com:443":         "api.hubapi.com:443",
	} {
		if got := d.resolve(in); got != want {
			t.Errorf("resolve(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestRecentBoundsAndWindow(t *testing.T) {
	r := newRecent(time.Minute, 4)
	t0 := time.Unix(1_000_000, 0)
	if !r.first("a", t0) || r.first("a", t0.Add(59*time.Second)) || !r.first("a", t0.Add(time.Minute)) {
		t.Error("window not honoured")
	}
	for i := range 100 {
		r.first(strconv.Itoa(i), t0.Add(time.Duration(i)*time.Second))
		if len(r.seen) > 4 {
			t.Fatalf("holds %d keys, bound 4", len(r.seen))
		}
	}
}

// TestWebsocketAllowedAndHopByHop: with forward.websocket the upgrade goes
// through (still identified: an unknown caller is refused) and frames pass
// both ways; an ordinary request loses its hop-by-hop headers.
func TestWebsocketAllowedAndHopByHop(t *testing.T) {
	upCA, err := forwardtest.NewCA("upstream")
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := upCA.Leaf("api.hubapi.com", "127.0.0.1")
	hopSeen := make(chan http.Header, 1)
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" {
			hopSeen <- r.Header.Clone()
			return
		}
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = rw.Flush()
		line, _ := rw.ReadString('\n') // an "echo" protocol standing in for frames
		_, _ = rw.WriteString("echo " + line)
		_ = rw.Flush()
	}))
	up.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}}
	up.StartTLS()
	defer up.Close()
	th := newTestHandler(t, upCA, up.URL, func(c *config.Config) { c.Forward.Websocket = true })

	dial := func(token string) (*bufio.Reader, net.Conn) {
		conn, err := net.Dial("tcp", th.proxy.Host)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "CONNECT api.hubapi.com:443 HTTP/1.1\r\nHost: api.hubapi.com:443\r\n\r\n")
		br := bufio.NewReader(conn)
		res, err := http.ReadResponse(br, nil)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("CONNECT: %v %v", res, err)
		}
		tc := tls.Client(conn, &tls.Config{ServerName: "api.hubapi.com", RootCAs: th.roots})
		fmt.Fprintf(tc, "GET /ws HTTP/1.1\r\nHost: api.hubapi.com\r\nAuthorization: Bearer %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", token)
		return bufio.NewReader(tc), tc
	}
	br, tc := dial("demo-sales")
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", res, err)
	}
	fmt.Fprintf(tc, "hello\n")
	_ = tc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, err := br.ReadString('\n'); err != nil || line != "echo hello\n" {
		t.Errorf("through the upgraded connection: %q %v", line, err)
	}
	tc.Close()

	br, tc = dial("nobody")
	res, err = http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("an unknown caller's upgrade: %v %v", res, err)
	}
	tc.Close()

	req, _ := http.NewRequest("GET", "https://api.hubapi.com/x", nil)
	req.Header.Set("Authorization", "Bearer demo-sales")
	req.Header.Set("Connection", "X-Secret-Hop")
	req.Header.Set("X-Secret-Hop", "1")
	req.Header.Set("Keep-Alive", "timeout=5")
	res, err = th.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	got := <-hopSeen
	for _, k := range []string{"X-Secret-Hop", "Keep-Alive"} {
		if got.Get(k) != "" {
			t.Errorf("hop-by-hop %s reached the CRM", k)
		}
	}
}

// TestIdleListener: a hijacked connection (intercepted or tunnelled) on
// which nothing moves for timeouts.idle is closed; one in use is not, even
// when only the server side talks (a download through a tunnel).
func TestIdleListener(t *testing.T) {
	upCA, err := forwardtest.NewCA("upstream")
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := upCA.Leaf("api.hubapi.com", "127.0.0.1")
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	up.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}}
	up.StartTLS()
	defer up.Close()
	// A server that talks for a second and never reads.
	talker, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer talker.Close()
	go func() {
		for {
			c, err := talker.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				for range 10 {
					time.Sleep(100 * time.Millisecond)
					if _, err := c.Write([]byte{'x'}); err != nil {
						return
					}
				}
			}()
		}
	}()
	const idle = 300 * time.Millisecond
	th := newTestHandler(t, upCA, up.URL, func(c *config.Config) {
		c.Timeouts.Idle = idle
		c.Forward.Egress.Allow = []string{"talker.test"}
		c.Forward.Resolve["talker.test"] = talker.Addr().String()
	})
	connect := func(host string) (net.Conn, *bufio.Reader) {
		conn, err := net.Dial("tcp", th.proxy.Host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		fmt.Fprintf(conn, "CONNECT %s:443 HTTP/1.1\r\nHost: %[1]s:443\r\n\r\n", host)
		br := bufio.NewReader(conn)
		if res, err := http.ReadResponse(br, nil); err != nil || res.StatusCode != 200 {
			t.Fatalf("CONNECT %s: %v %v", host, res, err)
		}
		return conn, br
	}

	// Intercepted, handshake done, then silence: closed after ~idle.
	conn, _ := connect("api.hubapi.com")
	tc := tls.Client(conn, &tls.Config{ServerName: "api.hubapi.com", RootCAs: th.roots})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = tc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := tc.Read(make([]byte, 1)); err == nil {
		t.Fatal("read data from a silent intercepted connection")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("Veil kept a silent intercepted connection open for 10s (idle %v)", idle)
	}
	if d := time.Since(start); d < idle/2 {
		t.Errorf("closed after %v, before the idle timeout %v", d, idle)
	}

	// Intercepted and in use across several idle periods: kept.
	c := th.client
	for i := range 4 {
		req, _ := http.NewRequest("GET", "https://api.hubapi.com/x", nil)
		req.Header.Set("Authorization", "Bearer demo-sales")
		res, err := c.Do(req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		res.Body.Close()
		time.Sleep(idle / 2)
	}

	// Tunnelled: a one-second download to a silent client is not idle.
	conn, br := connect("talker.test")
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(br)
	if string(got) != "xxxxxxxxxx" {
		t.Errorf("tunnelled download cut: got %q (%v)", got, err)
	}
}

// A panic while serving an intercepted request (goproxy's goroutine, out of
// net/http's reach) ends that exchange with a CRM-shaped 500, not the
// process; the proxy keeps serving.
func TestHandlerRecoversPanics(t *testing.T) {
	upCA, err := forwardtest.NewCA("upstream")
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := upCA.Leaf("api.hubapi.com")
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	up.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}}
	up.StartTLS()
	defer up.Close()
	th := newTestHandler(t, upCA, up.URL, nil)
	get := func(panicAt string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", "https://api.hubapi.com/crm/v3/objects/contacts", nil)
		req.Header.Set("Authorization", "Bearer demo-sales")
		req.Header.Set("X-Veil-Purpose", "support")
		if panicAt != "" {
			req.Header.Set("X-Test-Panic", panicAt)
		}
		res, err := th.client.Do(req)
		if err != nil {
			t.Fatalf("panic at %q: %v", panicAt, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, string(b)
	}
	for _, at := range []string{"request", "response"} {
		res, body := get(at)
		if res.StatusCode != http.StatusInternalServerError || res.Header.Get("X-Veil-Error") != crm.CodeInternal {
			t.Errorf("panic in %s: %d %q, want 500 internal", at, res.StatusCode, res.Header.Get("X-Veil-Error"))
		}
		if !strings.Contains(body, `"category":"internal"`) || res.Header.Get("X-Request-Id") == "" {
			t.Errorf("panic in %s: not a HubSpot error with a request id: %s", at, body)
		}
	}
	if res, body := get(""); res.StatusCode != http.StatusOK || body != `{"ok":true}` {
		t.Errorf("after the panics: %d %s", res.StatusCode, body)
	}
}

// A query url.ParseQuery cannot read whole is re-encoded from the pairs it
// can: what the inspector did not see never reaches the CRM.
func TestOutboundCleansQuery(t *testing.T) {
	upCA, err := forwardtest.NewCA("upstream")
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := upCA.Leaf("api.hubapi.com")
	var mu sync.Mutex
	var got []string
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.RawQuery)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{}`)
	}))
	up.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}}
	up.StartTLS()
	defer up.Close()
	th := newTestHandler(t, upCA, up.URL, nil)
	cases := []struct{ raw, want string }{
		{"limit=5&after=10", "limit=5&after=10"}, // readable: byte for byte
		{"q=SELECT+Id+FROM+Contact+WHERE+Name%3D%27a%3Bb%27", "q=SELECT+Id+FROM+Contact+WHERE+Name%3D%27a%3Bb%27"},
		{"limit=5&q=a;ssn=123-45-6789", "limit=5"},
		{"limit=5&q=%zz123-45-6789", "limit=5"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest("GET", "https://api.hubapi.com/crm/v3/objects/contacts?"+c.raw, nil)
		req.Header.Set("Authorization", "Bearer demo-sales")
		req.Header.Set("X-Veil-Purpose", "support")
		res, err := th.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		mu.Lock()
		last := ""
		if len(got) > 0 {
			last = got[len(got)-1]
		}
		mu.Unlock()
		if res.StatusCode != http.StatusOK || last != c.want {
			t.Errorf("%q: %d, the CRM saw %q, want %q", c.raw, res.StatusCode, last, c.want)
		}
	}
}
