package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/redistest"
)

// auditKeys makes the keys with the real `veil audit keygen`.
type auditKeys struct{ dir, chain, sign, pub string }

func keygen(t *testing.T) auditKeys {
	t.Helper()
	dir := t.TempDir()
	var out, errb strings.Builder
	if err := runAudit(context.Background(), []string{"keygen", "--out", dir, "--id", "k1"}, &out, &errb); err != nil {
		t.Fatalf("keygen: %v %s", err, errb.String())
	}
	k := auditKeys{dir, filepath.Join(dir, "audit-chain.key"), filepath.Join(dir, "audit-signing.key"), filepath.Join(dir, "audit-signing.pub")}
	for _, f := range []string{k.chain, k.sign} {
		if st, err := os.Stat(f); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, st, err)
		}
	}
	if err := runAudit(context.Background(), []string{"keygen", "--out", dir}, &out, &errb); err == nil {
		t.Fatal("keygen replaced existing keys without --force")
	}
	return k
}

// keyedTrail records n events of instance i-1 to a file, keyed and
// checkpointed (at Close), and returns the file.
func keyedTrail(t *testing.T, k auditKeys, n int) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	recordTo(t, audit.Options{File: file, Instance: "i-1", ChainKeyFile: k.chain, SigningKeyFile: k.sign}, n)
	return file
}

