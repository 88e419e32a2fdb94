package inventory

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// clock returns a settable now for inv.
func clock(inv *Inventory, start time.Time) *time.Time {
	t := start
	inv.now = func() time.Time { return t }
	return &t
}

func TestObserveCountsDirectionsAndTimes(t *testing.T) {
	inv := New(10, nil)
	now := clock(inv, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	inv.Observe("sf", "response", "Contact", "Email", "email", 2)
	*now = now.Add(time.Hour)
	inv.Observe("sf", "request", "Contact", "Email", "email", 1)
	inv.ObserveBatch("sf", "response", "Contact", []Observation{
		{Field: "Email", Category: "email", N: 3},
		{Field: "SSN__c", Category: "us_ssn", N: 1},
		{Field: "Phone", Category: "phone", N: 0}, // ignored
		{Field: "Email", Category: "email", N: 1, Object: "Lead"},
	})
	inv.Observe("sf", "response", "Contact", "Phone", "phone", -1) // ignored

	r := inv.Snapshot()
	if r.Truncated != 0 || r.MaxEntries != 10 || len(r.Entries) != 3 || r.Entries[2].Object != "Lead" {
		t.Fatalf("report %+v", r)
	}
	e := r.Entries[0]
	if e.Field != "Email" || e.Count != 6 || strings.Join(e.Directions, ",") != "request,response" ||
		!e.FirstSeen.Equal(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)) || !e.LastSeen.Equal(time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("email entry %+v", e)
	}
	if e := r.Entries[1]; e.Field != "SSN__c" || e.Count != 1 || strings.Join(e.Directions, ",") != "response" {
		t.Errorf("ssn entry %+v", e)
	}
}

func TestBoundedAndGauge(t *testing.T) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "veil_inventory_entries"})
	inv := New(3, g)
	for i := range 5 {
		inv.Observe("hs", "response", "contacts", fmt.Sprintf("properties.f%d", i), "email", 1)
	}
	// Known combinations keep counting at the bound.
	inv.Observe("hs", "response", "contacts", "properties.f0", "email", 1)
	inv.Observe("hs", "response", "contacts", "properties.f4", "email", 1) // refused again
	r := inv.Snapshot()
	if len(r.Entries) != 3 || r.Truncated != 3 || inv.Len() != 3 {
		t.Fatalf("entries %d truncated %d", len(r.Entries), r.Truncated)
	}
	if r.Entries[0].Count != 2 {
		t.Errorf("f0 count %d", r.Entries[0].Count)
	}
	if got := testutil.ToFloat64(g); got != 3 {
		t.Errorf("gauge %v", got)
	}
	var b strings.Builder
	if err := WriteTable(&b, r); err != nil || !strings.Contains(b.String(), "truncated: 3") {
		t.Errorf("table %q %v", b.String(), err)
	}
}

func TestSnapshotOrderIsDeterministic(t *testing.T) {
	inv := New(0, nil)
	obs := [][4]string{
		{"sf", "Lead", "Phone", "phone"},
		{"hs", "contacts", "properties.email", "email"},
		{"sf", "Contact", "Email", "email"},
		{"sf", "Contact", "Description", "us_ssn"},
		{"sf", "Contact", "Description", "email"},
		{"sf", "", "q", "email"},
	}
	for _, o := range obs {
		inv.Observe(o[0], "response", o[1], o[2], o[3], 1)
	}
	var got []string
	for _, e := range inv.Snapshot().Entries {
		got = append(got, strings.Join([]string{e.Route, e.Object, e.Field, e.Category}, "/"))
	}
	want := "hs/contacts/properties.email/email sf//q/email sf/Contact/Description/email sf/Contact/Description/us_ssn sf/Contact/Email/email sf/Lead/Phone/phone"
	if strings.Join(got, " ") != want {
		t.Errorf("order\n got %v\nwant %v", got, want)
	}
}

// The inventory holds names and counts: a value that reaches it as a name
// (a JSON object keyed by e-mail address, phone or SSN) is not kept, and
// nothing in the report or the table carries it.
func TestNoValueIsKept(t *testing.T) {
	inv := New(0, nil)
	values := []string{"jane.doe@example.com", "+1 415 555 0100", "219-09-9999", "4111111111111111", strings.Repeat("a", MaxName+1), "Jane Doe's <notes>", "Jane Doe"}
	for _, v := range values {
		inv.Observe("sf", "response", "Contact", v, "email", 1)
		inv.Observe("sf", "response", v, "Email", "email", 1)
	}
	inv.Observe("sf", "response", "Contact", "Email", "email", 1)
	r := inv.Snapshot()
	b, _ := json.Marshal(r)
	var tb strings.Builder
	_ = WriteTable(&tb, r)
	for _, v := range values {
		if strings.Contains(string(b), v) || strings.Contains(tb.String(), v) {
			t.Errorf("value %q kept", v)
		}
	}
	// All values collapse into the Unnamed field and object.
	var names []string
	for _, e := range r.Entries {
		names = append(names, e.Object+"/"+e.Field)
		if e.Field == Unnamed && e.Count != int64(len(values)) {
			t.Errorf("unnamed count %d", e.Count)
		}
	}
	if strings.Join(names, " ") != "Contact/Email Contact/[unnamed] [unnamed]/Email" {
		t.Errorf("names %v", names)
	}
}

