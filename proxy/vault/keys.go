package vault

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// SecretSize is the length of a key's secret in bytes.
const SecretSize = 32

// maxKeyIDLen bounds a key id (it is written into every envelope).
const maxKeyIDLen = 32

// Key is one generation of vault keys: an id, written into every envelope
// sealed with it, and a 32-byte secret from which the token, index, seal
// and hash keys are derived.
type Key struct {
	ID     string
	Secret []byte
}

// String is the key's id, never its secret.
func (k Key) String() string { return k.ID }

// Format prints the key's id whatever the verb (%v, %+v, %#v, %x, %d …):
// a Key in a log line or an error shows nothing secret.
func (k Key) Format(f fmt.State, _ rune) { io.WriteString(f, k.ID) }

// MarshalJSON is the id alone, for loggers that encode structs as JSON.
func (k Key) MarshalJSON() ([]byte, error) { return json.Marshal(map[string]string{"id": k.ID}) }

// FormatKey is the line of a key file holding k: "<id> <base64 secret>".
func FormatKey(k Key) string {
	return k.ID + " " + base64.StdEncoding.EncodeToString(k.Secret)
}

// GenerateKey makes a key with a fresh random secret.
func GenerateKey(id string) (Key, error) {
	if err := checkID(id); err != nil {
		return Key{}, err
	}
	secret := make([]byte, SecretSize)
	if _, err := rand.Read(secret); err != nil {
		return Key{}, fmt.Errorf("vault: generate key: %w", err)
	}
	return Key{ID: id, Secret: secret}, nil
}

// errKeyID is a bad key id. It does not quote the id: in a key file
// with its columns swapped, the "id" is the secret.
var errKeyID = fmt.Errorf("vault: a key id is 1 to %d characters of a-z 0-9 _ -", maxKeyIDLen)

// checkID accepts ids of 1..32 chars of [a-z0-9_-].
func checkID(id string) error {
	if id == "" || len(id) > maxKeyIDLen {
		return errKeyID
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return errKeyID
		}
	}
	return nil
}

// derivedKey is what the vault keeps of a Key: the sub-keys expanded from
// its secret with HKDF-SHA256, each for one purpose, never the secret.
type derivedKey struct {
	id    string
	token *macPool    // HMAC-SHA256: token derivation
	index *macPool    // HMAC-SHA256: storage key of a token
	hash  *macPool    // HMAC-SHA256: the hash action
	seal  cipher.AEAD // AES-256-GCM: envelopes
}

// HKDF info strings: one purpose each, versioned with the envelope format.
const (
	infoToken = "veil vault v1 token"
	infoIndex = "veil vault v1 index"
	infoSeal  = "veil vault v1 seal"
	infoHash  = "veil vault v1 hash"
)

func derive(k Key) (*derivedKey, error) {
	if err := checkID(k.ID); err != nil {
		return nil, err
	}
	if len(k.Secret) != SecretSize {
		return nil, fmt.Errorf("vault: key %s: the secret must be %d bytes, not %d", k.ID, SecretSize, len(k.Secret))
	}
	d := &derivedKey{id: k.ID}
	sub := func(info string) []byte {
		b, err := hkdf.Key(sha256.New, k.Secret, nil, info, 32)
		if err != nil { // only for lengths HKDF cannot give: never 32
			panic("vault: hkdf: " + err.Error())
		}
		return b
	}
	d.token, d.index, d.hash = newMACPool(sub(infoToken)), newMACPool(sub(infoIndex)), newMACPool(sub(infoHash))
	block, err := aes.NewCipher(sub(infoSeal))
	if err != nil {
		return nil, fmt.Errorf("vault: key %s: %w", k.ID, err)
	}
	if d.seal, err = cipher.NewGCM(block); err != nil {
		return nil, fmt.Errorf("vault: key %s: %w", k.ID, err)
	}
	return d, nil
}

