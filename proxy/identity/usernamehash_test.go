package identity

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy/config"
)

// hashKey is a 32-byte key made of b.
func hashKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// writeHashKey writes a username hash key file (audit.chain_key_file's
// format) with mode perm and returns its path.
func writeHashKey(t *testing.T, body string, perm os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "username-hash.key")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil {
		t.Fatal(err)
	}
	return p
}

func keyLine(id string, key []byte) string {
	return id + " " + base64.StdEncoding.EncodeToString(key) + "\n"
}

// TestUsernameHasher: keyed, the hash is the HMAC-SHA-256 of the same
// domain-separated ASCII case fold the unkeyed SHA-256 hashes; it differs
// from the unkeyed hash and between keys, and is stable for one key.
func TestUsernameHasher(t *testing.T) {
	unkeyed, err := NewUsernameHasher(nil)
	if err != nil {
		t.Fatal(err)
	}
	k1, err := NewUsernameHasher(hashKey(1))
	if err != nil {
		t.Fatal(err)
	}
	k2, err := NewUsernameHasher(hashKey(2))
	if err != nil {
		t.Fatal(err)
	}
	if unkeyed.Keyed() || (*UsernameHasher)(nil).Keyed() || !k1.Keyed() {
		t.Errorf("Keyed: unkeyed %v, nil %v, keyed %v", unkeyed.Keyed(), (*UsernameHasher)(nil).Keyed(), k1.Keyed())
	}
	const user = "Analyst@ACME.example"
	msg := "veil-username\x00analyst@acme.example"

	sum := sha256.Sum256([]byte(msg))
	if got := unkeyed.HashUsername(user); got != hex.EncodeToString(sum[:]) {
		t.Errorf("unkeyed: %s, want the SHA-256 as before", got)
	}
	if got := (*UsernameHasher)(nil).HashUsername(user); got != unkeyed.HashUsername(user) {
		t.Errorf("a nil hasher: %s, want the unkeyed hash", got)
	}
	m := hmac.New(sha256.New, hashKey(1))
	m.Write([]byte(msg))
	want := hex.EncodeToString(m.Sum(nil))
	if got := k1.HashUsername(user); got != want {
		t.Errorf("keyed: %s, want %s", got, want)
	}
	if k1.HashUsername(user) == unkeyed.HashUsername(user) {
		t.Error("the keyed hash is the unkeyed one")
	}
	if k1.HashUsername(user) == k2.HashUsername(user) {
		t.Error("two keys hash a username alike")
	}
	again, _ := NewUsernameHasher(hashKey(1))
	if again.HashUsername(user) != k1.HashUsername(user) {
		t.Error("one key hashes a username differently")
	}
	for _, h := range []*UsernameHasher{unkeyed, k1} {
		if h.HashUsername("analyst@acme.example") != h.HashUsername("ANALYST@Acme.Example") {
			t.Errorf("keyed %v: ASCII case is not folded", h.Keyed())
		}
		// Only ASCII letters fold: U+0130 is not an I.
		if h.HashUsername("analyst@acme.examplİ") == h.HashUsername("analyst@acme.examplI") {
			t.Errorf("keyed %v: a non-ASCII letter folded", h.Keyed())
		}
		if h.HashUsername("") != "" {
			t.Errorf("keyed %v: the empty username hashes to %q", h.Keyed(), h.HashUsername(""))
		}
		if got := h.HashUsername("other@acme.example"); got == h.HashUsername(user) || len(got) != 64 {
			t.Errorf("keyed %v: another username: %q", h.Keyed(), got)
		}
	}
	// The hasher keeps its own copy of the key.
	key := hashKey(3)
	k3, _ := NewUsernameHasher(key)
	before := k3.HashUsername(user)
	key[0] ^= 0xff
	if k3.HashUsername(user) != before {
		t.Error("changing the caller's key changed the hash")
	}
}

func TestUsernameHasherShortKey(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcde") // 31 bytes
	h, err := NewUsernameHasher(key)
	if err == nil || h != nil {
		t.Fatalf("a 31-byte key: %v, %v", h, err)
	}
	if strings.Contains(err.Error(), string(key)) {
		t.Errorf("the error quotes the key: %v", err)
	}
}

