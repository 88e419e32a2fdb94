package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veil-proxy/veil/cmd/fakecrm/fakecrm"
	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/forward/ca"
	"github.com/veil-proxy/veil/proxy/forward/forwardtest"
	"github.com/veil-proxy/veil/proxy/logging"
	"github.com/veil-proxy/veil/proxy/scan"
)

// scripts holds package.json, package-lock.json, the scripts and, once
// `make e2e` has run npm ci, node_modules.
const scripts = "../../testdata/e2e"

// crmHosts are the names the fake CRM answers as in forward mode: jsforce's
// default login URL (whose token response names it as instance_url too) and
// the HubSpot client's default base path.
var crmHosts = []string{"login.salesforce.com", "api.hubapi.com"}

// pageSize makes Salesforce queries a few pages long (12 contacts: 5 + 5 +
// 2), so jsforce follows nextRecordsUrl.
const pageSize = 5

// TestClientsThroughVeil runs each script of testdata/e2e with node, once
// with Veil as the clients' base URL and once as their HTTPS proxy; a
// script fails (non-zero exit) on its first failed assertion. One script in
// one mode: -run 'TestClientsThroughVeil/reverse/soap'.
// TestClientsThroughVeil runs the clients, pinned in
// testdata/e2e/package-lock.json, under node against the fake CRM
// (cmd/fakecrm/fakecrm) behind an in-process Veil, in reverse mode (Veil as
// the clients' base URL) and in forward mode (Veil as their HTTPS proxy,
// the fake CRM answering as login.salesforce.com and api.hubapi.com on
// loopback). The scripts in testdata/e2e assert what each principal sees
// and how refusals surface in each client. `make e2e` installs the clients
// with npm ci.
func TestClientsThroughVeil(t *testing.T) {
	if os.Getenv("VEIL_E2E") != "1" {
		t.Skip("skipped: set VEIL_E2E=1 to drive the real jsforce and @hubspot/api-client through Veil " +
			"(`make e2e` installs them in testdata/e2e with npm ci and sets it)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("VEIL_E2E=1 but node is not on PATH: install Node.js 18+ (https://nodejs.org/, or apt-get install nodejs npm) and run make e2e")
	}
	checkInstalled(t)
	// soap.js writes Contacts, which salesforce.js counts (and the other
	// way round): it gets a fake CRM, and a Veil, of its own.
	shared := []string{"salesforce.js", "hubspot.js"}
	own := []string{"soap.js"}
	for _, mode := range []string{"reverse", "forward"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			st := start(t, mode)
			// After the scripts on st (cleanups run once the subtests are
			// done, before Veil's shutdown registered by start), when they
			// all ran (-run may select some) and passed.
			var ran atomic.Int64
			whole := func() bool {
				if n := ran.Load(); n < int64(len(shared)) {
					t.Logf("%d of %d scripts ran: no check of the whole run", n, len(shared))
					return false
				}
				return !t.Failed()
			}
			if mode == "forward" {
				// Their CRM traffic was intercepted, and no client asked
				// the proxy for any other host.
				t.Cleanup(func() {
					if whole() {
						st.checkForwardMetrics(t, 10)
					}
				})
			} else {
				t.Cleanup(func() {
					if !whole() {
						return
					}
					if n := st.chunkedUploads.Load(); n == 0 {
						t.Error("no chunked Bulk API upload reached Veil: jsforce's bulk2 ingest uploads CSV without Content-Length")
					} else {
						t.Logf("reverse mode: %d chunked Bulk API uploads", n)
					}
				})
			}
			for _, script := range shared {
				t.Run(strings.TrimSuffix(script, ".js"), func(t *testing.T) {
					t.Parallel()
					ran.Add(1)
					st.run(t, node, script)
				})
			}
			for _, script := range own {
				t.Run(strings.TrimSuffix(script, ".js"), func(t *testing.T) {
					t.Parallel()
					st := start(t, mode)
					if mode == "forward" {
						t.Cleanup(func() {
							if !t.Failed() {
								st.checkForwardMetrics(t, 1)
							}
						})
					}
					st.run(t, node, script)
				})
			}
		})
	}
}

