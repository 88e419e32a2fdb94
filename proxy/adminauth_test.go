package proxy_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/forward/forwardtest"
	"github.com/veil-proxy/veil/proxy/inventory"
)

const (
	adminToken = "s3cret-admin-token-0123456789abcdef"
	otherToken = "an0ther-admin-token-0123456789abcdef"
)

// withAdminToken protects the admin API with a token file holding token.
func withAdminToken(t *testing.T, token string, metricsOpen bool) (harnessOption, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "admin-token")
	writeFile(t, path, []byte(token+"\n"), 0o600)
	return func(c *config.Config, _ *proxy.Options) {
		c.Admin.TokenFile = path
		c.Admin.MetricsOpen = metricsOpen
	}, path
}

// writeFile replaces path atomically (a rename, as a Kubernetes secret
// volume or cert-manager does).
func writeFile(t *testing.T, path string, b []byte, perm os.FileMode) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tmp, perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// noRedirect sees a redirect as it is, not where it leads.
var noRedirect = &http.Client{
	Transport:     &http.Transport{Proxy: nil},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func TestAdminOpenWithoutToken(t *testing.T) {
	h := start(t)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/healthz"}, {"GET", "/readyz"}, {"GET", "/metrics"}, {"GET", inventory.Path}, {"POST", "/admin/reload"},
	} {
		if r := do(t, tc.method, h.admin+tc.path, "", ""); r.status != http.StatusOK {
			t.Errorf("%s %s = %d, want 200 with no token configured: %s", tc.method, tc.path, r.status, r.body)
		}
	}
}

