package proxy_test

// Hostile and broken input: every case must end in a clear refusal with a
// stable code (status, X-Veil-Error, the CRM's error shape), with nothing
// forwarded unscanned, no personal value in the answer or the log, and no
// goroutine left behind.
//
// Already covered elsewhere, not repeated here: a malformed Salesforce
// response (TestUndecodableResponseFailsClosed), a JSON request without a
// Content-Type (TestRequestWithoutContentTypeIsInspected), JSON labelled
// form-urlencoded, text/plain or application/octet-stream
// (TestMislabelledJSONIsInspectedAndFormsStream, whose table this file's
// author extended with application/octet-stream).

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/config"
)

// seen is what reached a recording upstream.
type seen struct {
	method, path string
	header       http.Header
	body         []byte
	bodyErr      error
}

// upstream is a CRM stand-in that records every request it is sent. Its
// connections are not kept alive, so goroutine counts settle.
type upstream struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []seen
	reply func(w http.ResponseWriter, r *http.Request) // nil: 200 {}
}

func newUpstream(t *testing.T, reply func(w http.ResponseWriter, r *http.Request)) *upstream {
	t.Helper()
	u := &upstream{reply: reply}
	u.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u.reply != nil && r.Header.Get("X-Hostile-Stream") != "" {
			u.reply(w, r) // reads the body itself
			return
		}
		b, err := io.ReadAll(r.Body)
		u.mu.Lock()
		u.reqs = append(u.reqs, seen{r.Method, r.URL.Path, r.Header.Clone(), b, err})
		u.mu.Unlock()
		if u.reply != nil {
			u.reply(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{}`)
	}))
	u.Config.SetKeepAlivesEnabled(false)
	u.Start()
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) requests() []seen {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]seen(nil), u.reqs...)
}

// writes are the requests that carried a body (or could have).
func (u *upstream) writes() []seen {
	var out []seen
	for _, r := range u.requests() {
		if r.method != "GET" || len(r.body) != 0 {
			out = append(out, r)
		}
	}
	return out
}

func (u *upstream) reset() {
	u.mu.Lock()
	u.reqs = nil
	u.mu.Unlock()
}

// oneShot does not keep connections alive, so nothing idles between cases.
var oneShot = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableCompression: true, DisableKeepAlives: true, Proxy: nil}}

func send(t *testing.T, method, url, token, ctype, body string, hdr ...string) reply {
	t.Helper()
	return sendVia(t, oneShot, method, url, token, ctype, body, hdr...)
}

// sendVia is send through client c (forward mode's, say).
func sendVia(t *testing.T, c *http.Client, method, url, token, ctype, body string, hdr ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
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
	return reply{res.StatusCode, res.Header, b}
}

// refused checks a Veil refusal: status, X-Veil-Error and the body in the
// route's CRM format carrying the same code.
func refused(t *testing.T, res reply, status int, code string) {
	t.Helper()
	if res.status != status || res.header.Get("X-Veil-Error") != code {
		t.Fatalf("got %d %q, want %d %q: %.300s", res.status, res.header.Get("X-Veil-Error"), status, code, res.body)
	}
	if strings.HasPrefix(strings.TrimSpace(string(res.body)), "[") { // Salesforce
		errs := decodeJSON[[]map[string]any](t, res.body)
		if len(errs) != 1 || errs[0]["errorCode"] != code || errs[0]["message"] == "" {
			t.Fatalf("not a Salesforce error with code %s: %s", code, res.body)
		}
		return
	}
	hs := decodeJSON[map[string]any](t, res.body) // HubSpot
	if hs["status"] != "error" || hs["category"] != code || hs["correlationId"] == "" {
		t.Fatalf("not a HubSpot error with category %s: %s", code, res.body)
	}
}

// noLeak reports the values that appear in the answer or the log.
func noLeak(t *testing.T, h *harness, res reply, values ...string) {
	t.Helper()
	logs := h.logs.String()
	for _, v := range values {
		if bytes.Contains(res.shown(), []byte(v)) {
			t.Errorf("the answer holds %q: %.300s", v, res.body)
		}
		if strings.Contains(logs, v) {
			t.Errorf("the log holds %q:\n%s", v, grepLines(logs, v))
		}
	}
}

// goroutinesSettle waits (generously) for the goroutine count to come back
// to before, as TestForwardLeafCacheAndNoLeak does.
func goroutinesSettle(t *testing.T, before int) {
	t.Helper()
	oneShot.CloseIdleConnections()
	var now int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if now = runtime.NumGoroutine(); now <= before+2 {
			return
		}
	}
	buf := make([]byte, 1<<20)
	t.Errorf("goroutines %d → %d\n%s", before, now, buf[:runtime.Stack(buf, true)])
}

// startHostile is Veil in front of u, warmed up, with the goroutine count
// it idles at.
func startHostile(t *testing.T, u *upstream, opts ...harnessOption) (*harness, int) {
	t.Helper()
	h := start(t, append([]harnessOption{withUpstream(u.URL), func(c *config.Config, _ *proxy.Options) {
		c.Timeouts.Shutdown = 2 * time.Second
	}}, opts...)...)
	send(t, "GET", h.veil+"/services/data/v62.0/limits", "demo-admin", "", "")
	send(t, "GET", h.veil+"/crm/v3/objects/contacts/1", "demo-admin", "", "")
	u.reset()
	time.Sleep(50 * time.Millisecond)
	return h, runtime.NumGoroutine()
}

func withLimits(maxBody int64, depth int) harnessOption {
	return func(c *config.Config, _ *proxy.Options) {
		c.Limits.MaxBodyBytes, c.Limits.MaxJSONDepth = maxBody, depth
	}
}

const (
	sfContact = "/services/data/v62.0/sobjects/Contact/003A000000hostile"
	hsContact = "/crm/v3/objects/contacts/101"
)

// Cases 1–4: bodies that are not one well-formed JSON document, both ways.
func TestHostileJSONIsRefusedBothWays(t *testing.T) {
	const depth = 8
	deep := strings.Repeat(`{"a":`, depth+1) + `"jane@example.com"` + strings.Repeat("}", depth+1)
	bodies := []struct{ name, body string }{
		{"malformed", `{"Email":"jane@example.com",`},
		{"malformed string", `{"Email":"jane@example.com}`},
		{"invalid UTF-8", "{\"Email\":\"jane@example.com\",\"LastName\":\"Do\xffe\"}"},
		{"overlong UTF-8", "{\"Email\":\"jane@example.com\",\"LastName\":\"\xc0\xaf\"}"},
		{"duplicate keys", `{"Email":"jane@example.com","Email":"x"}`},
		{"duplicate keys, one escaped", `{"Email":"x","\u0045mail":"jane@example.com"}`},
		{"duplicate nested keys", `{"records":[{"Id":"1","Email":"jane@example.com","Email":"x"}]}`},
		{"deeper than max_json_depth", deep},
		{"trailing document", `{"Email":"x"} {"Email":"jane@example.com"}`},
	}
	var respond string
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, respond)
	})
	h, before := startHostile(t, u, withLimits(config.DefaultMaxBodyBytes, depth))
	for _, c := range bodies {
		t.Run("request/"+c.name, func(t *testing.T) {
			u.reset()
			for _, path := range []string{sfContact, hsContact} {
				res := send(t, "PATCH", h.veil+path, "demo-admin", "application/json", c.body)
				refused(t, res, 400, "invalid_body")
				noLeak(t, h, res, "jane@example.com")
			}
			if got := u.requests(); len(got) != 0 {
				t.Fatalf("%d requests reached the CRM: %q", len(got), got[0].body)
			}
		})
		t.Run("response/"+c.name, func(t *testing.T) {
			respond = c.body
			for _, path := range []string{sfContact, hsContact} {
				res := send(t, "GET", h.veil+path, "demo-admin", "", "")
				refused(t, res, 502, "upstream_invalid_body")
				noLeak(t, h, res, "jane@example.com")
			}
		})
	}
	goroutinesSettle(t, before)
}

// Case 5: numbers JSON allows but no float holds pass byte for byte, and a
// card number written as a number is still a card number.
func TestHugeNumbersPassAndCardNumbersAreFound(t *testing.T) {
	var respond string
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "PATCH" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, respond)
	})
	h, before := startHostile(t, u)
	big := "9" + strings.Repeat("0", 399)
	for _, body := range []string{
		`{"AnnualRevenue":1e400}`,
		`{"AnnualRevenue":-1e-400}`,
		`{"NumberOfEmployees":` + big + `}`,
		`{"NumberOfEmployees":-` + big + `.5e+999}`,
		`{"AnnualRevenue":-0}`,
		`{"AnnualRevenue":-0.0E0}`,
	} {
		u.reset()
		res := send(t, "PATCH", h.veil+sfContact, "demo-sales", "application/json", body)
		got := u.requests()
		if res.status != 204 || len(got) != 1 || string(got[0].body) != body {
			t.Errorf("%.40s: status %d, %d requests upstream: %s", body, res.status, len(got), res.body)
		}
	}

	// A card number as a JSON number, in free text: refused, not forwarded.
	for _, body := range []string{`{"Description":4111111111111111}`, `{"Description":4111111111111111.0}`, `{"Description":[4111111111111111]}`} {
		u.reset()
		res := send(t, "PATCH", h.veil+sfContact, "demo-sales", "application/json", body)
		refused(t, res, 403, "policy_denied")
		noLeak(t, h, res, "4111111111111111")
		if got := u.requests(); len(got) != 0 {
			t.Errorf("%s reached the CRM", body)
		}
	}
	// The same number answered in the card field is masked.
	respond = `{"attributes":{"type":"Contact"},"Id":"003A000000hostile","Card_Number__c":4111111111111111}`
	res := send(t, "GET", h.veil+sfContact, "demo-sales", "", "")
	if res.status != 200 || bytes.Contains(res.body, []byte("4111111111111111")) {
		t.Errorf("card number as a JSON number: %d %s", res.status, res.body)
	}
	noLeak(t, h, res, "4111111111111111")
	goroutinesSettle(t, before)
}

