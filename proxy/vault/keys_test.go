package vault

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func b64(b byte) string { return base64.StdEncoding.EncodeToString(testKey("", b).Secret) }

func TestParseKeys(t *testing.T) {
	text := "# vault keys: the last line is active\n\n" +
		"k1 " + b64(1) + "\n" +
		"  # rotated 2026-01\n" +
		"\tk-2_b   " + b64(2) + "  \r\n"
	r, err := ParseKeys(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if r.Active() != "k-2_b" || strings.Join(r.IDs(), ",") != "k1,k-2_b" {
		t.Errorf("active %s, ids %v", r.Active(), r.IDs())
	}
	// The same keys built directly hash alike.
	direct := ring(t, "k-2_b", testKey("k1", 1), testKey("k-2_b", 2))
	if a, b := New(r, nil).Hash("email", "x@example.com"), New(direct, nil).Hash("email", "x@example.com"); a != b {
		t.Errorf("parsed %s, built %s", a, b)
	}
	// Mutating IDs' result leaves the ring alone.
	r.IDs()[0] = "zz"
	if r.IDs()[0] != "k1" {
		t.Error("IDs shares the ring's slice")
	}
}

func TestParseKeysErrors(t *testing.T) {
	secret := b64(7)
	for name, tc := range map[string]struct{ text, want string }{
		"empty":        {"", "no key"},
		"only comment": {"# nothing\n\n", "no key"},
		"bad base64":   {"k1 " + secret[:10] + "!!" + secret[12:] + "\n", "line 1: key k1: the secret is not valid base64"},
		"short":        {"k1 " + base64.StdEncoding.EncodeToString([]byte("sixteen bytes!!!")) + "\n", "line 1: key k1: the secret must be 32 bytes, not 16"},
		"long":         {"k1 " + base64.StdEncoding.EncodeToString(make([]byte, 33)) + "\n", "must be 32 bytes, not 33"},
		"duplicate":    {"k1 " + secret + "\n#\nk1 " + b64(8) + "\n", "line 3: key id \"k1\" already used on line 1"},
		"upper id":     {"K1 " + secret + "\n", "line 1: vault: a key id is 1 to 32 characters of a-z 0-9 _ -"},
		"swapped":      {secret + " k1\n", "line 1: vault: a key id is"},
		"dot id":       {"\nk.1 " + secret + "\n", "line 2:"},
		"long id":      {strings.Repeat("k", 33) + " " + secret + "\n", "1 to 32 characters"},
		"one field":    {secret + "\n", "line 1: want \"<id> <base64 secret>\", got 1 fields"},
		"three fields": {"k1 " + secret + " extra\n", "got 3 fields"},
	} {
		_, err := ParseKeys(strings.NewReader(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), secret[:12]) || strings.Contains(err.Error(), secret[12:]) {
			t.Errorf("%s: the error shows the secret: %v", name, err)
		}
	}
}

func TestNewKeyringErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		keys   []Key
		active string
		want   string
	}{
		"no keys":     {nil, "k1", "at least one key"},
		"not active":  {[]Key{testKey("k1", 1)}, "k2", `active key "k2" is not in the ring`},
		"duplicate":   {[]Key{testKey("k1", 1), testKey("k1", 2)}, "k1", "appears twice"},
		"short":       {[]Key{{ID: "k1", Secret: []byte("short")}}, "k1", "32 bytes, not 5"},
		"bad id":      {[]Key{testKey("K 1", 1)}, "K 1", "a-z 0-9 _ -"},
		"empty id":    {[]Key{testKey("", 1)}, "", "1 to 32 characters"},
		"nil secret ": {[]Key{{ID: "k1"}}, "k1", "32 bytes, not 0"},
	} {
		if _, err := NewKeyring(tc.keys, tc.active); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	// The active key may be any of them; the others follow newest first.
	r := ring(t, "k1", testKey("k1", 1), testKey("k2", 2), testKey("k3", 3))
	var order []string
	for _, k := range r.lookup {
		order = append(order, k.id)
	}
	if r.Active() != "k1" || strings.Join(order, ",") != "k1,k3,k2" {
		t.Errorf("active %s, lookup order %v", r.Active(), order)
	}
}

func TestGenerateKey(t *testing.T) {
	a, err := GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateKey("k1")
	if len(a.Secret) != SecretSize || string(a.Secret) == string(b.Secret) {
		t.Errorf("secrets %x %x", a.Secret, b.Secret)
	}
	for _, id := range []string{"", "Bad Id", "k/1", strings.Repeat("a", 33)} {
		if _, err := GenerateKey(id); err == nil {
			t.Errorf("GenerateKey(%q) accepted", id)
		}
	}
	// FormatKey writes what ParseKeys reads.
	r, err := ParseKeys(strings.NewReader(FormatKey(a) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if New(r, nil).Hash("us_ssn", "1") != New(ring(t, "k1", a), nil).Hash("us_ssn", "1") {
		t.Error("the parsed key is not the generated one")
	}
}

// A Key never shows its secret, whatever prints it.
func TestKeyNeverShowsItsSecret(t *testing.T) {
	k := testKey("k1", 0xab)
	secret := base64.StdEncoding.EncodeToString(k.Secret)
	j, err := json.Marshal(struct{ K Key }{k})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		k.String(), fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s %q %x %X %d", k, k, k, k, k, k, k, k),
		fmt.Sprintf("%v %+v", &k, []Key{k}), fmt.Sprintf("%+v", struct{ K Key }{k}), string(j),
	} {
		if strings.Contains(strings.ToLower(s), "abab") || strings.Contains(s, "171") || strings.Contains(s, secret[:8]) || !strings.Contains(s, "k1") {
			t.Errorf("printed %q", s)
		}
	}
}

func TestLoadKeysFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vault.keys")
	if err := os.WriteFile(path, []byte(FormatKey(testKey("k1", 1))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := LoadKeysFile(path)
	if err != nil || r.Active() != "k1" {
		t.Fatalf("%v %v", r, err)
	}
	missing := filepath.Join(dir, "missing.keys")
	if _, err := LoadKeysFile(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}
	bad := filepath.Join(dir, "bad.keys")
	secret := b64(3)
	if err := os.WriteFile(bad, []byte("k1 "+secret+"\nk1 "+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeysFile(bad); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "line 2") || strings.Contains(err.Error(), secret) {
		t.Errorf("bad file: %v", err)
	}
}

func TestKeysFromEnv(t *testing.T) {
	t.Setenv("VEIL_TEST_KEYS", "# keys\n"+FormatKey(testKey("k1", 1))+"\n"+FormatKey(testKey("k2", 2)))
	r, err := KeysFromEnv("VEIL_TEST_KEYS")
	if err != nil || r.Active() != "k2" || len(r.IDs()) != 2 {
		t.Fatalf("%v %v", r, err)
	}
	t.Setenv("VEIL_TEST_EMPTY", " \n")
	for _, name := range []string{"VEIL_TEST_EMPTY", "VEIL_TEST_UNSET_0f3a"} {
		if _, err := KeysFromEnv(name); err == nil || !strings.Contains(err.Error(), name+" is not set") {
			t.Errorf("%s: %v", name, err)
		}
	}
	secret := b64(4)
	t.Setenv("VEIL_TEST_BAD", "k1 "+secret[:20])
	if _, err := KeysFromEnv("VEIL_TEST_BAD"); err == nil || !strings.Contains(err.Error(), "VEIL_TEST_BAD") || strings.Contains(err.Error(), secret[:20]) {
		t.Errorf("bad: %v", err)
	}
}
