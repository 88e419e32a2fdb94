package config

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strings"
)

// The username hash key (identity.username_hash_key_file) keys the
// HMAC-SHA-256 that stands for a login's username in the audit trail and
// the watch. Its file has audit.chain_key_file's format, "<id> <base64
// secret>" lines (blank lines and # comments skipped), so that `veil
// audit keygen --chain-key` makes one; the last line is the key and its
// id is not used: the hash stays 64 hex digits. It must be a key of its
// own, never the chain key: the chain key is handed to whoever verifies
// the trail, who is the reader the hash is kept from.
//
//	identity:
//	  username_hash_key_file: /etc/veil/identity/username-hash.key   # mode 0600 (or 0640/0440)

// MinUsernameHashKeyBytes is the shortest username hash key accepted: a
// key shorter than the HMAC's output could be guessed before the
// usernames are.
const MinUsernameHashKeyBytes = 32

// UsernameHashKey reads the secret of identity.username_hash_key_file,
// refusing a file other users may read (CheckSecretFile). It returns nil,
// nil when the setting is empty. Errors name the file and a line number,
// never a field of the line (a line whose fields are swapped would put
// the secret where the id belongs).
func (id Identity) UsernameHashKey() ([]byte, error) {
	path := id.UsernameHashKeyFile
	if path == "" {
		return nil, nil
	}
	at := "identity.username_hash_key_file: " + path
	if err := CheckSecretFile(path); err != nil {
		return nil, fmt.Errorf("identity.username_hash_key_file: %w", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("identity.username_hash_key_file: %w", err)
	}
	var key []byte
	err = ReadKeyLines(bytes.NewReader(b), func(n int, _ string, secret []byte) error {
		if len(secret) < MinUsernameHashKeyBytes {
			return fmt.Errorf("line %d: the secret is %d bytes, shorter than %d (veil audit keygen --chain-key)", n, len(secret), MinUsernameHashKeyBytes)
		}
		key = secret
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", at, err)
	}
	if key == nil {
		return nil, fmt.Errorf("%s: no key line (veil audit keygen --chain-key prints one)", at)
	}
	return key, nil
}

// ReadKeyLines calls fn with the line number, id and decoded secret of
// each "<id> <base64 secret>" line of r (audit.chain_key_file's format;
// blank lines and # comments skipped), in order, and stops at fn's first
// error. An id is 1 to 64 of [A-Za-z0-9._-]. Its errors name a line by
// number, never a field of it: a line whose fields are swapped would put
// the secret where the id belongs.
func ReadKeyLines(r io.Reader, fn func(n int, id string, secret []byte) error) error {
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return fmt.Errorf("line %d: want \"<id> <base64 secret>\" (veil audit keygen --chain-key), got %d fields", n, len(f))
		}
		if !ValidKeyID(f[0]) {
			return fmt.Errorf("line %d: the key id must be 1 to 64 of [A-Za-z0-9._-]", n)
		}
		secret, err := base64.StdEncoding.DecodeString(f[1])
		if err != nil {
			return fmt.Errorf("line %d: the secret is not valid base64", n)
		}
		if err := fn(n, f[0], secret); err != nil {
			return err
		}
	}
	return sc.Err()
}

// ValidKeyID reports whether s names a key as audit.chain_key_file's ids
// do: 1 to 64 of [A-Za-z0-9._-].
func ValidKeyID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