// Case 6: bodies over limits.max_body_bytes.
func TestOversizedBodiesAreRefused(t *testing.T) {
	const limit = 64 << 10
	huge := `{"Email":"jane@example.com","Description":"` + strings.Repeat("x", 2*limit) + `"}`
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, huge)
	})
	h, before := startHostile(t, u, withLimits(limit, config.DefaultMaxJSONDepth))
	for _, path := range []string{sfContact, hsContact} {
		res := send(t, "PATCH", h.veil+path, "demo-admin", "application/json", huge)
		refused(t, res, 413, "body_too_large")
		noLeak(t, h, res, "jane@example.com")

		// Chunked: no Content-Length to judge by.
		req, _ := http.NewRequest("PATCH", h.veil+path, io.MultiReader(strings.NewReader(huge)))
		req.Header.Set("Authorization", "Bearer demo-admin")
		req.Header.Set("Content-Type", "application/json")
		req.ContentLength = -1
		r2, err := oneShot.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r2.Body)
		r2.Body.Close()
		refused(t, reply{r2.StatusCode, r2.Header, b}, 413, "body_too_large")
		if got := u.writes(); len(got) != 0 {
			t.Fatalf("%d oversized requests reached the CRM", len(got))
		}

		res = send(t, "GET", h.veil+path, "demo-admin", "", "")
		refused(t, res, 502, "body_too_large")
		noLeak(t, h, res, "jane@example.com")
	}
	goroutinesSettle(t, before)
}

