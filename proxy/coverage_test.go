package proxy_test

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/inventory"
)

// The inventory's coverage view counts, per route, direction and body
// format, what Veil read of the bodies it let through and what it passed
// unread: JSON and XML both ways are inspected, a PNG on a declared
// download path goes on unread (binary_content, size unknown), and the
// same PNG where no file is expected is refused, which the coverage does
// not count (nothing went on).
func TestCoverageThroughVeil(t *testing.T) {
	const (
		jsonContact = `{"attributes":{"type":"Contact"},"Id":"003A000000hostile","Email":"jane.doe@example.com"}`
		xmlContact  = `<?xml version="1.0" encoding="UTF-8"?><Contact><Id>003A000000hostile</Id><Email>jane.doe@example.com</Email></Contact>`
		jsonPatch   = `{"LastName":"Doe"}`
		xmlPatch    = `<Contact><LastName>Doe</LastName></Contact>`
		download    = "/services/data/v62.0/sobjects/ContentVersion/068000000000001AAA/VersionData" // a Salesforce id: kept in the audit path
	)
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("X-Case") {
		case "json":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, jsonContact)
		case "xml":
			w.Header().Set("Content-Type", "application/xml;charset=UTF-8")
			_, _ = io.WriteString(w, xmlContact)
		case "binary":
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = io.WriteString(w, pngHead)
		case "patch":
			w.WriteHeader(http.StatusNoContent)
		default: // startHostile's warm-up
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, "{}")
		}
	})
	dir := t.TempDir()
	h, _ := startHostile(t, u, withAuditFiles(dir))
	before := coverageOf(t, h)

	for _, c := range []struct {
		method, path, token, ctype, body, xcase string
		status                                  int
	}{
		{"GET", sfContact, "demo-analyst", "", "", "json", 200},
		{"GET", sfContact, "demo-analyst", "", "", "json", 200},
		{"GET", sfContact, "demo-analyst", "", "", "xml", 200},
		{"GET", download, "demo-analyst", "", "", "binary", 200},
		{"GET", sfContact, "demo-analyst", "", "", "binary", 403}, // a binary record: refused, not counted
		{"PATCH", sfContact, "demo-admin", "application/json", jsonPatch, "patch", 204},
		{"PATCH", sfContact, "demo-admin", "application/xml", xmlPatch, "patch", 204},
	} {
		res := send(t, c.method, h.veil+c.path, c.token, c.ctype, c.body, "X-Case", c.xcase)
		if res.status != c.status {
			t.Fatalf("%s %s (%s): %d %s, want %d", c.method, c.path, c.xcase, res.status, res.body, c.status)
		}
		if c.xcase == "binary" && c.status == 200 && string(res.body) != pngHead {
			t.Errorf("the download was altered: %q", res.body)
		}
	}

	after := coverageOf(t, h)
	want := map[string]inventory.Coverage{
		"salesforce/response/json": {Inspected: 2, InspectedBytes: int64(2 * len(jsonContact))},
		"salesforce/response/xml":  {Inspected: 1, InspectedBytes: int64(len(xmlContact))},
		"salesforce/response/binary": {Unread: 1, UnreadBytes: int64(len(pngHead)), // not read: its Content-Length
			Reasons: map[string]int64{"binary_content": 1}},
		"salesforce/request/json": {Inspected: 1, InspectedBytes: int64(len(jsonPatch))},
		"salesforce/request/xml":  {Inspected: 1, InspectedBytes: int64(len(xmlPatch))},
	}
	for k, a := range after {
		d := a.minus(before[k])
		w := want[k]
		if d.Inspected != w.Inspected || d.InspectedBytes != w.InspectedBytes || d.InspectedUnsized != w.InspectedUnsized ||
			d.Unread != w.Unread || d.UnreadBytes != w.UnreadBytes || d.UnreadUnsized != w.UnreadUnsized ||
			len(d.Reasons) != len(w.Reasons) || d.Reasons["binary_content"] != w.Reasons["binary_content"] {
			t.Errorf("%s: got %+v, want %+v", k, d.Coverage, w)
		}
	}
	for k := range want {
		if _, ok := after[k]; !ok {
			t.Errorf("no coverage row %s: %+v", k, after)
		}
	}

	table := send(t, "GET", h.admin+inventory.Path+"?format=table", "", "", "")
	if res := table.body; table.status != 200 || !containsLine(res, "salesforce", "response", "binary", "0", "0", "1", strconv.Itoa(len(pngHead)), "binary_content:1") {
		t.Errorf("table: %d\n%s", table.status, res)
	}

	// The audit trail agrees: one passthrough, the download.
	var events []audit.Event
	eventually(t, "the audit events", func() bool {
		events = readJSONL[audit.Event](t, filepath.Join(dir, "audit.jsonl"))
		return len(events) >= 4+2*7-2 // the warm-up's, then two per message but the PATCHes' bodiless answers
	})
	var passed []string
	for _, e := range events {
		if e.Outcome == audit.OutcomePassthrough {
			passed = append(passed, e.Direction+" "+e.Path+" "+e.BodyFormat)
		}
	}
	if len(passed) != 1 || passed[0] != "response "+download+" binary" {
		t.Errorf("passthrough events %q", passed)
	}
}

