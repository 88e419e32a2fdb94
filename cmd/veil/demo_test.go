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
	"os/exec"
	"regexp"
	"slices"
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
	// --listen and --admin (make run's LISTEN and ADMIN): the banner names
	// them, and the admin listener answers there.
	for _, want := range []string{"proxy  http://" + listen + " ", "admin  http://" + admin + " "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out.String())
		}
	}
	if res, err := http.Get("http://" + admin + "/healthz"); err != nil {
		t.Errorf("admin on --admin %s: %v", admin, err)
	} else {
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("admin on --admin %s: /healthz %d", admin, res.StatusCode)
		}
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
	demoEnded(t, done)
}

// demoEnded waits for a demo whose context was cancelled to end, cleanly.
func demoEnded(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the demo ended with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Error("the demo did not shut down")
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

// TestMakeRunAddresses: make run passes LISTEN, ADMIN and FORWARD to the
// demo's --listen, --admin and --forward (TestDemo runs the demo with
// them), and defaults to the demo's own addresses.
func TestMakeRunAddresses(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	for _, c := range []struct {
		vars []string
		want string
	}{
		{nil, "./bin/veil demo --listen '127.0.0.1:8080' --admin '127.0.0.1:9090' --forward '127.0.0.1:3128'"},
		{[]string{"LISTEN=127.0.0.1:18080", "ADMIN=127.0.0.1:19090", "FORWARD=127.0.0.1:13128"},
			"./bin/veil demo --listen '127.0.0.1:18080' --admin '127.0.0.1:19090' --forward '127.0.0.1:13128'"},
		{[]string{"FORWARD="}, "./bin/veil demo --listen '127.0.0.1:8080' --admin '127.0.0.1:9090' --forward ''"},
	} {
		// -n prints the recipe without running it (nor the build).
		cmd := exec.Command("make", append([]string{"-n", "--no-print-directory", "-C", "../..", "run"}, c.vars...)...)
		cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
			return strings.HasPrefix(kv, "LISTEN=") || strings.HasPrefix(kv, "ADMIN=") || strings.HasPrefix(kv, "FORWARD=") ||
				strings.HasPrefix(kv, "MAKEFLAGS=") || strings.HasPrefix(kv, "MFLAGS=")
		})
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make -n run %v: %v\n%s", c.vars, err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if got := lines[len(lines)-1]; got != c.want {
			t.Errorf("make run %v runs\n  %s\nwant\n  %s", c.vars, got, c.want)
		}
	}
}

func TestDemoWithoutFixtures(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"demo", "--crm-data", t.TempDir() + "/absent"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "run from the repository root") {
		t.Fatalf("err = %v", err)
	}
}
