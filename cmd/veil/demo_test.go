package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestDemo runs `veil demo` as make run does (on free ports) and follows
// the first curl of its banner.
func TestDemo(t *testing.T) {
	listen, admin, fwd := freeAddr(t), freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, logs lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--listen", listen, "--admin", admin, "--forward", fwd, "--crm-data", "../../testdata/crm", "--audit-dir", t.TempDir()}, &out, &logs)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "Ctrl-C stops the demo") {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no banner; logs:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "curl -s -H 'Authorization: Bearer demo-admin'") {
		t.Errorf("banner lacks the curls:\n%s", out.String())
	}
	req, _ := http.NewRequest("GET", "http://"+listen+"/services/data/v62.0/query?q=SELECT+Name,Card_Number__c+FROM+Contact+LIMIT+3", nil)
	req.Header.Set("Authorization", "Bearer demo-admin")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "**** **** **** 1111") {
		t.Errorf("demo query: %d %s", res.StatusCode, body)
	}
	demoForwardCurl(t, out.String(), fwd)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo ended with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("demo did not shut down")
	}
}

// demoForwardCurl follows the banner's forward-mode curl: through
// HTTPS_PROXY with the CA it names, to api.hubapi.com (the fake CRM on
// loopback), masked for the analyst; another host is refused.
func demoForwardCurl(t *testing.T, banner, fwd string) {
	t.Helper()
	m := regexp.MustCompile(`--proxy (\S+) --cacert (\S+) -H 'Authorization: Bearer (\S+)' \\\n\s+'(https://api\.hubapi\.com/\S+)'`).FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("banner lacks the forward-mode curl:\n%s", banner)
	}
	if m[1] != "http://"+fwd {
		t.Errorf("banner proxy %s, want http://%s", m[1], fwd)
	}
	pem, err := os.ReadFile(m[2])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	pu, _ := url.Parse(m[1])
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: &tls.Config{RootCAs: roots}}}
	defer c.CloseIdleConnections()
	req, _ := http.NewRequest("GET", m[4], nil)
	req.Header.Set("Authorization", "Bearer "+m[3])
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("X-Request-Id") == "" || !strings.Contains(string(body), `"results"`) {
		t.Fatalf("forward-mode curl: %d %s", res.StatusCode, body)
	}
	if emails := regexp.MustCompile(`[a-z0-9.]+@[a-z0-9.]+\.[a-z]+`).FindAllString(string(body), -1); len(emails) > 0 {
		t.Errorf("the analyst saw e-mail addresses through forward mode: %v", emails)
	}
	if _, err := c.Get("https://example.org/"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("another host through the demo's forward mode: %v", err)
	}
}

func TestDemoWithoutFixtures(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"demo", "--crm-data", t.TempDir() + "/absent"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "run from the repository root") {
		t.Fatalf("err = %v", err)
	}
}