func readEvents(t *testing.T, file string) []audit.Event {
	t.Helper()
	var es []audit.Event
	if err := audit.ReadFile(file, func(e audit.Event) error { es = append(es, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return es
}

// forge writes es to file as an attacker with write access to it would:
// renumbered from 1 and the plain chain recomputed; macs kept as they
// were (no key), or made with a guessed key.
func forge(t *testing.T, file string, es []audit.Event, recompute bool, guessed *audit.ChainKeys) {
	t.Helper()
	var b []byte
	prev := ""
	for i, e := range es {
		if recompute {
			e.Seq, e.PrevHash = uint64(i+1), prev
			if guessed != nil {
				e.KeyID = guessed.Active()
			}
			e.Hash, _ = e.ComputeHash()
			if guessed != nil {
				e.Mac = guessed.MAC(guessed.Active(), e.Hash)
			}
			prev = e.Hash
		}
		line, _ := json.Marshal(e)
		b = append(append(b, line...), '\n')
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func copyTrail(t *testing.T, file string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "audit.jsonl")
	for _, p := range [][2]string{{file, dst}, {audit.HeadPath(file), audit.HeadPath(dst)}} {
		b, err := os.ReadFile(p[0])
		if err != nil {
			t.Fatal(err)
		}
		_ = os.WriteFile(p[1], b, 0o600)
	}
	return dst
}

func wantFailed(t *testing.T, what, want string, args ...string) {
	t.Helper()
	out, err := verify(args...)
	if !errors.Is(err, errFailed) || !strings.Contains(out, want) {
		t.Errorf("%s: want exit 1 and %q, got %v\n%s", what, want, err, out)
	}
	if strings.Contains(out, `"principal"`) || strings.Contains(out, "u-1") {
		t.Errorf("%s: the report quotes a record's content:\n%s", what, out)
	}
}

func TestAuditVerifyKeyedCheckpointed(t *testing.T) {
	k := keygen(t)
	file := keyedTrail(t, k, 6)
	es := readEvents(t, file)
	if len(es) != 6 || es[0].KeyID != "k1" || es[5].Mac == "" {
		t.Fatalf("records not keyed: %d, key_id %q", len(es), es[0].KeyID)
	}

	// Clean: OK with the key and the public key, with the public key
	// only, and with the key only.
	for _, args := range [][]string{
		{"--file", file, "--key", k.chain, "--pub", k.pub},
		{"--file", file, "--pub", k.pub},
		{"--file", file, "--key", k.dir}, // keygen's directory as a keyring: its PEM files are skipped
	} {
		out, err := verify(args...)
		if err != nil || !strings.Contains(out, "instance i-1: 6 records, seq 1..6: OK") || strings.Contains(out, "unverified tail") {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	out, _ := verify("--file", file, "--key", k.chain, "--pub", k.pub, "--strict")
	if !strings.Contains(out, "(6 macs checked, checkpoint at seq 6)") {
		t.Fatalf("strict clean: %s", out)
	}
	t.Setenv(audit.ChainKeyEnv, mustRead(t, k.chain))
	if out, err := verify("--file", file, "--pub", k.pub); err != nil || !strings.Contains(out, "6 macs checked") {
		t.Fatalf("key from $%s: %v\n%s", audit.ChainKeyEnv, err, out)
	}
	t.Setenv(audit.ChainKeyEnv, "")

	full := []string{"--key", k.chain, "--pub", k.pub}
	pubOnly := []string{"--pub", k.pub}
	run := func(f string, extra []string) []string { return append([]string{"--file", f}, extra...) }

	// Drop a middle event and recompute the plain chain (the attacker
	// has no key): the key sees the macs, the public key the checkpoint.
	f := copyTrail(t, file)
	forge(t, f, append(append([]audit.Event{}, es[:2]...), es[3:]...), true, nil)
	wantFailed(t, "middle deleted, recomputed (key)", "BROKEN at seq 3 (line 3): mac does not match", run(f, full)...)
	wantFailed(t, "middle deleted, recomputed (public key)", "ends at seq 5, before the checkpoint's seq 6: 1 records cut from the tail", run(f, pubOnly)...)
	// ... and pad it back to 6 records: the checkpoint's hash differs.
	padded := append(append([]audit.Event{}, es[:2]...), es[3:]...)
	padded = append(padded, es[5])
	forge(t, f, padded, true, nil)
	wantFailed(t, "middle deleted, recomputed, padded (public key)", "does not match the signed checkpoint: the chain was rewritten", run(f, pubOnly)...)

	// Drop a middle event, no recomputation.
	f = copyTrail(t, file)
	forge(t, f, append(append([]audit.Event{}, es[:2]...), es[3:]...), false, nil)
	wantFailed(t, "middle deleted", "seq 4 after seq 2: 1 missing (deleted)", run(f, pubOnly)...)

	// Reorder; reorder and recompute.
	f = copyTrail(t, file)
	swapped := append([]audit.Event{}, es...)
	swapped[2], swapped[3] = swapped[3], swapped[2]
	forge(t, f, swapped, false, nil)
	wantFailed(t, "reordered", "BROKEN at seq 4 (line 3)", run(f, pubOnly)...)
	forge(t, f, swapped, true, nil)
	wantFailed(t, "reordered, recomputed (key)", "BROKEN at seq 3 (line 3): mac does not match", run(f, full)...)
	wantFailed(t, "reordered, recomputed (public key)", "does not match the signed checkpoint", run(f, pubOnly)...)

	// Recompute with a guessed key: same key id, or the attacker's own.
	f = copyTrail(t, file)
	guess, err := audit.ParseChainKeys(strings.NewReader(fakeKeyLine(t, "k1")))
	if err != nil {
		t.Fatal(err)
	}
	forge(t, f, append(append([]audit.Event{}, es[:2]...), es[3:]...), true, guess)
	wantFailed(t, "guessed key", "BROKEN at seq 1 (line 1): mac does not match", run(f, full)...)
	own, _ := audit.ParseChainKeys(strings.NewReader(fakeKeyLine(t, "evil")))
	forge(t, f, es, true, own)
	wantFailed(t, "attacker's key", `keyed with key_id "evil", which the keyring lacks`, run(f, full)...)
	wantFailed(t, "attacker's key (public key)", "does not match the signed checkpoint", run(f, pubOnly)...)

	// Strip the macs (a downgrade to a keyless chain).
	f = copyTrail(t, file)
	stripped := append([]audit.Event{}, es...)
	for i := range stripped {
		stripped[i].KeyID, stripped[i].Mac = "", ""
	}
	forge(t, f, stripped, true, nil)
	wantFailed(t, "macs stripped", "no mac: the record is not keyed", run(f, full)...)

	// Truncate the tail; cut the head; empty the file.
	f = copyTrail(t, file)
	forge(t, f, es[:4], false, nil)
	wantFailed(t, "tail cut", "the chain ends at seq 4, before the checkpoint's seq 6: 2 records cut from the tail", run(f, pubOnly)...)
	wantFailed(t, "tail cut (key)", "2 records cut from the tail", run(f, full)...)
	forge(t, f, es[2:], false, nil)
	wantFailed(t, "head cut", "records before seq 3 are missing", run(f, pubOnly)...)
	_ = os.WriteFile(f, nil, 0o600)
	wantFailed(t, "emptied", "instance i-1: 0 records, seq 0..0: BROKEN at seq 6 (checkpoint): no records at all", run(f, pubOnly)...)
	// ... and the head file removed too: the public key expects one.
	_ = os.Remove(audit.HeadPath(f))
	wantFailed(t, "emptied, head removed", "NO CHECKPOINT", run(f, pubOnly)...)

	// A forged head file (a later seq, or a rolled-back one re-signed by
	// the attacker's key) does not verify.
	f = copyTrail(t, file)
	h, _ := audit.ReadHead(audit.HeadPath(f))
	h.Checkpoints[0].Seq = 4
	hb, _ := json.Marshal(h)
	_ = os.WriteFile(audit.HeadPath(f), hb, 0o600)
	wantFailed(t, "head forged", "checkpoint at seq 4 (head file "+audit.HeadPath(f)+"): BAD: signature does not verify", run(f, pubOnly)...)
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func fakeKeyLine(t *testing.T, id string) string {
	t.Helper()
	k, err := audit.GenerateChainKey(id)
	if err != nil {
		t.Fatal(err)
	}
	return audit.FormatChainKey(k)
}

// Records after the last checkpoint are a warning (exit 0), an error
// with --strict.
func TestAuditVerifyUnverifiedTail(t *testing.T) {
	k := keygen(t)
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	r, err := audit.Open(audit.Options{File: file, Instance: "i-1", Sync: true, ChainKeyFile: k.chain, SigningKeyFile: k.sign,
		CheckpointEvery: 2, CheckpointInterval: time.Hour, SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if err := r.Record(audit.Event{Kind: audit.KindDecision, Outcome: audit.OutcomeAllowed}); err != nil {
			t.Fatal(err)
		}
	}
	early := mustRead(t, audit.HeadPath(file)) // the checkpoint at seq 4
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(audit.HeadPath(file), []byte(early), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := verify("--file", file, "--key", k.chain, "--pub", k.pub)
	if err != nil || !strings.Contains(out, "checkpoint at seq 4)") || !strings.Contains(out, "instance i-1: warning: unverified tail: 1 events after the last checkpoint") {
		t.Fatalf("%v\n%s", err, out)
	}
	wantFailed(t, "strict", "unverified tail: 1 events", "--file", file, "--key", k.chain, "--pub", k.pub, "--strict")
}

// Rotation: a second run keys with a new chain key (appended to the key
// file) and signs with a new signing key; a keyring holding both verifies
// both runs, one holding only the new key says which key is missing.
func TestAuditVerifyRotation(t *testing.T) {
	k := keygen(t)
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	recordTo(t, audit.Options{File: file, Instance: "i-1", ChainKeyFile: k.chain, SigningKeyFile: k.sign}, 3)

	k2 := keygen(t) // new signing key; its chain key id is k1 too: make a k2 line
	line2 := fakeKeyLine(t, "k2")
	keyring := filepath.Join(t.TempDir(), "chain.keys")
	writeFile(t, keyring, mustRead(t, k.chain)+line2+"\n") // old line, then the new active one
	recordTo(t, audit.Options{File: file, Instance: "i-2", ChainKeyFile: keyring, SigningKeyFile: k2.sign}, 2)
	es := readEvents(t, file)
	if es[0].KeyID != "k1" || es[len(es)-1].KeyID != "k2" {
		t.Fatalf("key ids %q, %q", es[0].KeyID, es[len(es)-1].KeyID)
	}
	pubs := filepath.Join(t.TempDir(), "pubs.pem")
	writeFile(t, pubs, mustRead(t, k.pub)+mustRead(t, k2.pub))
	out, err := verify("--file", file, "--key", keyring, "--pub", pubs, "--strict")
	if err != nil || !strings.Contains(out, "instance i-1: 3 records, seq 1..3: OK (3 macs checked, checkpoint at seq 3)") ||
		!strings.Contains(out, "instance i-2: 2 records, seq 1..2: OK (2 macs checked, checkpoint at seq 2)") {
		t.Fatalf("%v\n%s", err, out)
	}
	// A keyring directory: one file per key.
	kdir := t.TempDir()
	writeFile(t, filepath.Join(kdir, "1-old.key"), mustRead(t, k.chain))
	writeFile(t, filepath.Join(kdir, "2-new.key"), line2+"\n")
	if out, err := verify("--file", file, "--key", kdir, "--pub", pubs); err != nil || strings.Count(out, "macs checked") != 2 {
		t.Fatalf("keyring dir: %v\n%s", err, out)
	}
	// Without the old key, or the old public key.
	wantFailed(t, "old key gone", `instance i-1: 3 records, seq 1..0: BROKEN at seq 1 (line 1): keyed with key_id "k1", which the keyring lacks`, "--file", file, "--key", filepath.Join(kdir, "2-new.key"), "--pub", pubs)
	wantFailed(t, "old public key gone", "instance i-1: checkpoint at seq 3", "--file", file, "--key", keyring, "--pub", k2.pub)
}

// With Redis the checkpoint goes beside the writer marker; verify -c
// reads the keys from the config and the checkpoints from Redis.
func TestAuditVerifyRedisCheckpoint(t *testing.T) {
	rs := redistest.Start(t)
	c := rs.Client(t)
	k := keygen(t)
	recordTo(t, audit.Options{Redis: c, Instance: "r-1", ChainKeyFile: k.chain, SigningKeyFile: k.sign}, 4)
	raw, err := c.Get(t.Context(), audit.CheckpointKey("veil:audit", "r-1")).Result()
	if err != nil {
		t.Fatal(err)
	}
	var cp audit.Checkpoint
	pubs, _ := audit.LoadPublicKeys(k.pub)
	if err := json.Unmarshal([]byte(raw), &cp); err != nil || cp.Seq != 4 || cp.Verify(pubs) != nil {
		t.Fatalf("checkpoint in redis: %v %+v", err, cp)
	}
	if ttl := c.TTL(t.Context(), audit.CheckpointKey("veil:audit", "r-1")).Val(); ttl <= 0 {
		t.Fatalf("checkpoint ttl %v", ttl)
	}
	cfg := filepath.Join(t.TempDir(), "veil.yaml")
	writeFile(t, cfg, `
identity:
  principals: [{id: a, token: t, roles: [admin]}]
routes:
  - {name: sf, dialect: salesforce, prefix: /services/, upstream: "https://example.my.salesforce.com"}
redis:
  addrs: [`+rs.Addr()+`]
audit:
  chain_key_file: `+k.chain+`
  signing_key_file: `+k.sign+`
  checkpoint: {every: 100, interval: 5s}
`)
	out, err := verify("-c", cfg, "--strict")
	if err != nil || !strings.Contains(out, "veil:audit: instance r-1: 4 records, seq 1..4: OK (4 macs checked, checkpoint at seq 4)") {
		t.Fatalf("%v\n%s", err, out)
	}
	if out, err := verify("-c", cfg, "--alerts"); err != nil || !strings.Contains(out, "instance r-1: 1 records, seq 1..1: OK (1 macs checked, checkpoint at seq 1)") {
		t.Fatalf("alerts: %v\n%s", err, out)
	}
	// Cut the tail of the stream, then empty it.
	msgs, _ := c.XRange(t.Context(), "veil:audit", "-", "+").Result()
	c.XDel(t.Context(), "veil:audit", msgs[3].ID)
	wantFailed(t, "redis tail cut", "the chain ends at seq 3, before the checkpoint's seq 4: 1 records cut from the tail", "-c", cfg)
	c.Del(t.Context(), "veil:audit")
	wantFailed(t, "redis emptied", "no records at all, but a signed checkpoint says seq 1..4 existed", "-c", cfg)
	// The checkpoints deleted too: the public key expects one.
	c.Del(t.Context(), audit.CheckpointKey("veil:audit", "r-1"))
	wantFailed(t, "redis checkpoints gone", "veil:audit: NO CHECKPOINT (redis)", "-c", cfg)
}
