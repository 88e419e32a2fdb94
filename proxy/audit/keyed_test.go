package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testChainKeys(t *testing.T, ids ...string) (*ChainKeys, string) {
	t.Helper()
	var lines []string
	for _, id := range ids {
		k, err := GenerateChainKey(id)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, FormatChainKey(k))
	}
	path := filepath.Join(t.TempDir(), "chain.key")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	kr, err := LoadChainKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	return kr, path
}

// A keyed splice is encoding/json's output of the whole record, key_id,
// hash and mac included, and the mac is the keyring's.
func TestChainKeyedSpliceIsMarshal(t *testing.T) {
	kr, _ := testChainKeys(t, "k1")
	key := kr.keys["k1"]
	e := Event{ID: "a", Kind: "decision", Instance: "host-1", Principal: `x","instance":"host-1`, KeyID: "k1", Categories: map[string]int{"b": 1}}
	body, _ := json.Marshal(e)
	got, h := splicer(body, instanceToken("host-1"), key)(5, "prev")
	e.Seq, e.PrevHash = 5, "prev"
	if c, _ := e.ComputeHash(); c != h {
		t.Fatalf("hash %s, recomputed %s", h, c)
	}
	e.Hash, e.Mac = h, kr.MAC("k1", h)
	want, _ := json.Marshal(e)
	if string(got) != string(want) {
		t.Fatalf("splice\n%s\nmarshal\n%s", got, want)
	}
	if hd, err := readHead(got); err != nil || hd != (spoolHead{"host-1", 5, h}) {
		t.Fatalf("readHead of a keyed record: %+v %v", hd, err)
	}
	// The fallback path (marshal under the lock) agrees.
	e.Hash, e.Mac = "", ""
	b, _ := json.Marshal(e)
	if fb := withMAC(withHash(b, h), kr.MAC("k1", h)); string(fb) != string(want) {
		t.Fatalf("withMAC\n%s\n%s", fb, want)
	}
}

func TestChainKeysParse(t *testing.T) {
	kr, _ := testChainKeys(t, "old", "new")
	if kr.Active() != "new" || !kr.Has("old") || kr.Has("x") || kr.MAC("x", "h") != "" {
		t.Fatalf("keyring: active %s", kr.Active())
	}
	for in, want := range map[string]string{
		"k1 abc\n":                              "not valid base64",
		"k1\n":                                  "got 1 fields",
		"k1 AAAA\n":                             "must be 32 bytes, not 3",
		"b@d " + strings.Repeat("A", 44) + "\n": "key id",
		"# only a comment\n":                    "no key",
	} {
		if _, err := ParseChainKeys(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
	k, _ := GenerateChainKey("k9")
	if s := strings.Join([]string{k.String(), func() string { b, _ := json.Marshal(struct{ K string }{k.ID}); return string(b) }()}, " "); strings.Contains(s, string(k.Secret)) {
		t.Fatal("a key printed its secret")
	}
}

// A Recorder with a chain key and a signing key: every record carries
// key_id and the mac, and the head file holds a signed checkpoint of the
// last record (every N records, after the interval, at Close).
func TestCheckpointHeadFile(t *testing.T) {
	dir := t.TempDir()
	kr, keyFile := testChainKeys(t, "k1")
	priv, pub, err := GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	signFile, pubFile := filepath.Join(dir, "s.key"), filepath.Join(dir, "s.pub")
	_ = os.WriteFile(signFile, priv, 0o600)
	_ = os.WriteFile(pubFile, pub, 0o644)
	pubs, err := LoadPublicKeys(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "audit.jsonl")
	r, err := Open(Options{File: file, Instance: "i-1", Sync: true, ChainKeyFile: keyFile, SigningKeyFile: signFile,
		CheckpointEvery: 3, CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var last Event
	for i := range 4 {
		if last, err = r.RecordSync(context.Background(), Event{Kind: KindDecision, Status: 200 + i}); err != nil {
			t.Fatal(err)
		}
	}
	if last.KeyID != "k1" || last.Mac != kr.MAC("k1", last.Hash) {
		t.Fatalf("event not keyed: key_id %q", last.KeyID)
	}
	head := func() Checkpoint {
		h, err := ReadHead(HeadPath(file))
		if err != nil || len(h.Checkpoints) != 1 {
			t.Fatalf("head: %v %+v", err, h)
		}
		if err := h.Checkpoints[0].Verify(pubs); err != nil {
			t.Fatal(err)
		}
		return h.Checkpoints[0]
	}
	if c := head(); c.Seq != 3 || c.Instance != "i-1" || c.Stream != "audit" { // every 3
		t.Fatalf("checkpoint after 4 records: %+v", c)
	}
	deadline := time.Now().Add(3 * time.Second)
	for head().Seq != 4 { // the interval covers the 4th
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint after the interval")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c := head(); c.Hash != last.Hash {
		t.Fatalf("checkpoint hash is not the last record's")
	}
	if _, err := r.RecordSync(context.Background(), Event{Kind: KindDecision}); err != nil {
		t.Fatal(err)
	}
	closeRecorder(t, r)
	if c := head(); c.Seq != 5 { // Close
		t.Fatalf("checkpoint at Close: %d", c.Seq)
	}
	// A forged checkpoint does not verify.
	c := head()
	c.Seq = 9
	if err := c.Verify(pubs); err == nil || !strings.Contains(err.Error(), "signature does not verify") {
		t.Fatalf("forged checkpoint: %v", err)
	}
	_, other, _ := ed25519.GenerateKey(nil)
	c = signCheckpoint(other, SigningKeyID(other.Public().(ed25519.PublicKey)), head())
	if err := c.Verify(pubs); err == nil || !strings.Contains(err.Error(), "not among the public keys") {
		t.Fatalf("checkpoint by another key: %v", err)
	}
}

func closeRecorder(t *testing.T, r *Recorder) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
