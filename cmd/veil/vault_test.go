package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy/admin"
	"github.com/veil-proxy/veil/proxy/redistest"
	"github.com/veil-proxy/veil/proxy/vault"
)

func TestVaultKeygenWritesALoadableKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	var file bytes.Buffer
	for _, id := range []string{"k1", "k2"} {
		var out, errb bytes.Buffer
		if err := run(context.Background(), []string{"vault", "keygen", "--id", id}, &out, &errb); err != nil {
			t.Fatal(err, errb.String())
		}
		file.Write(out.Bytes())
	}
	writeFile(t, path, file.String())
	ring, err := vault.LoadKeysFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if ring.Active() != "k2" || strings.Join(ring.IDs(), ",") != "k1,k2" && strings.Join(ring.IDs(), ",") != "k2,k1" {
		t.Errorf("active %s, ids %v", ring.Active(), ring.IDs())
	}
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"vault", "keygen", "--id", "Bad Id"}, &out, &errb); err == nil {
		t.Errorf("a bad key id was accepted: %q", out.String())
	}
}

// veil vault forget erases from the Redis vault the config names, by token
// or by value (read from stdin), and records the erasure in the audit
// stream.
func TestVaultForget(t *testing.T) {
	ctx := context.Background()
	rs := redistest.Start(t)
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	k, err := vault.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, keys, vault.FormatKey(k)+"\n")
	cfg := filepath.Join(dir, "veil.yaml")
	writeFile(t, cfg, `
identity:
  principals: [{id: a, token: t, roles: [admin]}]
routes:
  - {name: sf, dialect: salesforce, prefix: /services/, upstream: "https://example.my.salesforce.com"}
redis:
  addrs: [`+rs.Addr()+`]
vault:
  backend: redis
  keys_file: `+keys+`
audit:
  spool_dir: `+filepath.Join(dir, "spool")+`
`)
	ring, err := vault.LoadKeysFile(keys)
	if err != nil {
		t.Fatal(err)
	}
	c := rs.Client(t)
	v := vault.NewRedis(ring, c, "")
	toks, err := v.Tokenize(ctx, []vault.Item{{Category: "us_ssn", Value: "219-09-9999"}, {Category: "email", Value: "jane@example.com"}})
	if err != nil {
		t.Fatal(err)
	}

	forget := func(stdin string, args ...string) (admin.ForgetResult, error) {
		var out, errb bytes.Buffer
		err := runVaultForget(ctx, append([]string{"-c", cfg}, args...), strings.NewReader(stdin), &out, &errb)
		var res admin.ForgetResult
		if err == nil {
			if jerr := json.Unmarshal(out.Bytes(), &res); jerr != nil {
				t.Fatalf("output %q: %v", out.String(), jerr)
			}
		}
		return res, err
	}
	if res, err := forget("", "--token", toks[0]); err != nil || res.Erased != 1 {
		t.Fatalf("by token: %+v %v", res, err)
	}
	if res, err := forget("jane@example.com\n", "--category", "email", "--value", "-"); err != nil || res.Erased != 1 {
		t.Fatalf("by value: %+v %v", res, err)
	}
	got, err := v.Detokenize(ctx, toks)
	if err != nil || got[0].Found || got[1].Found {
		t.Errorf("after forget: %+v %v", got, err)
	}
	msgs, err := c.XRange(ctx, "veil:audit", "-", "+").Result()
	if err != nil || len(msgs) != 2 {
		t.Fatalf("audit stream: %v %v", msgs, err)
	}
	for _, m := range msgs {
		if s := m.Values["event"].(string); !strings.Contains(s, `"actor":"cli"`) || !strings.Contains(s, `"hash":"`) || strings.Contains(s, "219-09") || strings.Contains(s, "jane@") {
			t.Errorf("audit record %s", s)
		}
	}
	// Each run is its own chain, and both hold: veil audit verify says so.
	var vout, verr bytes.Buffer
	if err := runAudit(ctx, []string{"verify", "-c", cfg}, &vout, &verr); err != nil || strings.Count(vout.String(), ": OK") != 2 {
		t.Errorf("audit verify: %v\n%s%s", err, vout.String(), verr.String())
	}

	// Usage errors.
	if _, err := forget("", "--token", toks[0], "--category", "email"); !errors.Is(err, errUsage) {
		t.Errorf("token and category: %v", err)
	}
	mem := filepath.Join(dir, "mem.yaml")
	writeFile(t, mem, "identity:\n  principals: [{id: a, token: t, roles: [admin]}]\nroutes:\n  - {name: sf, prefix: /services/, upstream: \"https://example.my.salesforce.com\"}\n")
	var out, errb bytes.Buffer
	if err := runVaultForget(ctx, []string{"-c", mem, "--token", toks[0]}, os.Stdin, &out, &errb); err == nil || !strings.Contains(err.Error(), "/admin/vault/forget") {
		t.Errorf("memory vault: %v", err)
	}
}
