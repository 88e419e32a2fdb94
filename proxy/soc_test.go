package proxy_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/inventory"
	"github.com/veil-proxy/veil/rules"
)

func withAuditFiles(dir string) harnessOption {
	return func(c *config.Config, _ *proxy.Options) {
		c.Audit.File = filepath.Join(dir, "audit.jsonl")
		c.Audit.AlertFile = filepath.Join(dir, "alerts.jsonl")
	}
}

// eventually polls f every 20 ms for up to 5 s: the audit writer and the
// watch work off the request path.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if f() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// readJSONL reads the whole lines of a JSON-lines file the proxy may be
// writing still: a last line not yet ended is left for the next read.
func readJSONL[T any](t *testing.T, path string) []T {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	b = b[:bytes.LastIndexByte(b, '\n')+1]
	var out []T
	if err := audit.ReadLines(bytes.NewReader(b), func(v T) error { out = append(out, v); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// bundleWith is the default bundle with data.json's veil_config changed
// by edit.
func bundleWith(t testing.TB, edit func(cfg map[string]any)) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	names, err := rules.FS.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range names {
		b, err := rules.FS.ReadFile(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = &fstest.MapFile{Data: b}
	}
	var doc map[string]any
	if err := json.Unmarshal(m["data.json"].Data, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc["veil_config"].(map[string]any))
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	m["data.json"] = &fstest.MapFile{Data: b}
	return m
}

// Every message leaves one hash-chained audit event with counts, record
// ids and outcome, never a value; a refused write raises the policy's
// alert; a record id that is an e-mail address is kept out of the path.
func TestAuditTrailThroughVeil(t *testing.T) {
	dir := t.TempDir()
	h := start(t, withAuditFiles(dir))
	id := firstContactID(t, h)

	read := do(t, "GET", h.veil+"/services/data/v62.0/query?q="+url.QueryEscape("SELECT Id, Name, Email, Phone FROM Contact LIMIT 3"), "demo-analyst", "")
	if read.status != 200 {
		t.Fatalf("read: %d %s", read.status, read.body)
	}
	blocked := do(t, "PATCH", h.veil+"/services/data/v62.0/sobjects/Contact/"+id, "demo-sales", `{"Description":"paid with 4111 1111 1111 1111"}`)
	if blocked.status != 403 {
		t.Fatalf("write: %d %s", blocked.status, blocked.body)
	}
	do(t, "GET", h.veil+"/crm/v3/objects/contacts/jane.doe@example.com?idProperty=email", "demo-support", "")

	auditFile := filepath.Join(dir, "audit.jsonl")
	var events []audit.Event
	// Three requests and two responses at least: the refused write has
	// none (the HubSpot read's response may still be on its way).
	eventually(t, "five audit events", func() bool {
		events = readJSONL[audit.Event](t, auditFile)
		return len(events) >= 5
	})
	if events[0].Seq != 1 || events[0].PrevHash != "" {
		t.Errorf("the chain does not start at 1: %+v", events[0])
	}
	var reads, refusals, hubspot int
	for i, e := range events {
		if e.Kind != audit.KindDecision || e.Instance == "" || e.Seq != events[0].Seq+uint64(i) || e.Hash == "" {
			t.Errorf("event %d is not a chained decision event: %+v", i, e)
		}
		switch {
		case e.Route == "salesforce" && e.Direction == "response" && e.Operation == "query":
			reads++
			if e.Outcome != audit.OutcomeTransformed || e.Categories["email"] != 3 || e.Actions["mask"] == 0 ||
				len(e.RecordIDs) != 3 || e.Principal != "demo-analyst" || !slices.Contains(e.Roles, "analyst") || e.DecisionID == "" || e.PolicyRevision == "" || e.Status != 200 {
				t.Errorf("the masked read: %+v", e)
			}
		case e.Direction == "request" && e.Method == "PATCH":
			refusals++
			if e.Outcome != audit.OutcomeBlocked || e.Code != "policy_denied" || !slices.Contains(e.Rules, "pci_card_in_free_text") ||
				e.Categories["credit_card"] != 1 || !strings.HasSuffix(e.Path, id) {
				t.Errorf("the refused write: %+v", e)
			}
		case e.Route == "hubspot" && e.Direction == "request":
			hubspot++
			if e.Path != "/crm/v3/objects/contacts/[email]" {
				t.Errorf("the HubSpot path: %q", e.Path)
			}
		}
	}
	if reads != 1 || refusals != 1 || hubspot != 1 {
		t.Errorf("reads %d refusals %d hubspot requests %d in %d events", reads, refusals, hubspot, len(events))
	}
	raw, err := os.ReadFile(auditFile)
	if err != nil {
		t.Fatal(err)
	}
	// The card as written and as digits: its first four digits alone are
	// in a random id or a timestamp's nanoseconds about once in fifty runs.
	for _, leak := range []string{"4111 1111", "4111111111111111", "jane.doe@example.com", "ahmed.kowalski@example.com", "Kowalski"} {
		if bytes.Contains(raw, []byte(leak)) {
			t.Errorf("the audit file holds %q", leak)
		}
	}
	var alerts []audit.Alert
	eventually(t, "the policy's alert", func() bool {
		alerts = readJSONL[audit.Alert](t, filepath.Join(dir, "alerts.jsonl"))
		return len(alerts) > 0
	})
	if a := alerts[0]; a.Kind != "pci_card_in_free_text" || a.Severity != "high" || a.Principal != "demo-sales" || a.DecisionID == "" || a.Hash == "" {
		t.Errorf("alert: %+v", a)
	}
	if m := do(t, "GET", h.admin+"/metrics", "", ""); !bytes.Contains(m.body, []byte(`veil_alerts_total{kind="pci_card_in_free_text",severity="high"} 1`)) {
		t.Error("the alert is not counted")
	}
}

// IPS: the default bundle refuses a principal's reads once the watch has
// counted limits.bulk_export_records records with personal data in its
// window; the watch alerts first, at its own threshold.
func TestBulkExportLimitThroughVeil(t *testing.T) {
	dir := t.TempDir()
	bundle := bundleWith(t, func(cfg map[string]any) {
		cfg["limits"].(map[string]any)["bulk_export_records"] = 6
		cfg["decision_cache"].(map[string]any)["stats_levels"].(map[string]any)["principal_pii_records"] = []int{6}
	})
	h := start(t, withRules(bundle), withAuditFiles(dir), func(c *config.Config, _ *proxy.Options) { c.Watch.BulkExport.Records = 3 })
	q := h.veil + "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Id, Email FROM Contact LIMIT 3")
	for i := range 2 {
		if r := do(t, "GET", q, "demo-sales", ""); r.status != 200 {
			t.Fatalf("read %d: %d %s", i, r.status, r.body)
		}
	}
	var res reply
	eventually(t, "the bulk export limit", func() bool {
		res = do(t, "GET", q, "demo-sales", "")
		return res.status == 403
	})
	if !bytes.Contains(res.body, []byte("bulk_export_limit")) {
		t.Errorf("refusal: %s", res.body)
	}
	// Another principal reads on.
	if r := do(t, "GET", q, "demo-admin", ""); r.status != 200 {
		t.Errorf("another principal: %d", r.status)
	}
	eventually(t, "both alerts", func() bool {
		kinds := map[string]bool{}
		for _, a := range readJSONL[audit.Alert](t, filepath.Join(dir, "alerts.jsonl")) {
			if a.Principal == "demo-sales" {
				kinds[a.Kind] = true
			}
		}
		return kinds[audit.AlertBulkExport] && kinds["bulk_export_limit"]
	})
}

// Brute force: the CRM refusing an address again and again raises an
// alert, and past the bundle's limit Veil stops sending its requests on.
func TestBruteForceThroughVeil(t *testing.T) {
	dir := t.TempDir()
	var calls atomic.Int64
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`))
	}))
	t.Cleanup(crm.Close)
	bundle := bundleWith(t, func(cfg map[string]any) {
		cfg["limits"].(map[string]any)["ip_auth_failures"] = 5
		cfg["decision_cache"].(map[string]any)["stats_levels"].(map[string]any)["ip_auth_failures"] = []int{5}
	})
	h := start(t, withRules(bundle), withUpstream(crm.URL), withAuditFiles(dir), func(c *config.Config, _ *proxy.Options) { c.Watch.BruteForce.Failures = 3 })
	u := h.veil + "/services/data/v62.0/sobjects/Contact/003000000000001AAA"
	var res reply
	eventually(t, "the brute force limit", func() bool {
		res = do(t, "GET", u, "demo-sales", "")
		return res.status == 403
	})
	if !bytes.Contains(res.body, []byte("brute_force_limit")) || calls.Load() < 5 {
		t.Errorf("refusal after %d CRM calls: %s", calls.Load(), res.body)
	}
	eventually(t, "the brute force alert", func() bool {
		for _, a := range readJSONL[audit.Alert](t, filepath.Join(dir, "alerts.jsonl")) {
			if a.Kind == audit.AlertBruteForce && a.IP == "127.0.0.1" && a.Evidence["threshold"] == 3 {
				return true
			}
		}
		return false
	})
}

// The inventory learns from traffic which field carries which category,
// and shows names and counts, never values.
func TestInventoryThroughVeil(t *testing.T) {
	h := start(t)
	do(t, "GET", h.veil+"/services/data/v62.0/query?q="+url.QueryEscape("SELECT Id, Email, Phone FROM Contact LIMIT 3"), "demo-sales", "")
	res := do(t, "GET", h.admin+"/admin/inventory", "", "")
	if res.status != 200 {
		t.Fatalf("inventory: %d %s", res.status, res.body)
	}
	rep := decodeJSON[inventory.Report](t, res.body)
	found := false
	for _, e := range rep.Entries {
		if e.Route == "salesforce" && e.Object == "Contact" && e.Field == "Email" && e.Category == "email" && e.Count == 3 {
			found = true
		}
	}
	if !found {
		t.Errorf("no Contact.Email email entry: %s", res.body)
	}
	if bytes.Contains(res.body, []byte("@example.com")) {
		t.Error("the inventory holds a value")
	}
	table := do(t, "GET", h.admin+"/admin/inventory?format=table", "", "")
	if !bytes.Contains(table.body, []byte("Email")) {
		t.Errorf("table: %s", table.body)
	}
}
