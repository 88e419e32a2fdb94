package proxy_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/redistest"
	"github.com/veil-proxy/veil/proxy/vault"
)

// keyFile writes a vault key file holding keys (the last one active).
func keyFile(t *testing.T, keys ...vault.Key) string {
	t.Helper()
	var b bytes.Buffer
	for _, k := range keys {
		b.WriteString(vault.FormatKey(k) + "\n")
	}
	path := filepath.Join(t.TempDir(), "vault.keys")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func newKey(t *testing.T, id string) vault.Key {
	t.Helper()
	k, err := vault.GenerateKey(id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// withRedisVault points the vault at a shared Redis with the keys in
// keysFile, and the fake CRM at crm (so that replicas share one CRM).
func withRedisVault(addr, keysFile, crm string) harnessOption {
	return func(c *config.Config, _ *proxy.Options) {
		c.Redis.Addrs = []string{addr}
		c.Vault = config.Vault{Backend: config.VaultRedis, KeysFile: keysFile}
		for i := range c.Routes {
			if crm != "" {
				c.Routes[i].Upstream = crm
			}
		}
	}
}

// Two replicas sharing one Redis and one key file write the same token
// for the same value and read each other's; an erasure through one is
// seen by the other; a replica with a rotated key ring still reads the old
// tokens and writes new ones under the new key.
func TestReplicasShareTheRedisVault(t *testing.T) {
	rs := redistest.Start(t)
	k1 := newKey(t, "k1")
	keys := keyFile(t, k1)
	crm := startCRM(t) // one fake CRM behind every replica
	a := start(t, withRedisVault(rs.Addr(), keys, crm))
	b := start(t, withRedisVault(rs.Addr(), keys, crm))
	id := firstContactID(t, a)
	path := "/services/data/v62.0/sobjects/Contact/" + id

	for _, h := range []*harness{a, b} {
		if w := do(t, "PATCH", h.veil+path, "demo-sales", `{"SSN__c":"219-09-9999"}`); w.status != 204 {
			t.Fatalf("write: %d %s", w.status, w.body)
		}
	}
	// Both writes stored the same token (the second overwrote the first
	// with itself).
	stored := tokensIn(do(t, "GET", crm+path, "crm-token", "").body)
	if len(stored) != 1 {
		t.Fatalf("tokens in the CRM: %q", stored)
	}
	token := stored[0]
	if w := do(t, "PATCH", a.veil+path, "demo-sales", `{"Description":"SSN 219-09-9999"}`); w.status != 204 {
		t.Fatalf("write: %d %s", w.status, w.body)
	}
	if got := tokensIn(do(t, "GET", crm+path, "crm-token", "").body); len(got) != 2 || got[0] != token || got[1] != token {
		t.Fatalf("replica a tokenized the same SSN as %q, b as %q", got, token)
	}
	if r := do(t, "GET", b.veil+path, "demo-admin", ""); !bytes.Contains(r.body, []byte(`"SSN__c":"219-09-9999"`)) {
		t.Errorf("replica b reading a's token: %d %s", r.status, r.body)
	}

	// Rotation: k2 appended and active.
	rotated := start(t, withRedisVault(rs.Addr(), keyFile(t, k1, newKey(t, "k2")), crm))
	if r := do(t, "GET", rotated.veil+path, "demo-admin", ""); !bytes.Contains(r.body, []byte(`"SSN__c":"219-09-9999"`)) {
		t.Errorf("after rotation the old token: %d %s", r.status, r.body)
	}
	if w := do(t, "PATCH", rotated.veil+path, "demo-sales", `{"SSN__c":"219-09-9999"}`); w.status != 204 {
		t.Fatalf("write: %d %s", w.status, w.body)
	}
	newTok := tokensIn(do(t, "GET", crm+path, "crm-token", "").body)
	// Description (the old token) comes before SSN__c (the new one).
	if len(newTok) != 2 || newTok[0] != token || newTok[1] == token {
		t.Fatalf("the rotated ring wrote %q, the old token was %q", newTok, token)
	}

	// Erasure by value through a replica holding both keys: every key
	// generation's token goes.
	res := do(t, "POST", rotated.admin+"/admin/vault/forget", "", `{"category":"us_ssn","value":"219-09-9999"}`)
	if res.status != 200 || !bytes.Contains(res.body, []byte(`"erased": 2`)) {
		t.Fatalf("forget: %d %s", res.status, res.body)
	}
	// Description holds the k1 token, SSN__c the k2 one, which a and b
	// (without k2) never knew.
	for _, h := range []*harness{a, b, rotated} {
		ssn := `"SSN__c":"[REDACTED:erased]"`
		if h != rotated {
			ssn = `"SSN__c":"[REDACTED:veil_token]"`
		}
		r := do(t, "GET", h.veil+path, "demo-admin", "")
		if bytes.Contains(r.body, []byte("219-09-9999")) || !bytes.Contains(r.body, []byte(ssn)) ||
			!bytes.Contains(r.body, []byte(`"Description":"SSN [REDACTED:erased]"`)) {
			t.Errorf("after erasure: %d %s", r.status, r.body)
		}
	}
}

// Redis down: a write the policy tokenizes is refused with a CRM-shaped
// 503, nothing reaches the CRM; a read that needs detokenization returns
// the token masked. Redis back: both work again.
func TestRedisDownFailsClosed(t *testing.T) {
	rs := redistest.Start(t)
	keys := keyFile(t, newKey(t, "k1"))
	h := start(t, withRedisVault(rs.Addr(), keys, ""))
	id := firstContactID(t, h)
	path := "/services/data/v62.0/sobjects/Contact/" + id
	if w := do(t, "PATCH", h.veil+path, "demo-sales", `{"SSN__c":"219-09-9999"}`); w.status != 204 {
		t.Fatalf("write: %d %s", w.status, w.body)
	}
	before := do(t, "GET", h.crm+path, "crm-token", "").body

	rs.Stop()
	w := do(t, "PATCH", h.veil+path, "demo-sales", `{"SSN__c":"078-05-1120"}`)
	if w.status != 503 || !bytes.Contains(w.body, []byte(`"errorCode":"vault_unavailable"`)) || bytes.Contains(w.body, []byte("078-05")) {
		t.Errorf("write with Redis down: %d %s", w.status, w.body)
	}
	if after := do(t, "GET", h.crm+path, "crm-token", "").body; !bytes.Equal(before, after) {
		t.Errorf("the refused write changed the CRM:\n%s\n%s", before, after)
	}
	r := do(t, "GET", h.veil+path, "demo-admin", "")
	if r.status != 200 || bytes.Contains(r.body, []byte("219-09-9999")) || !bytes.Contains(r.body, []byte(`"SSN__c":"**.********"`)) {
		t.Errorf("read with Redis down: %d %s", r.status, r.body)
	}

	// The test's Redis keeps nothing across a restart: write again.
	rs.Restart()
	if w := do(t, "PATCH", h.veil+path, "demo-sales", `{"SSN__c":"078-05-1120"}`); w.status != 204 {
		t.Fatalf("write after Redis returned: %d %s", w.status, w.body)
	}
	if r := do(t, "GET", h.veil+path, "demo-admin", ""); !bytes.Contains(r.body, []byte(`"SSN__c":"078-05-1120"`)) {
		t.Errorf("read after Redis returned: %d %s", r.status, r.body)
	}
}
