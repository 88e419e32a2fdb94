package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
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
	listen, admin := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, logs lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--listen", listen, "--admin", admin, "--crm-data", "../../testdata/crm"}, &out, &logs)
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

func TestDemoWithoutFixtures(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"demo", "--crm-data", t.TempDir() + "/absent"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "run from the repository root") {
		t.Fatalf("err = %v", err)
	}
}