// checkInstalled fails unless node_modules holds exactly the versions
// package.json pins.
func checkInstalled(t *testing.T) {
	t.Helper()
	var pkg struct{ Dependencies map[string]string }
	readJSON(t, filepath.Join(scripts, "package.json"), &pkg)
	if len(pkg.Dependencies) == 0 {
		t.Fatal("testdata/e2e/package.json pins no dependency")
	}
	for name, want := range pkg.Dependencies {
		var got struct{ Version string }
		path := filepath.Join(scripts, "node_modules", filepath.FromSlash(name), "package.json")
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("VEIL_E2E=1 but %s is not installed in testdata/e2e/node_modules: run make e2e (npm ci in testdata/e2e)", name)
		}
		if readJSON(t, path, &got); got.Version != want {
			t.Fatalf("testdata/e2e/node_modules holds %s %s, package.json pins %s: run make e2e (npm ci in testdata/e2e)", name, got.Version, want)
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// stack is a fake CRM and a Veil in front of it, both in-process on
// 127.0.0.1 ports of their own.
type stack struct {
	mode   string
	veil   string // reverse listener, http://127.0.0.1:port
	crm    string // the fake CRM over plain HTTP, unproxied: the scripts' ground truth
	admin  string // admin listener, http://127.0.0.1:port
	proxy  string // forward listener, http://127.0.0.1:port (forward mode)
	caCert string // Veil's CA, PEM (forward mode)
	logs   *syncBuffer

	chunkedUploads atomic.Int64 // Bulk API uploads without Content-Length seen by the reverse listener
}

func start(t *testing.T, mode string) *stack {
	t.Helper()
	crm, err := fakecrm.New(os.DirFS("../../testdata/crm"), fakecrm.Options{PageSize: pageSize})
	if err != nil {
		t.Fatal(err)
	}
	plain := httptest.NewServer(crm)
	t.Cleanup(plain.Close)

	ln, adminLn := listen(t), listen(t)
	cfg := config.Demo(ln.Addr().String(), adminLn.Addr().String(), plain.URL)
	st := &stack{mode: mode, veil: "http://" + ln.Addr().String(), admin: "http://" + adminLn.Addr().String(), crm: plain.URL, logs: &syncBuffer{}}
	var fwdLn net.Listener
	if mode == "forward" {
		fwdLn = listen(t)
		cfg.Forward = forwardConfig(t, crm, fwdLn.Addr().String())
		st.proxy, st.caCert = "http://"+fwdLn.Addr().String(), cfg.Forward.CACert
		cfg.ApplyDefaults() // forward.mitm: the CRM hosts, login.salesforce.com and api.hubapi.com among them
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	log, err := logging.New(logging.Options{Level: "info", Output: st.logs, Scrub: scan.LogScrubber()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := proxy.New(ctx, cfg, proxy.Options{Logger: log})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	// What reaches the reverse listener, before Veil reads it: jsforce's
	// Bulk API uploads are chunked (no Content-Length).
	inner := srv.Handler
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/batches") && r.ContentLength == -1 {
			st.chunkedUploads.Add(1)
		}
		inner.ServeHTTP(w, r)
	})
	done := make(chan error, 1)
	go func() { done <- srv.ServeAll(ctx, proxy.Listeners{Proxy: ln, Admin: adminLn, Forward: fwdLn}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeAll: %v", err)
		}
	})
	return st
}

// forwardConfig serves crm over TLS (HTTP/2 offered) as the CRMs' real
// names with a throwaway CA that Veil trusts (forward.upstream_ca), makes
// Veil's own CA as `veil ca init` does, and maps the names to loopback
// (forward.resolve): nothing leaves 127.0.0.1.
func forwardConfig(t *testing.T, crm http.Handler, listen string) config.Forward {
	t.Helper()
	dir := t.TempDir()
	caCert, caKey, err := ca.Init(ca.Options{Dir: filepath.Join(dir, "veil-ca"), CommonName: "Veil e2e CA"})
	if err != nil {
		t.Fatal(err)
	}
	crmCA, err := forwardtest.NewCA("fake CRM e2e CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := crmCA.Leaf(crmHosts...)
	if err != nil {
		t.Fatal(err)
	}
	upCA := filepath.Join(dir, "fake-crm-ca.crt")
	if err := os.WriteFile(upCA, crmCA.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(crm)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf}, NextProtos: []string{"h2", "http/1.1"}}
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	resolve := map[string]string{}
	for _, h := range crmHosts {
		resolve[h] = srv.Listener.Addr().String()
	}
	return config.Forward{Listen: listen, CACert: caCert, CAKey: caKey, UpstreamCA: upCA, Resolve: resolve}
}

// run runs script with node and fails the test with its output, and Veil's
// log, when it exits non-zero.
func (st *stack) run(t *testing.T, node, script string) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--require", "./guard.js", script)
	cmd.Dir = scripts
	cmd.Env = st.env()
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		t.Fatalf("node %s (%s mode) failed after %v: %v\n%s\n--- Veil's log ---\n%s",
			script, st.mode, time.Since(t0).Round(time.Millisecond), err, out.String(), st.logs.String())
	}
	t.Logf("node %s (%s mode), %v:\n%s", script, st.mode, time.Since(t0).Round(time.Millisecond), out.String())
}