var (
	bombOnce              sync.Once
	gzipBomb, deflateBomb []byte
	gzipGzip              []byte
)

// bombs: 64 MiB of zeros inside a JSON string, as one gzip member repeated
// (gzip readers read every member), as zlib, and gzip inside gzip.
func bombs(t *testing.T) (gz, zl, gzgz []byte) {
	bombOnce.Do(func() {
		var member bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
		_, _ = zw.Write(make([]byte, 8<<20))
		_ = zw.Close()
		var head bytes.Buffer
		zw, _ = gzip.NewWriterLevel(&head, gzip.BestCompression)
		_, _ = io.WriteString(zw, `{"Email":"jane@example.com","Description":"`)
		_ = zw.Close()
		gzipBomb = append(head.Bytes(), bytes.Repeat(member.Bytes(), 8)...)

		var z bytes.Buffer
		w, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
		_, _ = io.WriteString(w, `{"Email":"jane@example.com","Description":"`)
		_, _ = w.Write(make([]byte, 16<<20))
		_ = w.Close()
		deflateBomb = z.Bytes()

		var gg bytes.Buffer
		zw, _ = gzip.NewWriterLevel(&gg, gzip.BestCompression)
		_, _ = zw.Write(gzipBomb)
		_ = zw.Close()
		gzipGzip = gg.Bytes()
	})
	return gzipBomb, deflateBomb, gzipGzip
}

func gzipOf(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = io.WriteString(zw, s)
	_ = zw.Close()
	return b.Bytes()
}