// TestResolverUsernameHashKey: New reads identity.username_hash_key_file
// and the login attempts' hashes are keyed with it (OAuth and SOAP); a key
// file that cannot be used is an error, never an unkeyed hash.
func TestResolverUsernameHashKey(t *testing.T) {
	base := config.Identity{Header: "Authorization", Principals: append(config.DemoPrincipals[:1:1],
		config.Principal{ID: "crm-sales", Roles: []string{"sales_rep"}, CRMUsers: []string{"Sales@Acme.example"}})}

	c := base
	c.UsernameHashKeyFile = writeHashKey(t, "# the username hash key\n"+keyLine("old", hashKey(9))+keyLine("uh1", hashKey(1)), 0o600)
	r, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	if !r.UsernameHasher().Keyed() {
		t.Fatal("a configured key is not used")
	}
	want, _ := NewUsernameHasher(hashKey(1)) // the last line is the key
	unkeyed, _ := New(base)
	if unkeyed.UsernameHasher().Keyed() {
		t.Error("no key file, yet keyed")
	}
	const form = "application/x-www-form-urlencoded"
	for _, user := range []string{"mallory@acme.example", "SALES@acme.example"} {
		a, _ := r.LoginAttempt(context.Background(), tokenRequest("grant_type=password&username="+user+"&password=pw", form))
		if a.UsernameHash != want.HashUsername(user) {
			t.Errorf("OAuth %s: %s, want the HMAC under the configured key", user, a.UsernameHash)
		}
		u, _ := unkeyed.LoginAttempt(context.Background(), tokenRequest("grant_type=password&username="+user+"&password=pw", form))
		if u.UsernameHash != (*UsernameHasher)(nil).HashUsername(user) || u.UsernameHash == a.UsernameHash {
			t.Errorf("OAuth %s without a key: %s", user, u.UsernameHash)
		}
		env, err := ReadSOAPEnvelope([]byte(jsforceLogin(user, "pw")))
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := r.SOAPLoginAttempt(env); s.UsernameHash != want.HashUsername(user) {
			t.Errorf("SOAP %s: %s, want the HMAC under the configured key", user, s.UsernameHash)
		}
	}

	short := hashKey(5)[:16]
	for name, path := range map[string]string{
		"missing":         filepath.Join(t.TempDir(), "nope.key"),
		"short":           writeHashKey(t, keyLine("uh1", short), 0o600),
		"world-readable":  writeHashKey(t, keyLine("uh1", hashKey(5)), 0o644),
		"not base64":      writeHashKey(t, "uh1 %%%%\n", 0o600),
		"no key line":     writeHashKey(t, "# nothing\n\n", 0o600),
		"a bare secret":   writeHashKey(t, base64.StdEncoding.EncodeToString(hashKey(5))+"\n", 0o600),
		"a directory":     t.TempDir(),
		"one short line":  writeHashKey(t, keyLine("uh1", hashKey(5))+keyLine("uh2", short), 0o600),
		"an invalid id":   writeHashKey(t, keyLine("u/h", hashKey(5)), 0o600),
		"three fields":    writeHashKey(t, "uh1 "+base64.StdEncoding.EncodeToString(hashKey(5))+" x\n", 0o600),
		"swapped fields":  writeHashKey(t, base64.StdEncoding.EncodeToString(hashKey(5))+" uh1\n", 0o600),
		"a raw 32 bytes":  writeHashKey(t, string(hashKey('k')), 0o600),
		"an empty file":   writeHashKey(t, "", 0o600),
		"a blank id line": writeHashKey(t, "  \n", 0o600),
	} {
		c := base
		c.UsernameHashKeyFile = path
		r, err := New(c)
		if err == nil || r != nil {
			t.Errorf("%s: New succeeded", name)
			continue
		}
		msg := err.Error()
		for _, secret := range [][]byte{short, hashKey(5), hashKey('k')} {
			if strings.Contains(msg, base64.StdEncoding.EncodeToString(secret)) || strings.Contains(msg, string(secret)) {
				t.Errorf("%s: the error quotes the key: %s", name, msg)
			}
		}
		if !strings.Contains(msg, "identity.username_hash_key_file") {
			t.Errorf("%s: the error does not name the setting: %s", name, msg)
		}
	}
}