// env is the test's environment without anything that would send the
// clients elsewhere or trust other CAs, plus what the scripts read.
func (st *stack) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "NODE_EXTRA_CA_CERTS", "NODE_OPTIONS", "NODE_TLS_REJECT_UNAUTHORIZED":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "VEIL_E2E_MODE="+st.mode, "VEIL_E2E_VEIL_URL="+st.veil, "VEIL_E2E_CRM_URL="+st.crm)
	if st.mode == "reverse" {
		return append(env, "VEIL_E2E_SF_LOGIN_URL="+st.veil, "VEIL_E2E_HS_BASE_URL="+st.veil)
	}
	// jsforce reads HTTPS_PROXY when it is loaded; the HubSpot client gets
	// an agent for VEIL_E2E_PROXY. Both trust Veil's CA through node.
	return append(env, "VEIL_E2E_SF_LOGIN_URL=https://"+crmHosts[0], "VEIL_E2E_HS_BASE_URL=https://"+crmHosts[1],
		"VEIL_E2E_PROXY="+st.proxy, "HTTPS_PROXY="+st.proxy, "NODE_EXTRA_CA_CERTS="+st.caCert)
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// checkForwardMetrics reads veil_forward_connects_total from the admin
// endpoint: CONNECTs to the CRM hosts were intercepted (mitm), at least
// minMITM, none was tunnelled or refused.
func (st *stack) checkForwardMetrics(t *testing.T, minMITM float64) {
	res, err := http.Get(st.admin + "/metrics")
	if err != nil {
		t.Errorf("metrics: %v", err)
		return
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Errorf("metrics: %v", err)
		return
	}
	got := map[string]float64{}
	for line := range strings.Lines(string(b)) {
		rest, ok := strings.CutPrefix(line, `veil_forward_connects_total{decision="`)
		if !ok {
			continue
		}
		decision, value, _ := strings.Cut(rest, `"} `)
		n, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			t.Errorf("metrics line %q: %v", line, err)
		}
		got[decision] = n
	}
	t.Logf("forward mode: veil_forward_connects_total %v", got)
	if got["mitm"] < minMITM || got["tunnel"] != 0 || got["refused"] != 0 || got["websocket_refused"] != 0 {
		t.Errorf("veil_forward_connects_total by decision: %v; want the clients' CONNECTs intercepted (mitm), none tunnelled or refused", got)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
