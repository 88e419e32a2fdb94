package proxy_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
)

// bulkExportThreshold is the watch's bulk_export threshold in these tests:
// a principal receiving more records with personal data raises the alert.
const bulkExportThreshold = 3

// sfIDs are n Salesforce Contact ids.
func sfIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("003A00000%06dAAA", i+1)
	}
	return ids
}

// sfContacts renders Contacts with an e-mail address each, as a query's
// records[] or a search's searchRecords[] hold them.
func sfContacts(ids []string) string {
	recs := make([]string, len(ids))
	for i, id := range ids {
		recs[i] = fmt.Sprintf(`{"attributes":{"type":"Contact","url":"/services/data/v62.0/sobjects/Contact/%s"},"Id":"%s","Email":"person%d@example.com"}`, id, id, i)
	}
	return "[" + strings.Join(recs, ",") + "]"
}

// sfSearchXML renders Contacts as a REST XML search result holds them:
// one searchRecords element per record, as JSON's searchRecords[].
func sfSearchXML(ids []string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><SearchResult>`)
	for i, id := range ids {
		fmt.Fprintf(&b, `<searchRecords type="Contact" url="/services/data/v62.0/sobjects/Contact/%s"><Id>%s</Id><Email>person%d@example.com</Email></searchRecords>`, id, id, i)
	}
	b.WriteString(`<metadata><spellCorrectionApplied>false</spellCorrectionApplied></metadata></SearchResult>`)
	return b.String()
}

// hsSearchCase is a HubSpot search answering recs, whose ids are ids.
func hsSearchCase(ids, recs []string) exportCase {
	return exportCase{
		name: "HubSpot search", method: "POST", path: "/crm/v3/objects/contacts/search", ctype: "application/json",
		reqBody: `{"filterGroups":[],"properties":["email"],"limit":100}`,
		route:   "hubspot", operation: "search", respType: "application/json",
		resp: `{"total":` + fmt.Sprint(len(recs)) + `,"results":[` + strings.Join(recs, ",") + `]}`,
		ids:  ids,
	}
}

// exportCase is a response carrying records with personal data, read
// through Veil: the watch must count each record, and the response's
// audit event list the ids.
type exportCase struct {
	name, method, path, ctype, reqBody string
	route, operation                   string
	respType, resp                     string
	ids                                []string // the ids the audit event must list
}

// runExport sends c through Veil, in front of an upstream answering with
// c.resp, pages times; it returns the audit events of the responses and
// whether the watch raised bulk_export for the principal.
func runExport(t *testing.T, c exportCase, pages int, opts ...harnessOption) (events []audit.Event, alerted bool) {
	t.Helper()
	dir := t.TempDir()
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", c.respType)
		_, _ = io.WriteString(w, c.resp)
	})
	h, _ := startHostile(t, u, append([]harnessOption{withAuditFiles(dir), func(cfg *config.Config, _ *proxy.Options) {
		cfg.Watch.BulkExport.Records = bulkExportThreshold
	}}, opts...)...)
	const principal = "demo-sales"
	for i := range pages {
		if res := send(t, c.method, h.veil+c.path, principal, c.ctype, c.reqBody); res.status != 200 {
			t.Fatalf("page %d: %d %.300s", i, res.status, res.body)
		}
	}
	eventually(t, "the responses' audit events", func() bool {
		events = events[:0]
		for _, e := range readJSONL[audit.Event](t, filepath.Join(dir, "audit.jsonl")) {
			if e.Direction == "response" && e.Route == c.route && e.Principal == principal {
				events = append(events, e)
			}
		}
		return len(events) >= pages
	})
	// The watch works off the request path: give it the time to alert.
	for range 100 {
		for _, a := range readJSONL[audit.Alert](t, filepath.Join(dir, "alerts.jsonl")) {
			if a.Kind == audit.AlertBulkExport && a.Principal == principal {
				return events, true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return events, false
}

// checkIDs reports an event whose record ids are not want.
func checkIDs(t *testing.T, c exportCase, e audit.Event) {
	t.Helper()
	if e.Operation != c.operation {
		t.Errorf("operation %q, want %q", e.Operation, c.operation)
	}
	got := slices.Clone(e.RecordIDs)
	slices.Sort(got)
	want := slices.Clone(c.ids)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the audit event lists %d record ids %v, want the %d records' %v (without ids: %d)",
			len(e.RecordIDs), e.RecordIDs, len(want), want, e.RecordsWithoutIDs)
	}
}

// One response holding more records with personal data than the
// threshold raises bulk_export, whatever path they are read through, and
// its audit event lists every record's id.
func TestBulkExportCountsEveryPath(t *testing.T) {
	const n = 5 // > bulkExportThreshold
	ids := sfIDs(n)
	hsIDs := make([]string, n)
	hsRecs := make([]string, n)
	csv := []string{"Id,Email"}
	xml := []string{`<?xml version="1.0" encoding="UTF-8"?><queryResult xmlns="http://www.force.com/2009/06/asyncapi/dataload" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`}
	for i, id := range ids {
		hsIDs[i] = fmt.Sprint(501 + i)
		hsRecs[i] = fmt.Sprintf(`{"id":"%s","properties":{"email":"person%d@example.com"},"archived":false}`, hsIDs[i], i)
		csv = append(csv, fmt.Sprintf("%s,person%d@example.com", id, i))
		xml = append(xml, fmt.Sprintf(`<records xsi:type="sObject"><type>Contact</type><Id>%s</Id><Email>person%d@example.com</Email></records>`, id, i))
	}
	xml = append(xml, `</queryResult>`)
	sosl := "/services/data/v62.0/search?q=" + url.QueryEscape("FIND {example.com} IN EMAIL FIELDS RETURNING Contact(Id, Email)")
	cases := []exportCase{
		{
			name: "composite subresponse", method: "POST", path: "/services/data/v62.0/composite", ctype: "application/json",
			reqBody: `{"compositeRequest":[{"method":"GET","url":"/services/data/v62.0/query?q=SELECT+Id,Email+FROM+Contact","referenceId":"q"}]}`,
			route:   "salesforce", operation: "composite", respType: "application/json",
			resp: `{"compositeResponse":[{"body":{"totalSize":` + fmt.Sprint(n) + `,"done":true,"records":` + sfContacts(ids) +
				`},"httpHeaders":{},"httpStatusCode":200,"referenceId":"q"}]}`,
			ids: ids,
		},
		{
			name: "composite graph", method: "POST", path: "/services/data/v62.0/composite/graph", ctype: "application/json",
			reqBody: `{"graphs":[{"graphId":"g","compositeRequest":[{"method":"GET","url":"/services/data/v62.0/query?q=SELECT+Id,Email+FROM+Contact","referenceId":"q"}]}]}`,
			route:   "salesforce", operation: "composite", respType: "application/json",
			resp: `{"graphs":[{"graphId":"g","isSuccessful":true,"graphResponse":{"compositeResponse":[{"body":{"totalSize":` + fmt.Sprint(n) +
				`,"done":true,"records":` + sfContacts(ids) + `},"httpHeaders":{},"httpStatusCode":200,"referenceId":"q"}]}}]}`,
			ids: ids,
		},
		{
			name: "SOSL search", method: "GET", path: sosl,
			route: "salesforce", operation: "search", respType: "application/json",
			resp: `{"searchRecords":` + sfContacts(ids) + `,"metadata":{"spellCorrectionApplied":false}}`,
			ids:  ids,
		},
		{
			name: "SOSL search (REST XML)", method: "GET", path: sosl,
			route: "salesforce", operation: "search", respType: "application/xml",
			resp: sfSearchXML(ids),
			ids:  ids,
		},
		{
			name: "SOSL search, trailing slash", method: "GET", path: strings.Replace(sosl, "search?", "search/?", 1),
			route: "salesforce", operation: "search", respType: "application/json",
			resp: `{"searchRecords":` + sfContacts(ids) + `}`,
			ids:  ids,
		},
		{
			name: "parameterized search", method: "GET", path: "/services/data/v62.0/parameterizedSearch?q=example.com&sobject=Contact&Contact.fields=Id,Email",
			route: "salesforce", operation: "search", respType: "application/json",
			resp: `{"searchRecords":` + sfContacts(ids) + `}`,
			ids:  ids,
		},
		{
			name: "parameterized search, POST", method: "POST", path: "/services/data/v62.0/parameterizedSearch", ctype: "application/json",
			reqBody: `{"q":"example.com","fields":["Id","Email"],"sobjects":[{"name":"Contact"}]}`,
			route:   "salesforce", operation: "search", respType: "application/json",
			resp: `{"searchRecords":` + sfContacts(ids) + `}`,
			ids:  ids,
		},
		{
			name: "composite subresponse holding a search", method: "POST", path: "/services/data/v62.0/composite", ctype: "application/json",
			reqBody: `{"compositeRequest":[{"method":"GET","url":"/services/data/v62.0/search?q=FIND+%7Bexample.com%7D","referenceId":"s"}]}`,
			route:   "salesforce", operation: "composite", respType: "application/json",
			resp: `{"compositeResponse":[{"body":{"searchRecords":` + sfContacts(ids) +
				`},"httpHeaders":{},"httpStatusCode":200,"referenceId":"s"}]}`,
			ids: ids,
		},
		{
			name: "Bulk 2.0 query results (CSV)", method: "GET", path: "/services/data/v62.0/jobs/query/750A0000000hostile/results",
			route: "salesforce", operation: "other", respType: "text/csv",
			resp: strings.Join(csv, "\n") + "\n",
			ids:  ids,
		},
		{
			name: "Bulk 1.0 batch result (XML)", method: "GET", path: "/services/async/62.0/job/750A0000000hostile/batch/751A0000000hostile/result/752A0000000hostile",
			route: "salesforce", operation: "other", respType: "application/xml",
			resp: strings.Join(xml, ""),
			ids:  ids,
		},
		hsSearchCase(hsIDs, hsRecs),
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			events, alerted := runExport(t, c, 1)
			if len(events) != 1 {
				t.Fatalf("%d response events", len(events))
			}
			checkIDs(t, c, events[0])
			if !alerted {
				t.Errorf("%d records with personal data in one response raised no %s alert (threshold %d)", n, audit.AlertBulkExport, bulkExportThreshold)
			}
		})
	}
}

// queryMore: the pages of a query (/query/<locator>) add up, each counted
// per record, until the principal is past the threshold.
func TestBulkExportQueryMorePagesAddUp(t *testing.T) {
	ids := sfIDs(2) // two pages of two: four records, past the threshold of three
	c := exportCase{
		method: "GET", path: "/services/data/v62.0/query/01gA0000000hostile-2000",
		route: "salesforce", operation: "query", respType: "application/json",
		resp: `{"totalSize":4000,"done":false,"nextRecordsUrl":"/services/data/v62.0/query/01gA0000000hostile-4000","records":` + sfContacts(ids) + `}`,
		ids:  ids,
	}
	events, alerted := runExport(t, c, 2)
	for _, e := range events {
		checkIDs(t, c, e)
	}
	if !alerted {
		t.Errorf("two queryMore pages of %d records raised no %s alert (threshold %d)", len(ids), audit.AlertBulkExport, bulkExportThreshold)
	}
}

// A search or composite response over limits.max_body_bytes streams cut
// between its records (searchRecords, results) or its subresponses, and
// still counts every record and lists every id.
func TestBulkExportCountsStreamedSearches(t *testing.T) {
	const n = 40
	ids := sfIDs(n)
	var subs []string
	for i := 0; i < n; i += 8 {
		subs = append(subs, `{"body":{"totalSize":8,"done":true,"records":`+sfContacts(ids[i:i+8])+`},"httpHeaders":{},"httpStatusCode":200,"referenceId":"q`+fmt.Sprint(i)+`"}`)
	}
	hsIDs := make([]string, n)
	hsRecs := make([]string, n)
	for i := range hsIDs {
		hsIDs[i] = fmt.Sprint(501 + i)
		hsRecs[i] = fmt.Sprintf(`{"id":"%s","properties":{"email":"person%d@example.com","createdate":"2026-01-01T00:00:00Z","lastmodifieddate":"2026-01-01T00:00:00Z"},"archived":false}`, hsIDs[i], i)
	}
	cases := []exportCase{
		{
			name: "SOSL search", method: "GET", path: "/services/data/v62.0/search?q=" + url.QueryEscape("FIND {example.com} IN EMAIL FIELDS RETURNING Contact(Id, Email)"),
			route: "salesforce", operation: "search", respType: "application/json",
			resp: `{"searchRecords":` + sfContacts(ids) + `,"metadata":{"spellCorrectionApplied":false}}`,
			ids:  ids,
		},
		{
			name: "composite subresponses", method: "POST", path: "/services/data/v62.0/composite", ctype: "application/json",
			reqBody: `{"compositeRequest":[{"method":"GET","url":"/services/data/v62.0/query?q=SELECT+Id,Email+FROM+Contact","referenceId":"q"}]}`,
			route:   "salesforce", operation: "composite", respType: "application/json",
			resp: `{"compositeResponse":[` + strings.Join(subs, ",") + `]}`,
			ids:  ids,
		},
		hsSearchCase(hsIDs, hsRecs),
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if len(c.resp) <= 4096 {
				t.Fatalf("the response (%d bytes) would not stream", len(c.resp))
			}
			events, alerted := runExport(t, c, 1, withStreaming(4096, 2048))
			if len(events) != 1 {
				t.Fatalf("%d response events", len(events))
			}
			if events[0].Chunks < 2 {
				t.Errorf("the response was not streamed: %d chunks", events[0].Chunks)
			}
			if events[0].Bytes != int64(len(c.resp)) {
				t.Errorf("the event says %d bytes, the CRM sent %d", events[0].Bytes, len(c.resp))
			}
			checkIDs(t, c, events[0])
			if !alerted {
				t.Errorf("%d records with personal data in one response raised no %s alert", n, audit.AlertBulkExport)
			}
		})
	}
}
