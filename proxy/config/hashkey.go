package config

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
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
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("%s: line %d: want \"<id> <base64 secret>\" (veil audit keygen --chain-key), got %d fields", at, n, len(f))
		}
		if !validKeyID(f[0]) {
			return nil, fmt.Errorf("%s: line %d: the key id must be 1 to 64 of [A-Za-z0-9._-]", at, n)
		}
		secret, err := base64.StdEncoding.DecodeString(f[1])
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: the secret is not valid base64", at, n)
		}
		if len(secret) < MinUsernameHashKeyBytes {
			return nil, fmt.Errorf("%s: line %d: the secret is %d bytes, shorter than %d (veil audit keygen --chain-key)", at, n, len(secret), MinUsernameHashKeyBytes)
		}
		key = secret
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", at, err)
	}
	if key == nil {
		return nil, fmt.Errorf("%s: no key line (veil audit keygen --chain-key prints one)", at)
	}
	return key, nil
}

// validKeyID reports whether s names a key as audit.chain_key_file's ids
// do: 1 to 64 of [A-Za-z0-9._-].
func validKeyID(s string) bool {
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