// A route with on_error: allow forwards a body Veil could not walk: the
// coverage counts it unread (fail_open), with the bytes that were read.
func TestCoverageFailOpenThroughVeil(t *testing.T) {
	const malformed = `{"Email":"jane.doe@example.com",`
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("X-Case") == "malformed" {
			_, _ = io.WriteString(w, malformed)
			return
		}
		_, _ = io.WriteString(w, "{}")
	})
	h, _ := startHostile(t, u, func(c *config.Config, _ *proxy.Options) {
		for i := range c.Routes {
			c.Routes[i].OnError = config.OnErrorAllow
		}
	})
	before := coverageOf(t, h)
	if res := send(t, "GET", h.veil+sfContact, "demo-analyst", "", "", "X-Case", "malformed"); res.status != 200 || string(res.body) != malformed {
		t.Fatalf("fail-open: %d %s", res.status, res.body)
	}
	d := coverageOf(t, h)["salesforce/response/json"].minus(before["salesforce/response/json"])
	if d.Inspected != 0 || d.Unread != 1 || d.UnreadBytes != int64(len(malformed)) || d.UnreadUnsized != 0 || len(d.Reasons) != 1 || d.Reasons[inventory.ReasonFailOpen] != 1 {
		t.Errorf("fail-open coverage %+v", d.Coverage)
	}
}

// covered is a coverage row whose counters can be subtracted.
type covered struct{ inventory.Coverage }

func (a covered) minus(b covered) covered {
	d := a
	d.Inspected -= b.Inspected
	d.InspectedBytes -= b.InspectedBytes
	d.InspectedUnsized -= b.InspectedUnsized
	d.Unread -= b.Unread
	d.UnreadBytes -= b.UnreadBytes
	d.UnreadUnsized -= b.UnreadUnsized
	d.Reasons = map[string]int64{}
	for r, n := range a.Reasons {
		if n -= b.Reasons[r]; n != 0 {
			d.Reasons[r] = n
		}
	}
	return d
}

// coverageOf reads the coverage from the admin API, by
// "route/direction/format".
func coverageOf(t *testing.T, h *harness) map[string]covered {
	t.Helper()
	res := send(t, "GET", h.admin+inventory.Path, "", "", "")
	if res.status != 200 {
		t.Fatalf("inventory: %d %s", res.status, res.body)
	}
	rep := decodeJSON[inventory.Report](t, res.body)
	out := map[string]covered{}
	for _, c := range rep.Coverage {
		out[c.Route+"/"+c.Direction+"/"+c.Format] = covered{c}
	}
	return out
}

// containsLine reports whether a line of text has exactly these cells
// (separated by two spaces or more).
func containsLine(text []byte, cells ...string) bool {
	want := strings.Join(cells, "|")
	for line := range strings.Lines(string(text)) {
		if strings.Join(cellSep.Split(strings.TrimSpace(line), -1), "|") == want {
			return true
		}
	}
	return false
}

var cellSep = regexp.MustCompile(` {2,}`)

// A response over the limit streams a chunk of records at a time: every
// chunk is inspected, and the coverage counts it inspected, its size
// unknown (the stream's total is not kept).
func TestCoverageStreamedThroughVeil(t *testing.T) {
	var page strings.Builder
	page.WriteString(`{"totalSize":400,"done":true,"records":[`)
	for i := range 400 {
		if i > 0 {
			page.WriteByte(',')
		}
		fmt.Fprintf(&page, `{"attributes":{"type":"Contact"},"Id":"003A00000000%03d","LastName":"Doe%d","Email":"jane%d@example.com"}`, i, i, i)
	}
	page.WriteString(`]}`)
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("X-Case") == "page" {
			_, _ = io.WriteString(w, page.String())
			return
		}
		_, _ = io.WriteString(w, "{}")
	})
	h, _ := startHostile(t, u, withStreaming(16<<10, 4<<10))
	before := coverageOf(t, h)
	query := "/services/data/v62.0/query?q=SELECT+Id,LastName,Email+FROM+Contact"
	res := send(t, "GET", h.veil+query, "demo-analyst", "", "", "X-Case", "page")
	if res.status != 200 || res.header.Get("Content-Length") != "" || len(res.body) < 16<<10 || strings.Contains(string(res.body), "jane1@example.com") {
		t.Fatalf("streamed page: %d %q, %d bytes", res.status, res.header.Get("Content-Length"), len(res.body))
	}
	d := coverageOf(t, h)["salesforce/response/json"].minus(before["salesforce/response/json"])
	if d.Inspected != 1 || d.InspectedBytes != 0 || d.InspectedUnsized != 1 || d.Unread != 0 || len(d.Reasons) != 0 {
		t.Errorf("streamed coverage %+v", d.Coverage)
	}
}