// Case 7: compression bombs stop at the decoded limit, both ways, without
// inflating them.
func TestCompressionBombsStopAtTheLimit(t *testing.T) {
	const limit = 256 << 10
	gz, zl, gzgz := bombs(t)
	for _, b := range [][]byte{gz, zl, gzgz} {
		if len(b) >= limit {
			t.Fatalf("bomb of %d bytes is not under the %d-byte limit", len(b), limit)
		}
	}
	cases := []struct {
		name, enc string
		body      []byte
		reqStatus int
		code      string
	}{
		{"gzip", "gzip", gz, 413, "body_too_large"},
		{"x-gzip", "x-gzip", gz, 413, "body_too_large"},
		{"deflate", "deflate", zl, 413, "body_too_large"},
		{"gzip, gzip", "gzip, gzip", gzgz, 415, "unsupported_encoding"},
		{"gzip inside gzip declared once", "gzip", gzgz, 400, "invalid_body"},
		{"br", "br", gz, 415, "unsupported_encoding"},
	}
	var respond []byte
	var respondEnc []string
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for _, e := range respondEnc {
			w.Header().Add("Content-Encoding", e)
		}
		_, _ = w.Write(respond)
	})
	h, before := startHostile(t, u, withLimits(limit, config.DefaultMaxJSONDepth))
	measure := func(t *testing.T, f func()) {
		t.Helper()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		t0 := time.Now()
		f()
		runtime.ReadMemStats(&m1)
		if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 24<<20 {
			t.Errorf("allocated %d MiB for a bomb refused at %d KiB", alloc>>20, limit>>10)
		}
		if d := time.Since(t0); d > 10*time.Second {
			t.Errorf("took %s", d)
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u.reset()
			for _, path := range []string{sfContact, hsContact} {
				var res reply
				measure(t, func() {
					res = send(t, "PATCH", h.veil+path, "demo-admin", "application/json", string(c.body), "Content-Encoding", c.enc)
				})
				refused(t, res, c.reqStatus, c.code)
				noLeak(t, h, res, "jane@example.com")

				respond, respondEnc = c.body, []string{c.enc}
				measure(t, func() { res = send(t, "GET", h.veil+path, "demo-admin", "", "") })
				code := c.code
				if c.code == "invalid_body" {
					code = "upstream_invalid_body"
				}
				refused(t, res, 502, code)
				noLeak(t, h, res, "jane@example.com")
			}
			if got := u.writes(); len(got) != 0 {
				t.Fatalf("bodies reached the CRM: %d requests", len(got))
			}
		})
	}

	// Content-Encoding over two header lines is one stack of codings, not
	// the first line only: a gzip body must not pass as identity.
	t.Run("two Content-Encoding lines", func(t *testing.T) {
		u.reset()
		card := gzipOf(`{"Description":"pay with 4111 1111 1111 1111"}`)
		for _, ct := range []string{"application/json", "text/plain"} {
			res := send(t, "PATCH", h.veil+sfContact, "demo-sales", ct, string(card), "Content-Encoding", "identity", "Content-Encoding", "gzip")
			if res.status < 400 || res.header.Get("X-Veil-Error") == "" {
				t.Errorf("%s: %d %q: a gzip body declared identity, gzip went through", ct, res.status, res.header.Get("X-Veil-Error"))
			}
		}
		respond, respondEnc = gzipOf(`{"attributes":{"type":"Contact"},"Card_Number__c":"4111111111111111"}`), []string{"identity", "gzip"}
		res := send(t, "GET", h.veil+sfContact, "demo-sales", "", "")
		if bytes.Contains(res.body, []byte("4111111111111111")) || res.status == 200 && bytes.Equal(res.body, respond) {
			t.Errorf("a gzip response declared identity, gzip went out unmasked: %d", res.status)
		}
		if got := u.writes(); len(got) != 0 {
			t.Errorf("%d bodies reached the CRM", len(got))
		}
	})
	goroutinesSettle(t, before)
}

// Case 8: the label does not decide whether a JSON request is read, even
// compressed or behind whitespace. (Plain JSON labelled text/plain,
// application/octet-stream, form-urlencoded or nothing: the integration
// tests named at the top of this file.)
func TestMislabelledJSONRequestsAreInspected(t *testing.T) {
	u := newUpstream(t, nil)
	h, before := startHostile(t, u)
	card := `{"Description":"pay with 4111 1111 1111 1111"}`
	for _, c := range []struct {
		name, ctype, enc, body string
	}{
		{"garbage label", "%%%", "", card},
		{"text/plain, gzip", "text/plain", "gzip", string(gzipOf(card))},
		{"octet-stream, gzip", "application/octet-stream", "gzip", string(gzipOf(card))},
		{"text/plain, 600 spaces first", "text/plain", "", strings.Repeat(" ", 600) + card},
	} {
		t.Run(c.name, func(t *testing.T) {
			u.reset()
			var hdr []string
			if c.enc != "" {
				hdr = []string{"Content-Encoding", c.enc}
			}
			res := send(t, "PATCH", h.veil+sfContact, "demo-sales", c.ctype, c.body, hdr...)
			refused(t, res, 403, "policy_denied")
			noLeak(t, h, res, "4111 1111 1111 1111")
			if got := u.requests(); len(got) != 0 {
				t.Fatalf("the card reached the CRM uninspected: %d requests", len(got))
			}
		})
	}
	// Bodies that are not JSON under a non-JSON label still stream.
	u.reset()
	res := send(t, "PUT", h.veil+"/services/data/v62.0/sobjects/ContentVersion/068x/VersionData", "demo-sales", "application/octet-stream", "\x89PNG\r\n")
	if got := u.requests(); res.status != 200 || len(got) != 1 || string(got[0].body) != "\x89PNG\r\n" {
		t.Errorf("a binary upload: %d %s", res.status, res.body)
	}
	goroutinesSettle(t, before)
}