func TestObserveKnownDoesNotAllocate(t *testing.T) {
	inv := New(0, nil)
	obs := []Observation{{Field: "Email", Category: "email", N: 1}, {Field: "SSN__c", Category: "us_ssn", N: 2}}
	inv.ObserveBatch("sf", "response", "Contact", obs)
	inv.Observe("sf", "response", "Contact", "jane@example.com", "email", 1)
	if n := testing.AllocsPerRun(100, func() {
		inv.Observe("sf", "response", "Contact", "Email", "email", 1)
		inv.Observe("sf", "response", "Contact", "jane@example.com", "email", 1) // known as Unnamed
		inv.ObserveBatch("sf", "response", "Contact", obs)
	}); n != 0 {
		t.Errorf("%v allocations per known observation", n)
	}
}

func TestConcurrent(t *testing.T) {
	inv := New(50, nil)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				inv.ObserveBatch("sf", "response", "Contact", []Observation{{Field: fmt.Sprintf("F%d__c", (g*500+i)%80), Category: "email", N: 1}})
				if i%100 == 0 {
					_ = inv.Snapshot()
				}
			}
		}()
	}
	wg.Wait()
	r := inv.Snapshot()
	var total int64
	for _, e := range r.Entries {
		total += e.Count
	}
	if len(r.Entries) != 50 || total+r.Truncated != 8*500 {
		t.Errorf("entries %d, counted %d + refused %d != %d", len(r.Entries), total, r.Truncated, 8*500)
	}
}

func TestHandler(t *testing.T) {
	inv := New(0, nil)
	clock(inv, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	inv.Observe("sf", "response", "Contact", "Email", "email", 4)
	inv.Observe("hs", "request", "contacts", "properties.phone", "phone", 1)
	srv := httptest.NewServer(inv.Handler())
	defer srv.Close()

	res, err := http.Get(srv.URL + Path)
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	err = json.NewDecoder(res.Body).Decode(&r)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" || len(r.Entries) != 2 || r.Entries[1].Count != 4 {
		t.Fatalf("json: %d %s %+v %v", res.StatusCode, res.Header.Get("Content-Type"), r, err)
	}

	res, err = http.Get(srv.URL + Path + "?format=table")
	if err != nil {
		t.Fatal(err)
	}
	var tb strings.Builder
	_, _ = fmt.Fprint(&tb, mustRead(t, res))
	want := "" +
		"ROUTE  OBJECT    FIELD             CATEGORY  DIRECTIONS  COUNT  FIRST SEEN            LAST SEEN\n" +
		"hs     contacts  properties.phone  phone     request     1      2026-03-01T10:00:00Z  2026-03-01T10:00:00Z\n" +
		"sf     Contact   Email             email     response    4      2026-03-01T10:00:00Z  2026-03-01T10:00:00Z\n"
	if tb.String() != want || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("table %s\n%s", res.Header.Get("Content-Type"), tb.String())
	}

	for _, c := range []struct {
		method, query string
		status        int
	}{{http.MethodPost, "", 405}, {http.MethodDelete, "", 405}, {http.MethodGet, "?format=xml", 400}, {http.MethodHead, "", 200}} {
		req, _ := http.NewRequest(c.method, srv.URL+Path+c.query, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.status || c.status == 405 && res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s: %d", c.method, c.query, res.StatusCode)
		}
	}
}

func mustRead(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEmptyTable(t *testing.T) {
	var b strings.Builder
	if err := WriteTable(&b, New(0, nil).Snapshot()); err != nil || !strings.Contains(b.String(), "no personal data seen yet") {
		t.Errorf("%q %v", b.String(), err)
	}
}

func BenchmarkObserveBatch(b *testing.B) {
	inv := New(0, nil)
	obs := []Observation{{Field: "Email", Category: "email", N: 1}, {Field: "Phone", Category: "phone", N: 1}, {Field: "SSN__c", Category: "us_ssn", N: 1}, {Field: "Birthdate", Category: "date_of_birth", N: 1}}
	b.ReportAllocs()
	for b.Loop() {
		inv.ObserveBatch("sf", "response", "Contact", obs)
	}
}

// Categories tells what a field has been seen holding on a route, in any
// object and either direction, the name in any case, each category once.
func TestCategoriesOfAField(t *testing.T) {
	inv := New(0, nil)
	inv.Observe("salesforce", DirectionResponse, "Contact", "TaxRef__c", "us_ssn", 2)
	inv.Observe("salesforce", DirectionRequest, "Lead", "TaxRef__c", "us_ssn", 1)
	inv.Observe("salesforce", DirectionResponse, "Lead", "taxref__C", "us_itin", 1)
	inv.Observe("hubspot", DirectionResponse, "contacts", "TaxRef__c", "email", 1)
	if got := inv.Categories("salesforce", "TAXREF__c"); !slices.Equal(got, []string{"us_ssn", "us_itin"}) {
		t.Errorf("salesforce TaxRef__c: %v", got)
	}
	if got := inv.Categories("hubspot", "TaxRef__c"); !slices.Equal(got, []string{"email"}) {
		t.Errorf("hubspot TaxRef__c: %v", got)
	}
	if got := inv.Categories("salesforce", "Other__c"); got != nil {
		t.Errorf("a field never seen: %v", got)
	}
	var none *Inventory
	if got := none.Categories("salesforce", "TaxRef__c"); got != nil {
		t.Errorf("nil inventory: %v", got)
	}
}
