package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/veil-proxy/veil/proxy/redistest"
)

func TestCoverCountsBytesAndReasons(t *testing.T) {
	inv := New(0, nil)
	inv.Cover("sf", "request", "json", true, "", 120)
	inv.Cover("sf", "request", "json", true, "", 80)
	inv.Cover("sf", "response", "json", true, "", -1) // a stream: size unknown
	inv.Cover("sf", "response", "json", true, "", 1000)
	inv.Cover("sf", "response", "json", false, ReasonFailOpen, 30)
	inv.Cover("sf", "response", "binary", false, "binary_content", -1)
	inv.Cover("sf", "response", "binary", false, "binary_content", 4096)
	inv.Cover("sf", "response", "csv", false, "over_limit", -1)
	inv.Cover("hs", "request", "multipart", false, "binary_content", 2048)
	inv.Cover("hs", "request", "multipart", true, "ignored when inspected", 10)

	r := inv.Snapshot()
	b, err := json.MarshalIndent(r.Coverage, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	// The JSON shape of the admin API's "coverage": sorted by route,
	// direction and format; reasons only where a body went unread.
	want := `[
  {
    "route": "hs",
    "direction": "request",
    "format": "multipart",
    "inspected": 1,
    "inspected_bytes": 10,
    "inspected_unsized": 0,
    "unread": 1,
    "unread_bytes": 2048,
    "unread_unsized": 0,
    "reasons": {
      "binary_content": 1
    }
  },
  {
    "route": "sf",
    "direction": "request",
    "format": "json",
    "inspected": 2,
    "inspected_bytes": 200,
    "inspected_unsized": 0,
    "unread": 0,
    "unread_bytes": 0,
    "unread_unsized": 0
  },
  {
    "route": "sf",
    "direction": "response",
    "format": "binary",
    "inspected": 0,
    "inspected_bytes": 0,
    "inspected_unsized": 0,
    "unread": 2,
    "unread_bytes": 4096,
    "unread_unsized": 1,
    "reasons": {
      "binary_content": 2
    }
  },
  {
    "route": "sf",
    "direction": "response",
    "format": "csv",
    "inspected": 0,
    "inspected_bytes": 0,
    "inspected_unsized": 0,
    "unread": 1,
    "unread_bytes": 0,
    "unread_unsized": 1,
    "reasons": {
      "over_limit": 1
    }
  },
  {
    "route": "sf",
    "direction": "response",
    "format": "json",
    "inspected": 2,
    "inspected_bytes": 1000,
    "inspected_unsized": 1,
    "unread": 1,
    "unread_bytes": 30,
    "unread_unsized": 0,
    "reasons": {
      "fail_open": 1
    }
  }
]`
	if string(b) != want {
		t.Errorf("coverage JSON\n got %s\nwant %s", b, want)
	}
	// The whole report carries it under "coverage", even empty.
	full, _ := json.Marshal(r)
	if !strings.Contains(string(full), `"coverage":[{"route":"hs"`) {
		t.Errorf("report %s", full)
	}
	empty, _ := json.Marshal(New(0, nil).Snapshot())
	if !strings.Contains(string(empty), `"coverage":[]`) {
		t.Errorf("empty report %s", empty)
	}
}

// Formats, reasons and directions are closed sets, route names must look
// like names, and at most MaxCoverageRoutes of them are kept: anything
// else is counted under "other", never dropped and never kept as given.
func TestCoverBounded(t *testing.T) {
	inv := New(0, nil)
	inv.Cover("sf", "request", "application/x-evil", true, "", 1)
	inv.Cover("sf", "sideways", "json", true, "", 1)
	inv.Cover("sf", "response", "binary", false, "because I said so", 1)
	inv.Cover("sf", "response", "binary", false, "", 1)
	inv.Cover("jane.doe@example.com", "request", "json", true, "", 1)
	inv.Cover("", "request", "json", true, "", 1)
	for i := range MaxCoverageRoutes + 20 {
		inv.Cover(fmt.Sprintf("route%d", i), "request", "json", true, "", 1)
	}
	r := inv.Snapshot()
	routes := map[string]bool{}
	var other, total int64
	for _, c := range r.Coverage {
		routes[c.Route] = true
		total += c.Inspected + c.Unread
		if c.Route == Other && c.Direction == DirectionRequest && c.Format == "json" {
			other = c.Inspected
		}
	}
	// sf and route0.. up to the bound, and other.
	if len(routes) != MaxCoverageRoutes+1 || !routes[Other] || routes["jane.doe@example.com"] || total != MaxCoverageRoutes+26 {
		t.Fatalf("%d routes, %d messages: %v", len(routes), total, routes)
	}
	if want := int64(2 + 21); other != want { // the value, "", and the routes past the bound (sf holds a place)
		t.Errorf("other/request/json %d, want %d", other, want)
	}
	find := func(route, dir, format string) Coverage {
		for _, c := range r.Coverage {
			if c.Route == route && c.Direction == dir && c.Format == format {
				return c
			}
		}
		t.Fatalf("no row %s/%s/%s in %+v", route, dir, format, r.Coverage)
		return Coverage{}
	}
	if c := find("sf", "request", Other); c.Inspected != 1 {
		t.Errorf("unknown format %+v", c)
	}
	if c := find("sf", Other, "json"); c.Inspected != 1 {
		t.Errorf("unknown direction %+v", c)
	}
	if c := find("sf", "response", "binary"); c.Unread != 2 || len(c.Reasons) != 1 || c.Reasons[Other] != 2 {
		t.Errorf("unknown reasons %+v", c)
	}
	b, _ := json.Marshal(r)
	var tb strings.Builder
	_ = WriteTable(&tb, r)
	for _, v := range []string{"jane.doe@example.com", "because I said so", "application/x-evil", "sideways"} {
		if strings.Contains(string(b), v) || strings.Contains(tb.String(), v) {
			t.Errorf("%q kept", v)
		}
	}
}

func TestCoverKnownDoesNotAllocate(t *testing.T) {
	inv := New(0, nil)
	inv.Cover("sf", "response", "json", true, "", 10)
	inv.Cover("sf", "response", "binary", false, "binary_content", -1)
	inv.Cover("jane@example.com", "response", "json", true, "", 1)
	if n := testing.AllocsPerRun(100, func() {
		inv.Cover("sf", "response", "json", true, "", 10)
		inv.Cover("sf", "response", "binary", false, "binary_content", -1)
		inv.Cover("jane@example.com", "response", "json", true, "", 1) // known as other
	}); n != 0 {
		t.Errorf("%v allocations per known message", n)
	}
}

func TestCoverConcurrent(t *testing.T) {
	inv := New(0, nil)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				inv.Cover("sf", "response", "json", (g+i)%2 == 0, "binary_content", 3)
				if i%100 == 0 {
					_ = inv.Snapshot()
				}
			}
		})
	}
	wg.Wait()
	c := inv.Snapshot().Coverage
	if len(c) != 1 || c[0].Inspected != 2000 || c[0].Unread != 2000 || c[0].InspectedBytes+c[0].UnreadBytes != 3*4000 || c[0].Reasons["binary_content"] != 2000 {
		t.Errorf("%+v", c)
	}
}

