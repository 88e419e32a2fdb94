package vault

import (
	"crypto/rand"
	"errors"
)

// Envelope: what the store holds for a token.
//
//	version  1 byte   envelopeV1
//	key id   1 byte length + the id of the key that sealed it
//	category 1 byte length + the category of the value
//	nonce    12 bytes, random
//	sealed   AES-256-GCM(sealKey, value), AAD = category || 0x00 || token
//
// The category travels in the clear and is authenticated through the
// AAD; so is the token, so an envelope moved under another token's index
// entry does not open. The key id is authenticated by being the key that
// opens it.
const envelopeV1 = 1

const nonceSize = 12

var (
	errEnvelope    = errors.New("vault: malformed envelope")
	errKeyMismatch = errors.New("vault: envelope sealed by another key than its index entry's")
	errOpen        = errors.New("vault: envelope does not open (tampered, or not this token's)")
)

// seal makes the envelope of value (of category, tokenized as token)
// under k.
func seal(k *derivedKey, category, token, value string) ([]byte, error) {
	if len(category) > 255 { // categories come from detectors: short names
		return nil, errEnvelope
	}
	n := 1 + 1 + len(k.id) + 1 + len(category) + nonceSize
	env := make([]byte, n, n+len(value)+k.seal.Overhead())
	env[0] = envelopeV1
	i := 1
	env[i] = byte(len(k.id))
	i += 1 + copy(env[i+1:], k.id)
	env[i] = byte(len(category))
	i += 1 + copy(env[i+1:], category)
	nonce := env[i : i+nonceSize]
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return k.seal.Seal(env, nonce, []byte(value), aad(category, token)), nil
}

func aad(category, token string) []byte {
	b := make([]byte, 0, len(category)+1+len(token))
	b = append(b, category...)
	b = append(b, 0)
	return append(b, token...)
}

// envelope is a parsed envelope, not yet opened. Sealed under its token
// as associated data, an envelope moved under another token does not open,
// and one that does not open reads as not found, never as a wrong value.
type envelope struct {
	keyID, category string
	nonce, sealed   []byte
}

func parseEnvelope(env []byte) (envelope, error) {
	var e envelope
	if len(env) < 1 || env[0] != envelopeV1 {
		return e, errEnvelope
	}
	rest := env[1:]
	field := func() (string, bool) {
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			return "", false
		}
		s := string(rest[1 : 1+int(rest[0])])
		rest = rest[1+int(rest[0]):]
		return s, true
	}
	var ok1, ok2 bool
	e.keyID, ok1 = field()
	e.category, ok2 = field()
	if !ok1 || !ok2 || e.keyID == "" || e.category == "" || len(rest) < nonceSize+16 {
		return e, errEnvelope
	}
	e.nonce, e.sealed = rest[:nonceSize], rest[nonceSize:]
	return e, nil
}

// open returns the category and value sealed in env for token, checking
// that the key that sealed it is want (the key whose index holds it).
func open(want *derivedKey, env []byte, token string) (category, value string, err error) {
	e, err := parseEnvelope(env)
	if err != nil {
		return "", "", err
	}
	if e.keyID != want.id {
		return "", "", errKeyMismatch
	}
	plain, err := want.seal.Open(nil, e.nonce, e.sealed, aad(e.category, token))
	if err != nil {
		return "", "", errOpen
	}
	return e.category, string(plain), nil
}
