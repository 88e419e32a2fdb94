package proxy_test

import (
	"bytes"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/incident"
)

// A query that does not select Id still names its records (each
// record's attributes.url ends in its id), so an incident report counts
// them; records no message names are said to be there, not counted as 0.
func TestIncidentCountsRecordsWithoutSelectedIDs(t *testing.T) {
	dir := t.TempDir()
	h := start(t, withAuditFiles(dir))
	q := url.QueryEscape("SELECT Name, Email, SSN__c FROM Contact ORDER BY Name LIMIT 3")
	if res := do(t, "GET", h.veil+"/services/data/v62.0/query?q="+q, "demo-analyst", ""); res.status != 200 {
		t.Fatalf("query: %d %s", res.status, res.body)
	}
	// A create's record has no id yet: it holds personal data that no
	// message names.
	if res := do(t, "POST", h.veil+"/services/data/v62.0/sobjects/Contact", "demo-admin", `{"LastName":"Roe","Email":"ann.roe@example.com"}`); res.status >= 500 {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	var events []audit.Event
	eventually(t, "the query's response event", func() bool {
		events = readJSONL[audit.Event](t, filepath.Join(dir, "audit.jsonl"))
		return slices.ContainsFunc(events, func(e audit.Event) bool { return e.Direction == "response" && e.Operation == "query" })
	})
	var ids []string
	for _, e := range events {
		if e.Direction == "response" && e.Operation == "query" {
			ids = e.RecordIDs
		}
	}
	if len(ids) != 3 {
		t.Fatalf("the query's event names %d records, want 3: %v", len(ids), ids)
	}
	r := incident.Build(incident.Query{Principal: "demo-analyst"}, slices.Values(events))
	if r.Subjects.Count != 3 || len(r.Records) != 3 {
		t.Errorf("subjects %d, records %d; want 3 and 3", r.Subjects.Count, len(r.Records))
	}
	w := incident.Build(incident.Query{Principal: "demo-admin"}, slices.Values(events))
	if w.RecordsWithoutIDs == 0 {
		t.Fatalf("the create's record (no id yet) is not counted: %+v", w)
	}
	var b bytes.Buffer
	if err := incident.WriteText(&b, w); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Records without ids: 1") {
		t.Errorf("the report does not say so:\n%s", b.String())
	}
}