func TestCoverageTable(t *testing.T) {
	inv := New(0, nil)
	clock(inv, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	inv.Observe("sf", "response", "Contact", "Email", "email", 4)
	inv.Cover("sf", "response", "json", true, "", 1500)
	inv.Cover("sf", "response", "json", true, "", -1)
	inv.Cover("sf", "response", "binary", false, "binary_content", -1)
	inv.Cover("sf", "response", "binary", false, "binary_content", 4096)
	inv.Cover("sf", "response", "binary", false, "over_limit", 9000000)
	inv.Cover("hs", "request", "xml", true, "", 300)
	var b strings.Builder
	if err := WriteTable(&b, inv.Snapshot()); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"ROUTE  OBJECT   FIELD  CATEGORY  DIRECTIONS  COUNT  FIRST SEEN            LAST SEEN\n" +
		"sf     Contact  Email  email     response    4      2026-03-01T10:00:00Z  2026-03-01T10:00:00Z\n" +
		"\n" +
		"ROUTE  DIRECTION  FORMAT  INSPECTED  INSPECTED BYTES    UNREAD  UNREAD BYTES          UNREAD REASONS\n" +
		"hs     request    xml     1          300                0       0                     -\n" +
		"sf     response   binary  0          0                  3       9004096 (+1 unsized)  binary_content:2 over_limit:1\n" +
		"sf     response   json    2          1500 (+1 unsized)  0       0                     -\n"
	if b.String() != want {
		t.Errorf("table\n%s\nwant\n%s", b.String(), want)
	}
	// Coverage alone, with nothing in the data map yet.
	b.Reset()
	empty := New(0, nil)
	empty.Cover("sf", "request", "json", true, "", 2)
	if err := WriteTable(&b, empty.Snapshot()); err != nil || !strings.Contains(b.String(), "(no personal data seen yet)\n\nROUTE  DIRECTION") {
		t.Errorf("%q %v", b.String(), err)
	}
}

// Two replicas sharing a real Redis: the merged coverage adds their
// counters; flushing again adds nothing; counters covered while Redis is
// down are flushed once it is back, and meanwhile the handler serves the
// local coverage.
func TestSharedCoverage(t *testing.T) {
	ctx := context.Background()
	rs := redistest.Start(t)
	a := New(0, nil).WithRedis(rs.Client(t), "")
	b := New(0, nil).WithRedis(rs.Client(t), "")
	a.Cover("sf", "response", "json", true, "", 100)
	a.Cover("sf", "response", "binary", false, "binary_content", -1)
	b.Cover("sf", "response", "json", true, "", -1)
	b.Cover("sf", "response", "binary", false, "over_limit", 5000)
	b.Cover("hs", "request", "form", true, "", 7)
	for _, inv := range []*Inventory{a, b, a, b} {
		if err := inv.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	r, err := a.SharedSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(r.Coverage)
	want := `[{"route":"hs","direction":"request","format":"form","inspected":1,"inspected_bytes":7,"inspected_unsized":0,"unread":0,"unread_bytes":0,"unread_unsized":0},` +
		`{"route":"sf","direction":"response","format":"binary","inspected":0,"inspected_bytes":0,"inspected_unsized":0,"unread":2,"unread_bytes":5000,"unread_unsized":1,"reasons":{"binary_content":1,"over_limit":1}},` +
		`{"route":"sf","direction":"response","format":"json","inspected":2,"inspected_bytes":100,"inspected_unsized":1,"unread":0,"unread_bytes":0,"unread_unsized":0}]`
	if r.Source != SourceRedis || string(got) != want {
		t.Fatalf("shared coverage (%s)\n got %s\nwant %s", r.Source, got, want)
	}

	rs.Stop()
	a.Cover("sf", "response", "json", true, "", 50)
	if err := a.Flush(ctx); err == nil {
		t.Fatal("flush with redis down: no error")
	}
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", Path, nil))
	var local Report
	if err := json.Unmarshal(rec.Body.Bytes(), &local); err != nil || local.Source != SourceLocal || len(local.Coverage) != 2 || local.Coverage[1].Inspected != 2 {
		t.Errorf("fallback: %+v %v", local, err)
	}
	rs.Restart()
	var ferr error
	for range 50 {
		if ferr = a.Flush(ctx); ferr == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if ferr != nil {
		t.Fatal(ferr)
	}
	if r, err = b.SharedSnapshot(ctx); err != nil {
		t.Fatal(err)
	}
	// The restart emptied Redis (no persistence): what comes back is
	// only a's pending message.
	if len(r.Coverage) != 1 || r.Coverage[0].Inspected != 1 || r.Coverage[0].InspectedBytes != 50 {
		t.Errorf("after restart %+v", r.Coverage)
	}
}
