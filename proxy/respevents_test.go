package proxy_test

import (
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/veil-proxy/veil/proxy/audit"
)

// Every response leaves a response event with its status and its body's
// size in bytes (absent when it has none): HEAD, 204 and
// 304 have no body to decide on, and are audited all the same (outcome
// allowed); a text/event-stream is read as text, whole, like any text
// body (never streamed unread).
func TestResponseEventForEveryResponse(t *testing.T) {
	dir := t.TempDir()
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("X-Test-Answer") {
		case "204":
			w.WriteHeader(http.StatusNoContent)
		case "304":
			w.Header().Set("ETag", `"v1"`)
			w.WriteHeader(http.StatusNotModified)
		case "json":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"Id":"003000000000001AAA","Email":"jane.doe@example.com"}`)
		case "sse":
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, "event: update\ndata: {\"Id\":\"003000000000001AAA\"}\n\n")
		default: // HEAD: the headers of a JSON body
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "2")
			if r.Method != http.MethodHead {
				_, _ = io.WriteString(w, `{}`)
			}
		}
	})
	h, _ := startHostile(t, u, withAuditFiles(dir))
	base := h.veil + "/services/data/v62.0/sobjects/Contact/003000000000001AAA"
	cases := []struct {
		method, answer string
		status         int
		format         string
		bytes          int64
	}{
		{"HEAD", "", 200, "none", 0},
		{"GET", "204", 204, "none", 0},
		{"GET", "304", 304, "none", 0},
		{"GET", "sse", 200, "text", int64(len("event: update\ndata: {\"Id\":\"003000000000001AAA\"}\n\n"))},
		{"GET", "json", 200, "json", int64(len(`{"Id":"003000000000001AAA","Email":"jane.doe@example.com"}`))},
	}
	for _, c := range cases {
		res := send(t, c.method, base, "demo-sales", "", "", "X-Test-Answer", c.answer, "If-None-Match", `"v1"`)
		if res.status != c.status {
			t.Fatalf("%s %s: %d %s", c.method, c.answer, res.status, res.body)
		}
		rid := res.header.Get("X-Request-Id")
		var got *audit.Event
		eventually(t, "the response event of "+c.method+" "+strconv.Itoa(c.status), func() bool {
			for _, e := range readJSONL[audit.Event](t, filepath.Join(dir, "audit.jsonl")) {
				if e.RequestID == rid && e.Direction == "response" {
					got = &e
					return true
				}
			}
			return false
		})
		if got.Status != c.status || got.Method != c.method || got.Outcome != audit.OutcomeAllowed || got.Principal != "demo-sales" ||
			got.BodyFormat != c.format || got.Uninspected || got.Route != "salesforce" || got.Bytes != c.bytes {
			t.Errorf("%s %s: %+v", c.method, c.answer, *got)
		}
	}
}
