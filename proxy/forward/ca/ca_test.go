package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elazarl/goproxy"
)

func initCA(t testing.TB, o Options) *CA {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	cert, key, err := Init(o)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// mint is what goproxy does for a CONNECT to host.
func mint(t testing.TB, c *CA, host string) *tls.Certificate {
	t.Helper()
	cfg, err := goproxy.TLSConfigFromCA(c.Certificate())(host+":443", &goproxy.ProxyCtx{Proxy: goproxy.NewProxyHttpServer()})
	if err != nil {
		t.Fatal(err)
	}
	return &cfg.Certificates[0]
}

func verify(c *CA, leaf *tls.Certificate, host string) error {
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(c.CertPEM())
	x, err := x509.ParseCertificate(leaf.Certificate[0])
	if err != nil {
		return err
	}
	_, err = x.Verify(x509.VerifyOptions{DNSName: host, Roots: roots})
	return err
}

func TestInitWritesECDSAP256WithModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	cert, key, err := Init(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{cert: 0o644, key: 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(path), fi.Mode().Perm(), want)
		}
	}
	c, err := Load(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	x := c.Certificate().Leaf
	pub, ok := x.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Fatalf("key %T, want ECDSA P-256", x.PublicKey)
	}
	if !x.IsCA || !x.MaxPathLenZero || x.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("not a leaf-only CA: IsCA %v MaxPathLenZero %v usage %v", x.IsCA, x.MaxPathLenZero, x.KeyUsage)
	}
	if got := strings.Join(x.PermittedDNSDomains, ","); got != strings.Join(DefaultPermitted, ",") || !x.PermittedDNSDomainsCritical {
		t.Errorf("name constraints %q (critical %v)", got, x.PermittedDNSDomainsCritical)
	}
	if d := time.Until(c.NotAfter()); d < DefaultValidity-time.Hour {
		t.Errorf("valid for %v", d)
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	cert, key, err := Init(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(cert)
	if _, _, err := Init(Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second Init: %v", err)
	}
	if now, _ := os.ReadFile(cert); string(now) != string(old) {
		t.Fatal("the refused Init changed the certificate")
	}
	// --force replaces both, and a key that was loosened is 0600 again.
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Init(Options{Dir: dir, Force: true}); err != nil {
		t.Fatal(err)
	}
	if now, _ := os.ReadFile(cert); string(now) == string(old) {
		t.Error("--force kept the old certificate")
	}
	if fi, _ := os.Stat(key); fi.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v after --force", fi.Mode().Perm())
	}
	if _, err := Load(cert, key); err != nil {
		t.Error(err)
	}
}

func TestNameConstraintsLimitWhatALeakedKeySigns(t *testing.T) {
	c := initCA(t, Options{})
	for _, host := range []string{"api.hubapi.com", "acme.my.salesforce.com", "login.salesforce.com", "x.force.com", "api.hubspot.com"} {
		if err := verify(c, mint(t, c, host), host); err != nil {
			t.Errorf("%s: %v", host, err)
		}
		if !c.Permits(host) {
			t.Errorf("Permits(%s) = false", host)
		}
	}
	for _, host := range []string{"www.google.com", "evilsalesforce.com", "127.0.0.1"} {
		err := verify(c, mint(t, c, host), host)
		var ce x509.CertificateInvalidError
		if !errors.As(err, &ce) || ce.Reason != x509.CANotAuthorizedForThisName {
			t.Errorf("%s: a leaf outside the constraints verified (err %v)", host, err)
		}
		if c.Permits(host) {
			t.Errorf("Permits(%s) = true", host)
		}
	}
	if !c.Permits("*.salesforce.com") || c.Permits("*.example.com") {
		t.Error("Permits on wildcard patterns")
	}

	any := initCA(t, Options{AnyHost: true})
	if err := verify(any, mint(t, any, "www.example.org"), "www.example.org"); err != nil || !any.Permits("www.example.org") {
		t.Errorf("--any-host CA: %v", err)
	}
	own := initCA(t, Options{Permitted: []string{"crm.internal"}})
	if !own.Permits("eu.crm.internal") || own.Permits("api.hubapi.com") {
		t.Error("custom permitted domains")
	}
	if _, _, err := Init(Options{Dir: t.TempDir(), Permitted: []string{"*.bad"}}); err == nil {
		t.Error("a wildcard accepted as a permitted domain")
	}
}

func TestLoadRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	gpCert, gpKey := write("gp.crt", goproxy.CA_CERT), write("gp.key", goproxy.CA_KEY)
	if _, err := Load(gpCert, gpKey); err == nil || !strings.Contains(err.Error(), "built-in") {
		t.Errorf("goproxy's CA: %v", err)
	}

	c := initCA(t, Options{})
	leaf := mint(t, c, "api.hubapi.com")
	kb, _ := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
	leafCert := write("leaf.crt", pemBlock("CERTIFICATE", leaf.Certificate[0]))
	leafKey := write("leaf.key", pemBlock("PRIVATE KEY", kb))
	if _, err := Load(leafCert, leafKey); err == nil || !strings.Contains(err.Error(), "not a certificate authority") {
		t.Errorf("a leaf as CA: %v", err)
	}

	other := t.TempDir()
	oc, _, _ := Init(Options{Dir: other})
	_, ownKey, _ := Init(Options{Dir: filepath.Join(dir, "own")})
	if _, err := Load(oc, ownKey); err == nil {
		t.Error("a key that does not match the certificate was accepted")
	}

	exp := t.TempDir()
	ec, ek, err := Init(Options{Dir: exp, Validity: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load(ec, ek); err == nil || !strings.Contains(err.Error(), "valid only") {
		t.Errorf("an expired CA: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.crt"), ek); err == nil {
		t.Error("a missing file")
	}
}

func TestCacheLRU(t *testing.T) {
	c := initCA(t, Options{})
	cache := NewCache(2)
	var minted atomic.Int32
	get := func(host string) *tls.Certificate {
		cert, err := cache.Fetch(host, func() (*tls.Certificate, error) {
			minted.Add(1)
			return mint(t, c, host), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return cert
	}
	a := get("a.salesforce.com")
	if get("a.salesforce.com") != a {
		t.Error("a hit returned another certificate")
	}
	get("b.salesforce.com")
	get("a.salesforce.com") // a is now the most recent
	get("c.salesforce.com") // evicts b
	get("a.salesforce.com")
	if minted.Load() != 3 {
		t.Errorf("minted %d, want 3 (a, b, c)", minted.Load())
	}
	get("b.salesforce.com") // minted again
	s := cache.Stats()
	if s.Hits != 3 || s.Misses != 4 || s.Evictions != 2 || s.Len != 2 {
		t.Errorf("stats %+v, want 3 hits, 4 misses, 2 evictions, 2 held", s)
	}
}

func TestCacheErrorsAreNotCachedAndExpiringLeavesRenew(t *testing.T) {
	c := initCA(t, Options{})
	cache := NewCache(8)
	boom := errors.New("boom")
	if _, err := cache.Fetch("x.force.com", func() (*tls.Certificate, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	n := 0
	gen := func() (*tls.Certificate, error) { n++; return mint(t, c, "x.force.com"), nil }
	if _, err := cache.Fetch("x.force.com", gen); err != nil || n != 1 {
		t.Fatalf("after an error: err %v, minted %d", err, n)
	}
	cache.now = func() time.Time { return time.Now().Add(365 * 24 * time.Hour) } // goproxy's leaves last a year
	if _, err := cache.Fetch("x.force.com", gen); err != nil || n != 2 {
		t.Errorf("a leaf about to expire was served from the cache (minted %d)", n)
	}
}

func TestCacheConcurrentMissMintsOnce(t *testing.T) {
	c := initCA(t, Options{})
	cache := NewCache(8)
	var minted atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	certs := make([]*tls.Certificate, 16)
	for i := range certs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			certs[i], _ = cache.Fetch("api.hubapi.com", func() (*tls.Certificate, error) {
				minted.Add(1)
				<-release
				return mint(t, c, "api.hubapi.com"), nil
			})
		}()
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if minted.Load() != 1 {
		t.Errorf("minted %d times", minted.Load())
	}
	for _, cert := range certs {
		if cert != certs[0] {
			t.Fatal("callers got different certificates")
		}
	}
}

// BenchmarkMint is the cost of one leaf with an ECDSA P-256 CA, and of a
// cache hit, which is what every CONNECT after the first to a host pays.
func BenchmarkMint(b *testing.B) {
	c := initCA(b, Options{})
	gen := goproxy.TLSConfigFromCA(c.Certificate())
	ctx := &goproxy.ProxyCtx{Proxy: goproxy.NewProxyHttpServer()}
	b.Run("mint", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := gen("api.hubapi.com:443", ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cache_hit", func(b *testing.B) {
		cache := NewCache(16)
		leaf := mint(b, c, "api.hubapi.com")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := cache.Fetch("api.hubapi.com", func() (*tls.Certificate, error) { return leaf, nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
