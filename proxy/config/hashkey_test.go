package config

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hashKeyConfig is a valid config whose identity section sets
// username_hash_key_file to path.
func hashKeyConfig(path string) string {
	return "identity:\n  username_hash_key_file: " + path + "\n  principals: [{id: a, token: t, roles: [admin]}]\n" +
		"routes:\n  - {name: sf, prefix: /services/, upstream: \"https://x.my.salesforce.com\"}\n"
}

func TestUsernameHashKeyFile(t *testing.T) {
	dir := t.TempDir()
	key := bytes.Repeat([]byte{0x5a}, 32)
	line := "uh1 " + base64.StdEncoding.EncodeToString(key) + "\n"
	good := writeSecret(t, dir, "good.key", "# username hash\n"+line, 0o600)
	c, err := Parse([]byte(hashKeyConfig(good)))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Identity.UsernameHashKey(); err != nil || !bytes.Equal(got, key) {
		t.Errorf("the key: %x, %v", got, err)
	}
	if got, err := (Identity{}).UsernameHashKey(); got != nil || err != nil {
		t.Errorf("no setting: %x, %v; want nil, nil", got, err)
	}
	// Longer than 32 bytes is fine; the last line is the key.
	long := bytes.Repeat([]byte{7}, 48)
	two := writeSecret(t, dir, "two.key", line+"uh2 "+base64.StdEncoding.EncodeToString(long)+"\n", 0o640)
	if got, err := (Identity{UsernameHashKeyFile: two}).UsernameHashKey(); err != nil || !bytes.Equal(got, long) {
		t.Errorf("two lines: %x, %v; want the last", got, err)
	}

	short := bytes.Repeat([]byte{0x33}, 31)
	for name, c := range map[string]struct {
		path, want string
	}{
		"missing":        {filepath.Join(dir, "missing.key"), "no such file"},
		"short":          {writeSecret(t, dir, "short.key", "uh1 "+base64.StdEncoding.EncodeToString(short)+"\n", 0o600), "line 1: the secret is 31 bytes, shorter than 32"},
		"world-readable": {writeSecret(t, dir, "open.key", line, 0o644), "lets other users read"},
		"not base64":     {writeSecret(t, dir, "b64.key", "uh1 not-base64!\n", 0o600), "line 1: the secret is not valid base64"},
		"bare secret":    {writeSecret(t, dir, "bare.key", base64.StdEncoding.EncodeToString(key)+"\n", 0o600), `want "<id> <base64 secret>"`},
		"swapped fields": {writeSecret(t, dir, "swapped.key", base64.StdEncoding.EncodeToString(key)+" uh1\n", 0o600), "the key id must be"},
		"empty":          {writeSecret(t, dir, "empty.key", "# no key\n", 0o600), "no key line"},
		"directory":      {dir, "not a regular file"},
	} {
		_, err := Parse([]byte(hashKeyConfig(c.path)))
		var p Problems
		if !errors.As(err, &p) || len(p) != 1 {
			t.Errorf("%s: %v, want one problem", name, err)
			continue
		}
		if !strings.HasPrefix(p[0], "identity.username_hash_key_file") || !strings.Contains(p[0], c.want) {
			t.Errorf("%s: %q, want identity.username_hash_key_file ... %q", name, p[0], c.want)
		}
		for _, secret := range [][]byte{key, short} {
			if strings.Contains(p[0], base64.StdEncoding.EncodeToString(secret)) || strings.Contains(p[0], string(secret)) {
				t.Errorf("%s: the problem quotes the key: %s", name, p[0])
			}
		}
	}
}

// TestUsernameHashKeyFileRelative: the path is relative to the config
// file, as every other file of the config is.
func TestUsernameHashKeyFileRelative(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "identity"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeSecret(t, filepath.Join(dir, "identity"), "username-hash.key", "uh1 "+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))+"\n", 0o600)
	cfg := writeSecret(t, dir, "veil.yaml", hashKeyConfig("identity/username-hash.key"), 0o600)
	c, err := Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "identity", "username-hash.key"); c.Identity.UsernameHashKeyFile != want {
		t.Errorf("username_hash_key_file = %s, want %s", c.Identity.UsernameHashKeyFile, want)
	}
}