func TestAdminToken(t *testing.T) {
	opt, _ := withAdminToken(t, adminToken, false)
	h := start(t, opt)
	closed := []struct{ method, path string }{
		{"GET", "/metrics"}, {"GET", inventory.Path}, {"POST", "/admin/reload"},
		{"GET", "/admin/decisions/abc"}, {"POST", "/admin/vault/forget"}, {"GET", "/nothing-here"},
	}
	for _, tc := range closed {
		for _, auth := range []string{"", "Bearer " + otherToken, "Bearer " + adminToken[:len(adminToken)-1], "Basic " + adminToken, adminToken, "Bearer "} {
			r := do(t, tc.method, h.admin+tc.path, "", "", "Authorization", auth)
			if r.status != http.StatusUnauthorized {
				t.Errorf("%s %s with Authorization %q = %d, want 401", tc.method, tc.path, auth, r.status)
				continue
			}
			if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="veil-admin"` {
				t.Errorf("%s %s: WWW-Authenticate %q", tc.method, tc.path, got)
			}
			if e := decodeJSON[map[string]string](t, r.body); e["error"] != "unauthorized" || len(e) != 1 {
				t.Errorf("%s %s: body %s", tc.method, tc.path, r.body)
			}
		}
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := do(t, "GET", h.admin+p, "", ""); r.status != http.StatusOK {
			t.Errorf("GET %s = %d without a token, want 200 (probes have no credentials)", p, r.status)
		}
	}
	// A path that only cleans to an open one is not open.
	req, _ := http.NewRequest("GET", h.admin+"/healthz/../admin/inventory", nil)
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /healthz/../admin/inventory = %d, want 401", res.StatusCode)
	}

	if r := do(t, "GET", h.admin+inventory.Path, adminToken, ""); r.status != http.StatusOK {
		t.Errorf("GET %s with the token = %d: %s", inventory.Path, r.status, r.body)
	}
	if r := do(t, "GET", h.admin+inventory.Path, "", "", "Authorization", "bearer "+adminToken); r.status != http.StatusOK {
		t.Errorf("scheme bearer (lower case) = %d, want 200", r.status)
	}
	if r := do(t, "POST", h.admin+"/admin/reload", adminToken, ""); r.status != http.StatusOK {
		t.Errorf("POST /admin/reload with the token = %d: %s", r.status, r.body)
	}
	if r := do(t, "GET", h.admin+"/admin/decisions/abc", adminToken, ""); r.status != http.StatusNotFound {
		t.Errorf("GET /admin/decisions/abc with the token = %d, want 404 (past the check)", r.status)
	}
	r := do(t, "GET", h.admin+"/metrics", adminToken, "")
	if r.status != http.StatusOK {
		t.Fatalf("GET /metrics with the token = %d", r.status)
	}
	for _, want := range []string{`veil_admin_unauthorized_total{reason="missing"} 25`, `veil_admin_unauthorized_total{reason="invalid"} 12`} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if logs := h.logs.String(); strings.Contains(logs, adminToken) || strings.Contains(logs, otherToken) || strings.Contains(logs, adminToken[:len(adminToken)-1]) {
		t.Errorf("a token is in the log:\n%s", logs)
	} else if !strings.Contains(logs, "admin API request refused") {
		t.Errorf("no refusal logged:\n%s", logs)
	}
}

func TestAdminMetricsOpen(t *testing.T) {
	opt, _ := withAdminToken(t, adminToken, true)
	h := start(t, opt)
	if r := do(t, "GET", h.admin+"/metrics", "", ""); r.status != http.StatusOK || !strings.Contains(string(r.body), "veil_build_info") {
		t.Errorf("GET /metrics without a token (metrics_open) = %d", r.status)
	}
	if r := do(t, "GET", h.admin+inventory.Path, "", ""); r.status != http.StatusUnauthorized {
		t.Errorf("GET %s without a token = %d, want 401 (only /metrics is open)", inventory.Path, r.status)
	}
}

// within15s retries f (which reports whether it succeeded) for up to 15s:
// files are looked at every few seconds.
func within15s(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 15s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestAdminTokenRotation(t *testing.T) {
	t.Parallel()
	opt, path := withAdminToken(t, adminToken, false)
	h := start(t, opt)
	if r := do(t, "GET", h.admin+inventory.Path, adminToken, ""); r.status != http.StatusOK {
		t.Fatalf("with the token = %d", r.status)
	}
	writeFile(t, path, []byte(otherToken+"\n"), 0o600)
	within15s(t, "the rotated token accepted", func() bool {
		return do(t, "GET", h.admin+inventory.Path, otherToken, "").status == http.StatusOK
	})
	if r := do(t, "GET", h.admin+inventory.Path, adminToken, ""); r.status != http.StatusUnauthorized {
		t.Errorf("the old token after rotation = %d, want 401", r.status)
	}
}

// tlsPair is a leaf certificate and key for 127.0.0.1 written as PEM.
type tlsPair struct{ cert, key string }

// writeLeaf writes a leaf for 127.0.0.1 signed by ca to dir/name.crt and
// dir/name.key (replacing them atomically).
func writeLeaf(t *testing.T, ca *forwardtest.CA, dir, name string) tlsPair {
	t.Helper()
	leaf, err := ca.Leaf("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	p := tlsPair{filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")}
	writeFile(t, p.key, keyPEM(t, leaf.PrivateKey), 0o600)
	var certPEM []byte
	for _, der := range leaf.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	writeFile(t, p.cert, certPEM, 0o644)
	return p
}

func keyPEM(t *testing.T, key any) []byte {
	t.Helper()
	b, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: b})
}

// clientCert is a client certificate signed by ca.
func clientCert(t *testing.T, ca *forwardtest.CA) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "veil-admin-client"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func newCA(t *testing.T, name string) *forwardtest.CA {
	t.Helper()
	ca, err := forwardtest.NewCA(name)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// tlsClient trusts only roots, offers h2 and presents certs; a fresh one
// makes a fresh handshake.
func tlsClient(roots *x509.CertPool, certs ...tls.Certificate) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:             nil,
		ForceAttemptHTTP2: true,
		TLSClientConfig:   &tls.Config{RootCAs: roots, Certificates: certs, MinVersion: tls.VersionTLS12},
	}}
}

func get(c *http.Client, url string) (*http.Response, error) {
	defer c.CloseIdleConnections()
	res, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	return res, nil
}

func httpsURL(u string) string { return strings.Replace(u, "http://", "https://", 1) }

func TestTLSListeners(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca := newCA(t, "veil test listeners CA")
	rev, adm := writeLeaf(t, ca, dir, "reverse"), writeLeaf(t, ca, dir, "admin")
	h := start(t, func(c *config.Config, _ *proxy.Options) {
		c.TLS = config.TLS{CertFile: rev.cert, KeyFile: rev.key}
		c.Admin.TLS = config.TLS{CertFile: adm.cert, KeyFile: adm.key}
	})
	c := tlsClient(ca.Pool())
	for _, u := range []string{httpsURL(h.veil) + "/services/nothing", httpsURL(h.admin) + "/healthz"} {
		res, err := get(c, u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		if res.TLS == nil || res.TLS.Version < tls.VersionTLS12 || res.ProtoMajor != 2 || res.TLS.NegotiatedProtocol != "h2" {
			t.Errorf("GET %s: %s, ALPN %q: want HTTP/2 over TLS", u, res.Proto, res.TLS.NegotiatedProtocol)
		}
	}
	res, err := get(c, httpsURL(h.admin)+"/readyz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz over TLS: %v %v", res, err)
	}
	// HTTP/1.1 clients are served too.
	h1 := &http.Client{Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	if res, err := get(h1, httpsURL(h.admin)+"/healthz"); err != nil || res.ProtoMajor != 1 {
		t.Errorf("HTTP/1.1 over TLS: %v %v", res, err)
	}
	// TLS 1.1 is refused.
	old := &http.Client{Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), MaxVersion: tls.VersionTLS11}}}
	if _, err := get(old, httpsURL(h.veil)+"/"); err == nil {
		t.Error("TLS 1.1 accepted")
	}
	// Plain HTTP to a TLS listener gets nothing useful.
	if res, err := get(&http.Client{Transport: &http.Transport{Proxy: nil}}, h.admin+"/healthz"); err == nil && res.StatusCode == http.StatusOK {
		t.Error("plain HTTP answered 200 on the TLS admin listener")
	}
	// A client that does not trust the CA fails.
	if _, err := get(tlsClient(newCA(t, "stranger").Pool()), httpsURL(h.veil)+"/"); err == nil {
		t.Error("a client trusting another CA connected")
	}
}

func TestTLSCertificateRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca1, ca2 := newCA(t, "veil test CA one"), newCA(t, "veil test CA two")
	p := writeLeaf(t, ca1, dir, "tls")
	h := start(t, func(c *config.Config, _ *proxy.Options) {
		c.TLS = config.TLS{CertFile: p.cert, KeyFile: p.key}
	})
	if _, err := get(tlsClient(ca1.Pool()), httpsURL(h.veil)+"/"); err != nil {
		t.Fatal(err)
	}
	writeLeaf(t, ca2, dir, "tls")
	within15s(t, "the replaced certificate served", func() bool {
		_, err := get(tlsClient(ca2.Pool()), httpsURL(h.veil)+"/")
		return err == nil
	})
	if _, err := get(tlsClient(ca1.Pool()), httpsURL(h.veil)+"/"); err == nil {
		t.Error("the old certificate is still served")
	}
	// A broken pair on disk keeps the last good one in service.
	if err := os.WriteFile(p.cert, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond)
	if _, err := get(tlsClient(ca2.Pool()), httpsURL(h.veil)+"/"); err != nil {
		t.Errorf("a broken certificate file interrupted service: %v", err)
	}
	if !strings.Contains(h.logs.String(), "reload failed") {
		t.Error("the failed reload is not logged")
	}
}

func TestAdminMutualTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca, clients := newCA(t, "veil test server CA"), newCA(t, "veil test client CA")
	caFile, _, err := clients.Write(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	adm := writeLeaf(t, ca, dir, "admin")
	h := start(t, func(c *config.Config, _ *proxy.Options) {
		c.Admin.TLS = config.TLS{CertFile: adm.cert, KeyFile: adm.key, ClientCAFile: caFile}
	})
	u := httpsURL(h.admin) + inventory.Path
	if _, err := get(tlsClient(ca.Pool()), u); err == nil {
		t.Error("a client without a certificate was served")
	}
	if _, err := get(tlsClient(ca.Pool(), clientCert(t, newCA(t, "stranger"))), u); err == nil {
		t.Error("a client certificate from another CA was accepted")
	}
	res, err := get(tlsClient(ca.Pool(), clientCert(t, clients)), u)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("a client with a certificate: %v %v", res, err)
	}
	// The reverse listener is untouched.
	if r := do(t, "GET", h.veil+"/services/nothing", "", ""); r.status == 0 {
		t.Error("reverse listener")
	}
}

// admin.pprof serves the runtime profiles on the admin listener, behind
// the token; without it they are not there.
func TestAdminPprof(t *testing.T) {
	opt, _ := withAdminToken(t, adminToken, false)
	h := start(t, opt, func(c *config.Config, _ *proxy.Options) { c.Admin.Pprof = true })
	if r := do(t, "GET", h.admin+"/debug/pprof/heap?debug=1", "", ""); r.status != http.StatusUnauthorized {
		t.Errorf("heap profile without the token = %d, want 401", r.status)
	}
	r := do(t, "GET", h.admin+"/debug/pprof/heap?debug=1", adminToken, "")
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "heap profile:") {
		t.Errorf("heap profile with the token = %d %.100s", r.status, r.body)
	}
	if r := do(t, "GET", h.admin+"/debug/pprof/", adminToken, ""); r.status != http.StatusOK || !strings.Contains(string(r.body), "goroutine") {
		t.Errorf("pprof index = %d", r.status)
	}
	off := start(t, opt)
	if r := do(t, "GET", off.admin+"/debug/pprof/heap", adminToken, ""); r.status != http.StatusNotFound {
		t.Errorf("heap profile with admin.pprof off = %d, want 404", r.status)
	}
}