// The CRM's answers get the same: JSON without a label or under another
// one is inspected; other bodies stream untouched.
func TestMislabelledJSONResponsesAreInspected(t *testing.T) {
	contact := `{"attributes":{"type":"Contact"},"Id":"003A000000hostile","Email":"jane.doe@example.com"}`
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("X-Case") {
		case "none":
			w.Header()["Content-Type"] = nil // no label, not even Go's sniffed one
			_, _ = io.WriteString(w, contact)
		case "text":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, contact)
		case "text gzip":
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(gzipOf(contact))
		case "binary":
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = io.WriteString(w, pngHead+" jane.doe@example.com")
		case "fake binary":
			// Labelled a file, but text: read as text.
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = io.WriteString(w, "\x89PNG jane.doe@example.com")
		}
	})
	h, before := startHostile(t, u)
	for _, c := range []string{"none", "text", "text gzip"} {
		t.Run(c, func(t *testing.T) {
			res := send(t, "GET", h.veil+sfContact, "demo-analyst", "", "", "X-Case", c)
			if res.status != 200 {
				t.Fatalf("status %d: %.300s", res.status, res.body)
			}
			if res.header.Get("Content-Encoding") == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(res.body))
				if err != nil {
					t.Fatal(err)
				}
				if res.body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			noLeak(t, h, res, "jane.doe@example.com")
			if got := decodeJSON[map[string]any](t, res.body); got["Email"] == nil {
				t.Errorf("not the masked contact: %.300s", res.body)
			}
		})
	}
	res := send(t, "GET", h.veil+"/services/data/v62.0/sobjects/ContentVersion/068x/VersionData", "demo-analyst", "", "", "X-Case", "binary")
	if res.status != 200 || string(res.body) != pngHead+" jane.doe@example.com" {
		t.Errorf("a binary download: %d %q", res.status, res.body)
	}
	res = send(t, "GET", h.veil+"/services/data/v62.0/sobjects/ContentVersion/068x/VersionData", "demo-analyst", "", "", "X-Case", "fake binary")
	if res.status != 200 || strings.Contains(string(res.body), "jane.doe@example.com") {
		t.Errorf("text labelled a file: %d %q", res.status, res.body)
	}
	// The same binary answer on a path that is no download is refused.
	res = send(t, "GET", h.veil+sfContact, "demo-analyst", "", "", "X-Case", "binary")
	if res.status != 403 || res.header.Get("X-Veil-Error") != "policy_denied" {
		t.Errorf("a binary record: %d %s %q", res.status, res.header.Get("X-Veil-Error"), res.body)
	}
	goroutinesSettle(t, before)
}

// raw sends payload on a new connection and reads every response on it
// until the server closes it.
func raw(t *testing.T, h *harness, payload string) []*http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.veil, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := io.WriteString(conn, payload); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	var out []*http.Response
	for {
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the connection was not closed: %v", err)
			}
			return out
		}
		b, _ := io.ReadAll(res.Body)
		res.Body = io.NopCloser(bytes.NewReader(b))
		out = append(out, res)
	}
}

