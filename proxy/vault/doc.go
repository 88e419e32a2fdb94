// Package vault is Veil's tokenization vault: it replaces a sensitive
// value with a token before the value reaches the CRM, puts the value
// back for authorised readers, and erases it on request.
//
// # Tokens
//
// Tokens are deterministic: one value of one category always gets the
// same token under one key, so the CRM can deduplicate and search by
// token, and two replicas sharing the keys and the store write the same
// token. A token's characters come from HMAC-SHA256(tokenKey, category ||
// 0x00 || normalized value || counter); normalization (digits only for
// number categories, e-mail lower case, IBAN compact …) makes two
// spellings of one value share a token. The shapes are the detectors
// package's grammar (detectors/veiltoken.go): an e-mail token is an
// address at veil.invalid, a phone token a +999 number, a card token 16
// digits keeping the last 4 and failing Luhn, every other category a
// "vt." text token about as long as the value whose first body char says
// the category.
//
// # Store, index and envelope
//
// The store (Redis, or memory for the demo and tests) maps a storage key
// to an envelope. The storage key is hex(HMAC(indexKey, token)): the
// store holds neither the value nor the token. The envelope holds the
// sealing key's id, the category and the original value sealed with
// AES-256-GCM, with category || 0x00 || token as associated data: an
// envelope moved under another token does not open, and an envelope that
// does not open reads as not found, never as a wrong value.
//
// # Collisions: the probe sequence
//
// Short tokens (an SSN's has 30 random bits, a card's 9 digits) collide.
// An entry is never overwritten: the vault stores with "put if absent",
// and an entry holding another value sends the value to its next counter
// (0, 1, 2 … up to 16 probes), a deterministic sequence every replica
// walks alike. Every call is batched: a message's values go in one round
// trip, plus one per collision round.
//
// # Keys and rotation
//
// A Key is an id and a 32-byte secret, expanded with HKDF-SHA256 into
// independent token, index, seal and hash keys. A Keyring holds every
// generation; the active one (a key file's last line) tokenizes and
// hashes. Rotation appends a key: new values get new tokens, and old
// tokens still read, because Detokenize looks a token up under every
// key's index (active first) in one round trip.
//
// A token of the new key may already stand for another value under an
// old one (short tokens, many values): the CRM's copies of it must keep
// their meaning. So while Tokenize claims its tokens under the active key
// it reads them under the older keys in parallel (one round trip of
// latency still), and treats a token held there for another value as a
// collision, deleting what it just claimed for it. Detokenize reads a
// token held for two different values as not found, never as either.
//
// # Erasure: crypto-shredding
//
// Forget replaces a token's entry under every key by a tombstone;
// ForgetValue derives the value's whole probe sequence under every key
// and buries the entries holding it. The tokens left in the CRM, its
// backups and its exports then stand for nothing, and read as erased.
// The tombstone keeps the token taken: the same value tokenized again
// later (a data subject who comes back) gets the next token of its probe
// sequence, so the copies of the old token stay meaningless. Each erasure
// of one value uses up one of its 16 probes; tombstones hold nothing of
// the value and stay (a few bytes each).
//
// # Failure
//
// A backend error is ErrUnavailable (callers refuse to store the value in
// the clear); a value that cannot be tokenized is ErrInvalid. Errors never
// hold a value or a secret. The proxy's Redis client (proxy/redisclient)
// bounds what a Redis that is down or hung costs a caller.
package vault