// Keyring is the vault's keys: every generation still able to read, and
// the active one, which tokenizes and hashes. Rotate by adding a key and
// making it active; keep the old ones for as long as their tokens must
// read. A Keyring is immutable and safe for concurrent use.
type Keyring struct {
	ids    []string               // in the order given
	byID   map[string]*derivedKey // every key
	lookup []*derivedKey          // the active key first, then the others newest first
}

// NewKeyring builds a ring from keys (ids unique, 32-byte secrets) with
// active, which must be one of them, as the active key.
func NewKeyring(keys []Key, active string) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("vault: a key ring needs at least one key")
	}
	r := &Keyring{byID: make(map[string]*derivedKey, len(keys))}
	for _, k := range keys {
		d, err := derive(k)
		if err != nil {
			return nil, err
		}
		if _, dup := r.byID[k.ID]; dup {
			return nil, fmt.Errorf("vault: key id %q appears twice", k.ID)
		}
		r.ids = append(r.ids, k.ID)
		r.byID[k.ID] = d
	}
	a, ok := r.byID[active]
	if !ok {
		return nil, fmt.Errorf("vault: the active key %q is not in the ring", active)
	}
	r.lookup = append(r.lookup, a)
	for i := len(r.ids) - 1; i >= 0; i-- {
		if r.ids[i] != active {
			r.lookup = append(r.lookup, r.byID[r.ids[i]])
		}
	}
	return r, nil
}

// Active is the id of the key that tokenizes and hashes.
func (r *Keyring) Active() string { return r.lookup[0].id }

// IDs are the ids of every key in the ring, in the order given (a key
// file's line order: the active key last).
func (r *Keyring) IDs() []string { return append([]string(nil), r.ids...) }

func (r *Keyring) active() *derivedKey { return r.lookup[0] }

// ParseKeys reads a key file: one key per line, "<id> <base64 of 32
// bytes>"; blank lines and lines starting with '#' are ignored. Ids are
// 1..32 chars of [a-z0-9_-] and unique. The LAST key is active: rotate by
// appending a line. Errors name the line, never its secret.
func ParseKeys(r io.Reader) (*Keyring, error) {
	var keys []Key
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	seen := map[string]int{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("vault keys: line %d: want \"<id> <base64 secret>\", got %d fields", n, len(f))
		}
		if err := checkID(f[0]); err != nil {
			return nil, fmt.Errorf("vault keys: line %d: %w", n, err)
		}
		if prev, dup := seen[f[0]]; dup {
			return nil, fmt.Errorf("vault keys: line %d: key id %q already used on line %d", n, f[0], prev)
		}
		seen[f[0]] = n
		secret, err := base64.StdEncoding.DecodeString(f[1])
		if err != nil {
			// The decoder's error quotes the offending byte and offset:
			// not echoed, since they are part of a secret.
			return nil, fmt.Errorf("vault keys: line %d: key %s: the secret is not valid base64", n, f[0])
		}
		if len(secret) != SecretSize {
			return nil, fmt.Errorf("vault keys: line %d: key %s: the secret must be %d bytes, not %d", n, f[0], SecretSize, len(secret))
		}
		keys = append(keys, Key{ID: f[0], Secret: secret})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("vault keys: %w", err)
	}
	if len(keys) == 0 {
		return nil, errors.New("vault keys: no key found")
	}
	return NewKeyring(keys, keys[len(keys)-1].ID)
}

// LoadKeysFile reads a key file (ParseKeys). Errors name the path, never
// the content.
func LoadKeysFile(path string) (*Keyring, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vault keys file: %w", err) // *PathError names the path
	}
	r, err := ParseKeys(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// KeysFromEnv reads the keys from the environment variable name, which
// holds a key file's text (ParseKeys).
func KeysFromEnv(name string) (*Keyring, error) {
	v, ok := os.LookupEnv(name)
	if !ok || strings.TrimSpace(v) == "" {
		return nil, fmt.Errorf("vault keys: environment variable %s is not set", name)
	}
	r, err := ParseKeys(strings.NewReader(v))
	if err != nil {
		return nil, fmt.Errorf("environment variable %s: %w", name, err)
	}
	return r, nil
}