func bodyOf(res *http.Response) []byte {
	b, _ := io.ReadAll(res.Body)
	res.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// Case 9: framing that two parsers could read differently.
func TestRequestSmugglingIsRefused(t *testing.T) {
	u := newUpstream(t, nil)
	h, before := startHostile(t, u)
	host := strings.TrimPrefix(h.veil, "http://")
	// What a desynchronised front end would take for a second request.
	smuggled := "PATCH " + sfContact + " HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer demo-admin\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 45\r\n\r\n" + `{"Description":"4111 1111 1111 1111 smuggle"}`
	head := "PATCH " + sfContact + " HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer demo-admin\r\nContent-Type: application/json\r\n"

	t.Run("two differing Content-Length", func(t *testing.T) {
		u.reset()
		body := `{"Email":"x"}`
		rs := raw(t, h, head+"Content-Length: 13\r\nContent-Length: "+fmt.Sprint(13+len(smuggled))+"\r\n\r\n"+body+smuggled)
		if len(rs) != 1 || rs[0].StatusCode != 400 {
			t.Fatalf("%d responses, first %v", len(rs), rs)
		}
		if got := u.requests(); len(got) != 0 {
			t.Fatalf("%d requests reached the CRM", len(got))
		}
	})
	t.Run("Transfer-Encoding: chunked, identity", func(t *testing.T) {
		u.reset()
		body := `{"Email":"x"}`
		rs := raw(t, h, head+"Transfer-Encoding: chunked, identity\r\nContent-Length: "+fmt.Sprint(len(body)+len(smuggled))+"\r\n\r\n"+body+smuggled)
		// net/http answers 501 Not Implemented (RFC 9112 §6.1) and closes.
		if len(rs) != 1 || rs[0].StatusCode/100 != 4 && rs[0].StatusCode != 501 {
			t.Fatalf("%d responses, first %v", len(rs), rs)
		}
		if got := u.requests(); len(got) != 0 {
			t.Fatalf("%d requests reached the CRM", len(got))
		}
	})
	t.Run("two Transfer-Encoding lines", func(t *testing.T) {
		u.reset()
		rs := raw(t, h, head+"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n"+smuggled)
		if len(rs) != 1 || rs[0].StatusCode/100 != 4 && rs[0].StatusCode != 501 {
			t.Fatalf("%d responses, first %v", len(rs), rs)
		}
		if got := u.requests(); len(got) != 0 {
			t.Fatalf("%d requests reached the CRM", len(got))
		}
	})
	t.Run("Content-Length and chunked", func(t *testing.T) {
		// RFC 9112 §6.3: chunked wins and Content-Length is dropped (net/http
		// does so before Veil sees the request). The body Veil inspects is
		// the chunked one and goes on re-framed with its own length; what
		// follows the last chunk is a request of its own, inspected like
		// any other (here refused: a card in free text).
		u.reset()
		body := `{"Email":"x"}`
		chunked := fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
		rs := raw(t, h, head+"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"+chunked+smuggled+"\r\n")
		if len(rs) == 0 || rs[0].StatusCode != 200 {
			t.Fatalf("%d responses: %v", len(rs), rs)
		}
		if len(rs) > 1 && (rs[1].StatusCode != 403 || rs[1].Header.Get("X-Veil-Error") != "policy_denied") {
			t.Errorf("the request after the chunks: %d %q", rs[1].StatusCode, rs[1].Header.Get("X-Veil-Error"))
		}
		got := u.requests()
		if len(got) != 1 || string(got[0].body) != body || got[0].header.Get("Content-Length") != fmt.Sprint(len(body)) {
			t.Fatalf("the CRM got %d requests: %+v", len(got), got)
		}
		for _, r := range rs {
			// Without the decision id the refusal names: it is random hex.
			if bytes.Contains(bytes.ReplaceAll(bodyOf(r), []byte(r.Header.Get("X-Veil-Decision-Id")), nil), []byte("4111")) {
				t.Errorf("an answer holds the card")
			}
		}
	})
	goroutinesSettle(t, before)
}

// Case 10: Expect: 100-continue.
func TestExpectContinueIsInspected(t *testing.T) {
	u := newUpstream(t, nil)
	h, before := startHostile(t, u)
	addr := strings.TrimPrefix(h.veil, "http://")
	exchange := func(t *testing.T, token, body string) (interim string, res *http.Response) {
		t.Helper()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
		fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n", sfContact, addr, token, len(body))
		br := bufio.NewReader(conn)
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, "HTTP/1.1 100") {
			if _, err := br.ReadString('\n'); err != nil { // the blank line
				t.Fatal(err)
			}
			if _, err := io.WriteString(conn, body); err != nil {
				t.Fatal(err)
			}
			// Veil forwards no Expect once it holds the body, so no second
			// 100 Continue comes from the CRM; skip 1xx all the same.
			for res, err = http.ReadResponse(br, nil); err == nil && res.StatusCode/100 == 1; res, err = http.ReadResponse(br, nil) {
			}
		} else {
			res, err = http.ReadResponse(bufio.NewReader(io.MultiReader(strings.NewReader(line), br)), nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		bodyOf(res)
		return strings.TrimSpace(line), res
	}
	card := `{"Description":"pay with 4111 1111 1111 1111"}`

	t.Run("allowed", func(t *testing.T) {
		u.reset()
		interim, res := exchange(t, "demo-sales", `{"Email":"jane@example.com"}`)
		if !strings.HasPrefix(interim, "HTTP/1.1 100") || res.StatusCode != 200 {
			t.Fatalf("%q then %d", interim, res.StatusCode)
		}
		if got := u.requests(); len(got) != 1 || string(got[0].body) != `{"Email":"jane@example.com"}` || got[0].header.Get("Expect") != "" {
			t.Fatalf("the CRM got %+v", got)
		}
	})
	t.Run("denied by the policy", func(t *testing.T) {
		u.reset()
		interim, res := exchange(t, "demo-sales", card)
		b := bodyOf(res)
		refused(t, reply{res.StatusCode, res.Header, b}, 403, "policy_denied")
		noLeak(t, h, reply{res.StatusCode, res.Header, b}, "4111 1111 1111 1111")
		if !strings.HasPrefix(interim, "HTTP/1.1 100") {
			t.Errorf("interim %q", interim)
		}
		if got := u.requests(); len(got) != 0 {
			t.Fatalf("%d requests reached the CRM", len(got))
		}
	})
	t.Run("refused before the body", func(t *testing.T) {
		u.reset()
		interim, res := exchange(t, "nobody", card)
		b := bodyOf(res)
		if strings.HasPrefix(interim, "HTTP/1.1 100") {
			t.Errorf("Veil asked for the body of a request it refuses")
		}
		refused(t, reply{res.StatusCode, res.Header, b}, 403, "unknown_principal")
		if got := u.requests(); len(got) != 0 {
			t.Fatalf("%d requests reached the CRM", len(got))
		}
	})
	goroutinesSettle(t, before)
}

// Case 11: slow clients are cut off by timeouts.read_header and
// timeouts.read.
func TestSlowClientsAreCutOff(t *testing.T) {
	u := newUpstream(t, nil)
	h, before := startHostile(t, u, func(c *config.Config, _ *proxy.Options) {
		c.Timeouts.ReadHeader = 300 * time.Millisecond
		c.Timeouts.Read = 600 * time.Millisecond
	})
	addr := strings.TrimPrefix(h.veil, "http://")
	// trickle writes s a byte at a time, every pause, until the server
	// closes the connection; it returns what the server answered and how
	// much it wrote.
	trickle := func(t *testing.T, head, s string, pause time.Duration) (answer string, wrote int, took time.Duration) {
		t.Helper()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		t0 := time.Now()
		_ = conn.SetDeadline(t0.Add(15 * time.Second))
		if _, err := io.WriteString(conn, head); err != nil {
			t.Fatal(err)
		}
		done := make(chan string, 1)
		go func() {
			b, _ := io.ReadAll(conn)
			done <- string(b)
		}()
		for i := 0; i < len(s); i++ {
			select {
			case answer = <-done:
				return answer, i, time.Since(t0)
			case <-time.After(pause):
			}
			if _, err := conn.Write([]byte{s[i]}); err != nil {
				break
			}
			wrote = i + 1
		}
		answer = <-done
		return answer, wrote, time.Since(t0)
	}
	body := `{"Email":"jane@example.com","Description":"` + strings.Repeat("x", 200) + `"}`
	t.Run("slow headers", func(t *testing.T) {
		u.reset()
		hdr := "PATCH " + sfContact + " HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer demo-admin\r\nContent-Type: application/json\r\nX-Padding: " + strings.Repeat("a", 400) + "\r\n\r\n"
		_, wrote, took := trickle(t, "", hdr, 50*time.Millisecond)
		if wrote == len(hdr) || took > 10*time.Second {
			t.Fatalf("a slowloris client kept its connection %s (%d/%d header bytes)", took, wrote, len(hdr))
		}
		if got := u.requests(); len(got) != 0 {
			t.Fatalf("%d requests reached the CRM", len(got))
		}
	})
	t.Run("slow body", func(t *testing.T) {
		u.reset()
		hdr := "PATCH " + sfContact + " HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer demo-admin\r\nContent-Type: application/json\r\nContent-Length: " + fmt.Sprint(len(body)) + "\r\n\r\n"
		answer, wrote, took := trickle(t, hdr, body, 50*time.Millisecond)
		if wrote == len(body) || took > 10*time.Second {
			t.Fatalf("a slow upload kept its connection %s (%d/%d body bytes)", took, wrote, len(body))
		}
		res, err := http.ReadResponse(bufio.NewReader(strings.NewReader(answer)), nil)
		if err != nil {
			t.Fatalf("answer %q: %v", answer, err)
		}
		refused(t, reply{res.StatusCode, res.Header, bodyOf(res)}, 408, "request_timeout")
		if got := u.requests(); len(got) != 0 {
			t.Fatalf("%d requests reached the CRM", len(got))
		}
		noLeak(t, h, reply{}, "jane@example.com")
	})
	goroutinesSettle(t, before)
}

// Case 12: the CRM misbehaves.
func TestUpstreamFailuresAreCRMShaped(t *testing.T) {
	var mode atomic.Value // read by the upstream's handlers, set by each case
	mode.Store("")
	release := make(chan struct{})
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch mode.Load().(string) {
		case "reset":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "100000")
			w.WriteHeader(200)
			_, _ = io.WriteString(w, `{"records":[{"Email":"jane@example.com",`)
			w.(http.Flusher).Flush()
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.(*net.TCPConn).SetLinger(0)
				conn.Close() // RST
			}
		case "html":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, "<html><body>Error for jane@example.com: internal</body></html>")
		case "hang":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "hang body":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			_, _ = io.WriteString(w, `{"records":[{"Email":"jane@example.com",`)
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	})
	defer close(release)
	h, before := startHostile(t, u, func(c *config.Config, _ *proxy.Options) {
		c.Timeouts.UpstreamResponse = 500 * time.Millisecond
	})
	for _, c := range []struct {
		mode   string
		status int
		code   string
	}{
		{"reset", 502, "upstream_unavailable"},
		{"html", 502, "upstream_unavailable"},
		{"hang", 504, "upstream_unavailable"},
		{"hang body", 504, "upstream_unavailable"},
	} {
		t.Run(c.mode, func(t *testing.T) {
			mode.Store(c.mode)
			for _, path := range []string{sfContact, hsContact} {
				t0 := time.Now()
				res := send(t, "GET", h.veil+path, "demo-admin", "", "")
				refused(t, res, c.status, c.code)
				noLeak(t, h, res, "jane@example.com")
				if d := time.Since(t0); d > 10*time.Second {
					t.Errorf("took %s", d)
				}
			}
		})
	}
	goroutinesSettle(t, before)
}

