package proxy_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/forward"
	"github.com/veil-proxy/veil/proxy/ingress"
	"github.com/veil-proxy/veil/proxy/pipeline"
)

// echoUpgrades is an upstream that switches protocols on any upgrade and
// echoes what the connection carries next; got is every byte it read
// after the handshake.
type echoUpgrades struct {
	*upstream
	mu  sync.Mutex
	got bytes.Buffer
}

func newEchoUpgrades(t *testing.T) *echoUpgrades {
	e := &echoUpgrades{}
	e.upstream = newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{}`)
			return
		}
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = rw.Flush()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 4096)
		for {
			n, err := rw.Read(buf)
			if n > 0 {
				e.mu.Lock()
				e.got.Write(buf[:n])
				e.mu.Unlock()
				_, _ = conn.Write(buf[:n]) // the echo: what the CRM would send back
			}
			if err != nil {
				return
			}
		}
	})
	return e
}

func (e *echoUpgrades) received() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.got.String()
}

const card = "4111 1111 1111 1111"

// upgrade opens a raw connection to Veil, asks to upgrade path, and
// returns the answer and the connection (its reader positioned after the
// answer's head).
func upgrade(t *testing.T, h *harness, path string) (*http.Response, net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(h.veil, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: veil\r\nAuthorization: Bearer demo-sales\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", path)
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res, c, br
}

// No silent channel: an upgrade opens a connection Veil cannot inspect,
// so reverse mode refuses it as forward mode does (403 egress_refused);
// nothing reaches the CRM, neither the handshake nor the card after it.
func TestUpgradeIsRefusedByDefault(t *testing.T) {
	if ingress.CodeUpgradeRefused != forward.CodeEgressRefused {
		t.Fatalf("reverse mode's code %q is not forward mode's %q", ingress.CodeUpgradeRefused, forward.CodeEgressRefused)
	}
	u := newEchoUpgrades(t)
	h, _ := startHostile(t, u.upstream)
	for _, path := range []string{"/services/data/v62.0/sobjects/Contact/003000000000001AAA", "/crm/v3/objects/contacts/1"} {
		res, c, br := upgrade(t, h, path)
		b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		res.Body.Close()
		refused(t, reply{res.StatusCode, res.Header, b}, http.StatusForbidden, ingress.CodeUpgradeRefused)
		// The client goes on as if it had been switched: its card must
		// not reach the CRM.
		_, _ = c.Write([]byte("\x81\x13" + card))
		_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		rest, _ := io.ReadAll(br)
		if bytes.Contains(rest, []byte(card)) {
			t.Errorf("%s: the card came back: %q", path, rest)
		}
	}
	if n := len(u.requests()); n != 0 || strings.Contains(u.received(), "4111") {
		t.Errorf("the CRM was reached: %d requests, %q", n, u.received())
	}
	m := do(t, "GET", h.admin+"/metrics", "", "")
	if !bytes.Contains(m.body, []byte(`code="egress_refused"`)) {
		t.Errorf("the refusal is not counted:\n%s", grepLines(string(m.body), "blocks"))
	}
}

// routes[].allow_upgrade lets it through, never silently: an audit event
// (passthrough, format upgrade, its reason, status 101) and
// veil_proxy_uninspected_total{format="upgrade"}.
func TestUpgradeAllowedPerRouteIsAudited(t *testing.T) {
	dir := t.TempDir()
	u := newEchoUpgrades(t)
	h, _ := startHostile(t, u.upstream, withAuditFiles(dir), func(c *config.Config, _ *proxy.Options) {
		for i := range c.Routes {
			if c.Routes[i].Name == "salesforce" {
				c.Routes[i].AllowUpgrade = true
			}
		}
	})
	// Not on HubSpot's route.
	res, _, _ := upgrade(t, h, "/crm/v3/objects/contacts/1")
	if res.StatusCode != http.StatusForbidden || res.Header.Get("X-Veil-Error") != ingress.CodeUpgradeRefused {
		t.Fatalf("hubspot: %d %q", res.StatusCode, res.Header.Get("X-Veil-Error"))
	}
	res, c, br := upgrade(t, h, "/services/data/v62.0/sobjects/Contact/003000000000001AAA")
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("salesforce: %d", res.StatusCode)
	}
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	echo := make([]byte, 5)
	if _, err := io.ReadFull(br, echo); err != nil || string(echo) != "hello" {
		t.Fatalf("echo %q %v", echo, err)
	}
	var ev *audit.Event
	eventually(t, "the upgrade's audit event", func() bool {
		for _, e := range readJSONL[audit.Event](t, filepath.Join(dir, "audit.jsonl")) {
			if e.Direction == "response" && e.Status == http.StatusSwitchingProtocols {
				ev = &e
				return true
			}
		}
		return false
	})
	if ev.Outcome != audit.OutcomePassthrough || ev.BodyFormat != pipeline.FormatUpgrade || !ev.Uninspected ||
		ev.UninspectedReason != pipeline.ReasonUpgrade || ev.Principal != "demo-sales" || ev.Route != "salesforce" {
		t.Errorf("the upgrade's event: %+v", *ev)
	}
	m := do(t, "GET", h.admin+"/metrics", "", "")
	if !bytes.Contains(m.body, []byte(`veil_proxy_uninspected_total{direction="response",format="upgrade",route="salesforce"} 1`)) {
		t.Errorf("the upgrade is not counted:\n%s", grepLines(string(m.body), "uninspected"))
	}
}
