package proxy_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/admin"
	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
)

func withAuditFile(path string) harnessOption {
	return func(c *config.Config, _ *proxy.Options) { c.Audit.File = path }
}

// tokensIn lists the Veil tokens in b.
func tokensIn(b []byte) []string {
	var out []string
	for _, f := range detectors.NewScanner(detectors.Default()).Scan(nil, b, detectors.Field{}) {
		if f.Category == detectors.CategoryVeilToken {
			out = append(out, string(b[f.Start:f.End]))
		}
	}
	return out
}

// The default policy end to end: an SSN written by a sales rep reaches
// the CRM as a token; an admin with MFA reads it back, a sales rep reads
// the token; once forgotten through the admin API it reads as erased
// everywhere, and the erasure is in the audit file.
func TestTokenizeDetokenizeForgetThroughVeil(t *testing.T) {
	auditFile := filepath.Join(t.TempDir(), "audit.jsonl")
	h := start(t, withAuditFile(auditFile))
	id := firstContactID(t, h)
	url := h.veil + "/services/data/v62.0/sobjects/Contact/" + id

	w := do(t, "PATCH", url, "demo-sales", `{"SSN__c":"219-09-9999","Description":"customer gave SSN 219-09-9999 on the phone"}`)
	if w.status != 204 {
		t.Fatalf("write: %d %s", w.status, w.body)
	}
	stored := do(t, "GET", h.crm+"/services/data/v62.0/sobjects/Contact/"+id, "crm-token", "")
	if bytes.Contains(stored.body, []byte("219-09-9999")) {
		t.Fatalf("the SSN reached the CRM in the clear: %s", stored.body)
	}
	toks := tokensIn(stored.body)
	if len(toks) < 2 || toks[0] != toks[1] {
		t.Fatalf("want the same token twice in the CRM, got %q", toks)
	}
	token := toks[0]

	byAdmin := do(t, "GET", url, "demo-admin", "")
	if !bytes.Contains(byAdmin.body, []byte(`"SSN__c":"219-09-9999"`)) || bytes.Contains(byAdmin.body, []byte(token)) {
		t.Errorf("admin with MFA: %d %s", byAdmin.status, byAdmin.body)
	}
	sales := do(t, "GET", url, "demo-sales", "")
	if bytes.Contains(sales.body, []byte("219-09-9999")) || !bytes.Contains(sales.body, []byte(token)) {
		t.Errorf("sales rep: %d %s", sales.status, sales.body)
	}

	res := do(t, "POST", h.admin+"/admin/vault/forget", "", `{"token":"`+token+`"}`)
	var fr admin.ForgetResult
	if err := json.Unmarshal(res.body, &fr); res.status != 200 || err != nil || fr.Erased != 1 || fr.EventID == "" {
		t.Fatalf("forget: %d %s", res.status, res.body)
	}
	byAdmin = do(t, "GET", url, "demo-admin", "")
	if byAdmin.status != 200 || !bytes.Contains(byAdmin.body, []byte(`"SSN__c":"[REDACTED:erased]"`)) || bytes.Contains(byAdmin.body, []byte("219-09-9999")) {
		t.Errorf("admin after erasure: %d %s", byAdmin.status, byAdmin.body)
	}

	// The data subject comes back: the same SSN written again gets a new
	// token, and the old token's copies stay erased.
	other := do(t, "POST", h.veil+"/services/data/v62.0/sobjects/Contact", "demo-sales", `{"LastName":"Doe","SSN__c":"219-09-9999"}`)
	if other.status != 201 {
		t.Fatalf("create again: %d %s", other.status, other.body)
	}
	otherID, _ := decodeJSON[map[string]any](t, other.body)["id"].(string)
	again := tokensIn(do(t, "GET", h.crm+"/services/data/v62.0/sobjects/Contact/"+otherID, "crm-token", "").body)
	if len(again) != 1 || again[0] == token {
		t.Fatalf("tokenized again after erasure: %q, erased token %s", again, token)
	}
	if r := do(t, "GET", h.veil+"/services/data/v62.0/sobjects/Contact/"+otherID, "demo-admin", ""); !bytes.Contains(r.body, []byte(`"SSN__c":"219-09-9999"`)) {
		t.Errorf("admin reads the new token: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", url, "demo-admin", ""); !bytes.Contains(r.body, []byte(`"SSN__c":"[REDACTED:erased]"`)) {
		t.Errorf("the old token reads again after the value came back: %d %s", r.status, r.body)
	}

	f, err := os.Open(auditFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var events []audit.Event
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e audit.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		if e.Kind == audit.KindVaultErasure { // decision events share the file
			events = append(events, e)
		}
	}
	if len(events) != 1 || events[0].Seq == 0 || events[0].Hash == "" || events[0].Kind != audit.KindVaultErasure || events[0].Token != token || events[0].Erased != 1 ||
		events[0].ID != fr.EventID || !strings.HasPrefix(events[0].Actor, "admin_api from 127.0.0.1") {
		t.Errorf("audit records: %+v", events)
	}
	raw, _ := os.ReadFile(auditFile)
	if bytes.Contains(raw, []byte("219-09-9999")) {
		t.Error("the audit record holds the value")
	}

	// Malformed requests change nothing.
	for _, body := range []string{`{}`, `{"token":"x","value":"y"}`, `{"value":"219-09-9999"}`, `not json`, `{"token":"x","extra":1}`} {
		if res := do(t, "POST", h.admin+"/admin/vault/forget", "", body); res.status != 400 || bytes.Contains(res.body, []byte("219")) {
			t.Errorf("forget %s: %d %s", body, res.status, res.body)
		}
	}
}