// Case 13: a client that goes away mid-exchange cancels the upstream
// request and leaves nothing running.
func TestClientDisconnectsCancelUpstream(t *testing.T) {
	cancelled := make(chan string, 8)
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("X-Hostile-Stream") {
		case "download", "json download":
			if r.Header.Get("X-Hostile-Stream") == "json download" {
				w.Header().Set("Content-Type", "application/json")
			} else {
				w.Header().Set("Content-Type", "application/octet-stream")
			}
			w.WriteHeader(200)
			chunk := bytes.Repeat([]byte("a"), 32<<10)
			for {
				if _, err := w.Write(chunk); err != nil {
					break
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Millisecond):
					continue
				}
				break
			}
			<-r.Context().Done()
			cancelled <- "download"
		case "upload":
			_, err := io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
			cancelled <- fmt.Sprint("upload ", err != nil)
		}
	})
	h, before := startHostile(t, u)
	addr := strings.TrimPrefix(h.veil, "http://")
	waitCancel := func(t *testing.T, want string) {
		t.Helper()
		select {
		case got := <-cancelled:
			if got != want {
				t.Errorf("upstream: %q, want %q", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the upstream request was never cancelled")
		}
	}
	for _, kind := range []string{"download", "json download"} {
		t.Run(kind, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if kind == "json download" {
				// Veil reads an inspected body whole before it answers:
				// the client gives up while it does.
				time.AfterFunc(300*time.Millisecond, cancel)
			}
			req, _ := http.NewRequestWithContext(ctx, "GET", h.veil+"/services/data/v62.0/sobjects/Document/015x/Body", nil)
			req.Header.Set("Authorization", "Bearer demo-admin")
			req.Header.Set("X-Hostile-Stream", kind)
			res, err := oneShot.Do(req)
			if kind == "json download" {
				if err == nil {
					res.Body.Close()
					t.Fatalf("an endless JSON answer: %d before the client gave up", res.StatusCode)
				}
				waitCancel(t, "download")
				return
			}
			if err != nil {
				cancel()
				t.Fatal(err)
			}
			if _, err := io.ReadFull(res.Body, make([]byte, 256<<10)); err != nil {
				t.Fatal(err)
			}
			cancel()
			res.Body.Close()
			waitCancel(t, "download")
		})
	}
	// An upload cut short never reaches the CRM: a JSON one is read whole
	// first, and the default policy refuses a binary one (uninspected_body).
	for _, c := range []struct{ name, ctype, want string }{
		{"json upload", "application/json", ""},
		{"binary upload", "application/octet-stream", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			u.reset()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(conn, "PUT /services/data/v62.0/sobjects/ContentVersion/068x/VersionData HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer demo-admin\r\nX-Hostile-Stream: upload\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", addr, c.ctype, 8<<20)
			first := []byte(`{"Email":"jane@example.com","Description":"`)
			if c.ctype != "application/json" {
				first = []byte(pngHead)
			}
			_, _ = conn.Write(append(first, bytes.Repeat([]byte("a"), 512<<10)...))
			time.Sleep(100 * time.Millisecond)
			conn.Close()
			if c.want != "" {
				waitCancel(t, c.want)
			} else {
				time.Sleep(200 * time.Millisecond)
				select {
				case got := <-cancelled:
					t.Fatalf("the JSON upload reached the CRM: %s", got)
				default:
				}
			}
		})
	}
	goroutinesSettle(t, before)
	noLeak(t, h, reply{}, "jane@example.com")
}

// pngHead is a PNG file's signature and first chunk header: what makes a
// body binary to Veil.
const pngHead = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
