package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/veil-proxy/veil/proxy/config"
)

// Keys of a tamper-evident trail (see doc.go, "Keyed chain and
// checkpoints"). None of them is ever stored with the events.
//
// The chain key authenticates every link: each record carries key_id and
// mac = hex HMAC-SHA256(key, hash). A key file (audit.chain_key_file, or
// the content of $VEIL_AUDIT_KEY) holds "<id> <base64 of 32 bytes>"
// lines; the writer uses the last, a verifier every line (a keyring:
// rotate by appending a line).
//
// The signing key (Ed25519, PKCS#8 PEM, audit.signing_key_file) signs the
// checkpoints; a verifier needs only its public key (PKIX PEM).

// ChainKeyEnv is the environment variable holding the chain keys when
// audit.chain_key_file is not set.
const ChainKeyEnv = "VEIL_AUDIT_KEY"

// ChainKeySize is the size of a chain key's secret.
const ChainKeySize = 32

// ChainKey is one HMAC key of the keyed chain.
type ChainKey struct {
	ID     string
	Secret []byte
}

// String never prints the secret.
func (k ChainKey) String() string { return k.ID }

// Format never prints the secret, whatever the verb.
func (k ChainKey) Format(f fmt.State, _ rune) { io.WriteString(f, k.ID) }

// ChainKeys is a keyring of chain keys: the active one (the last line)
// signs new records, all verify.
type ChainKeys struct {
	active string
	keys   map[string][]byte
}

// Active is the id of the key new records are keyed with.
func (r *ChainKeys) Active() string { return r.active }

// Has says whether the keyring holds key id.
func (r *ChainKeys) Has(id string) bool { _, ok := r.keys[id]; return ok }

// MAC is hex HMAC-SHA256 of hash under key id ("" when it is not held).
func (r *ChainKeys) MAC(id, hash string) string {
	k, ok := r.keys[id]
	if !ok {
		return ""
	}
	return macOf(k, hash)
}

func macOf(key []byte, hash string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(hash))
	return hex.EncodeToString(m.Sum(nil))
}

// FormatChainKey is the key file line of k: "<id> <base64 secret>".
func FormatChainKey(k ChainKey) string {
	return k.ID + " " + base64.StdEncoding.EncodeToString(k.Secret)
}

// GenerateChainKey makes a random chain key named id.
func GenerateChainKey(id string) (ChainKey, error) {
	if err := checkKeyID(id); err != nil {
		return ChainKey{}, err
	}
	k := ChainKey{ID: id, Secret: make([]byte, ChainKeySize)}
	_, err := rand.Read(k.Secret)
	return k, err
}

func checkKeyID(id string) error {
	if !config.ValidKeyID(id) {
		return fmt.Errorf("audit key id %q: 1 to 64 of [A-Za-z0-9._-]", id)
	}
	return nil
}

// ParseChainKeys reads "<id> <base64 of 32 bytes>" lines (blank lines and
// # comments skipped); the last is active. Errors never quote a secret.
func ParseChainKeys(r io.Reader) (*ChainKeys, error) {
	kr := &ChainKeys{keys: map[string][]byte{}}
	if err := kr.add(r, "", true); err != nil {
		return nil, err
	}
	if kr.active == "" {
		return nil, errors.New("audit chain keys: no key")
	}
	return kr, nil
}

func (kr *ChainKeys) add(r io.Reader, name string, activate bool) error {
	err := config.ReadKeyLines(r, func(n int, id string, secret []byte) error {
		if len(secret) != ChainKeySize {
			return fmt.Errorf("line %d: key %s: the secret must be %d bytes, not %d", n, id, ChainKeySize, len(secret))
		}
		if old, ok := kr.keys[id]; ok && !bytes.Equal(old, secret) {
			return fmt.Errorf("line %d: key %s defined twice with different secrets", n, id)
		}
		kr.keys[id] = secret
		if activate {
			kr.active = id
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("audit chain keys%s: %w", name, err)
	}
	return nil
}

// LoadChainKeys reads a key file, or every regular file of a directory
// but PEM files (a keyring of old keys for verification: the active key
// is then the last line of the last file by name).
func LoadChainKeys(path string) (*ChainKeys, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("audit chain keys: %w", err)
	}
	files := []string{path}
	if st.IsDir() {
		ents, err := os.ReadDir(path)
		if err != nil {
			return nil, fmt.Errorf("audit chain keys: %w", err)
		}
		files = files[:0]
		for _, e := range ents {
			if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
	}
	kr := &ChainKeys{keys: map[string][]byte{}}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("audit chain keys: %w", err)
		}
		if st.IsDir() && bytes.HasPrefix(bytes.TrimSpace(b), []byte("-----BEGIN")) {
			continue // a PEM file (the signing keys) beside the chain keys
		}
		if err := kr.add(bytes.NewReader(b), " "+f, true); err != nil {
			return nil, err
		}
	}
	if kr.active == "" {
		return nil, fmt.Errorf("audit chain keys %s: no key", path)
	}
	return kr, nil
}

// ChainKeysFrom is the keyring of file, else of environment variable env
// (its content is a key file's); nil, nil when neither is set.
func ChainKeysFrom(file, env string) (*ChainKeys, error) {
	if file != "" {
		return LoadChainKeys(file)
	}
	if env == "" {
		return nil, nil
	}
	v := os.Getenv(env)
	if v == "" {
		return nil, nil
	}
	kr, err := ParseChainKeys(strings.NewReader(v))
	if err != nil {
		return nil, fmt.Errorf("$%s: %w", env, err)
	}
	return kr, nil
}

// GenerateSigningKey makes an Ed25519 key pair as PEM: the private key
// (PKCS#8) and the public key (PKIX).
func GenerateSigningKey() (priv, pub []byte, err error) {
	pk, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	sder, err := x509.MarshalPKCS8PrivateKey(sk)
	if err != nil {
		return nil, nil, err
	}
	pder, err := x509.MarshalPKIXPublicKey(pk)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: sder}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pder}), nil
}

// LoadSigningKey reads an Ed25519 private key (PKCS#8 PEM).
func LoadSigningKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("audit signing key %s: no PEM \"PRIVATE KEY\" block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit signing key %s: not a PKCS#8 key", path)
	}
	sk, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("audit signing key %s: not an Ed25519 key", path)
	}
	return sk, nil
}

// PublicKeys are the checkpoint verification keys, by key id.
type PublicKeys map[string]ed25519.PublicKey

// LoadPublicKeys reads every "PUBLIC KEY" block of a PEM file (old and
// new signing keys, for rotation); a "PRIVATE KEY" block gives its public
// half.
func LoadPublicKeys(path string) (PublicKeys, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit public key: %w", err)
	}
	out := PublicKeys{}
	for {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			break
		}
		var k any
		switch blk.Type {
		case "PUBLIC KEY":
			k, err = x509.ParsePKIXPublicKey(blk.Bytes)
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
			if sk, ok := k.(ed25519.PrivateKey); ok {
				k = sk.Public()
			}
		default:
			continue
		}
		pk, ok := k.(ed25519.PublicKey)
		if err != nil || !ok {
			return nil, fmt.Errorf("audit public key %s: a block is not an Ed25519 key", path)
		}
		out[SigningKeyID(pk)] = pk
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("audit public key %s: no PEM \"PUBLIC KEY\" block", path)
	}
	return out, nil
}

// SigningKeyID names a signing key: the first 16 hex digits of SHA-256
// of its public key.
func SigningKeyID(pk ed25519.PublicKey) string {
	h := sha256.Sum256(pk)
	return hex.EncodeToString(h[:8])
}
