package vault

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/veil-proxy/veil/detectors"
)

// maxProbes bounds the probe sequence: a value whose tokens at counters
// 0..maxProbes-1 are all held by other values cannot be tokenized. With
// 30 random bits (an SSN's token) and a million SSNs in the store, a
// probe collides with probability 10^-3, and 16 in a row with 10^-48:
// running out means a broken or hostile store.
const maxProbes = 16

// Token shapes (detectors/veiltoken.go has the grammar).
const (
	emailBody   = 20 // an e-mail token's body: its code + 19 chars (95 bits)
	minTextBody = 7
	maxTextBody = 40
	minPhone    = 8 // digits drawn for a phone token (plus a check digit)
	maxPhone    = 11
	cardMid     = 9  // digits drawn for a card token
	minCard     = 12 // digits a card value needs
)

// normalize is the form of value that tokens and hashes are derived
// from, so that two spellings of one value share a token: digits only for
// the number categories, '+' and digits for phones, e-mail lower case,
// IBAN without spaces in upper case, anything else trimmed. The vault
// stores the original value, never this.
func normalize(category, value string) string {
	switch category {
	case detectors.CategoryCreditCard, detectors.CategoryUSSSN, detectors.CategoryUSITIN,
		detectors.CategoryCASIN, detectors.CategoryBRCPF, detectors.CategoryUKNHS,
		detectors.CategoryBankAccount, detectors.CategoryUSNPI:
		return digits(value, false)
	case detectors.CategoryPhone:
		return digits(value, true)
	case detectors.CategoryEmail:
		return strings.ToLower(strings.TrimSpace(value))
	case detectors.CategoryIBAN:
		return strings.ToUpper(strings.Join(strings.Fields(value), ""))
	}
	return strings.TrimSpace(value)
}

// digits keeps the ASCII digits of s, and a leading '+' when plus is set.
func digits(s string, plus bool) string {
	b := make([]byte, 0, len(s))
	if t := strings.TrimSpace(s); plus && strings.HasPrefix(t, "+") {
		b = append(b, '+')
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b = append(b, c)
		}
	}
	return string(b)
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}

// prepare checks that a value of category can be tokenized and returns
// its normal form. Errors wrap ErrInvalid and name the category only.
func prepare(category, value string) (string, error) {
	if category == detectors.CategoryVeilToken {
		return "", fmt.Errorf("%w: category veil_token (a token is not tokenized again)", ErrInvalid)
	}
	if _, ok := detectors.TokenCode(category); !ok {
		return "", fmt.Errorf("%w: unknown category %.40q", ErrInvalid, category)
	}
	norm := normalize(category, value)
	switch {
	case category == detectors.CategoryCreditCard && len(norm) < minCard:
		return "", fmt.Errorf("%w: credit_card: a card number has at least %d digits", ErrInvalid, minCard)
	case category == detectors.CategoryPhone && countDigits(norm) == 0:
		return "", fmt.Errorf("%w: phone: no digits", ErrInvalid)
	case norm == "":
		return "", fmt.Errorf("%w: %s: empty value", ErrInvalid, category)
	}
	return norm, nil
}

// collideMAC is the token MAC of every generation in collide mode (tests).
var collideMAC = newMACPool([]byte("veil vault test: every value collides"))

// tokenMAC is HMAC-SHA256(tokenKey, category || 0x00 || norm || counter),
// counter as 4 bytes big-endian (fixed width: the input parses one way).
// In collide mode (tests) it leaves out the key and the value, so that
// every value of a category, under every key, probes the same tokens.
func tokenMAC(k *derivedKey, category, norm string, counter uint32, collide bool) [sha256.Size]byte {
	var ctr [4]byte
	binary.BigEndian.PutUint32(ctr[:], counter)
	if collide {
		return collideMAC.sum(category, true, "", ctr[:])
	}
	return k.token.sum(category, true, norm, ctr[:])
}

// makeToken is the token of a value of category (normal form norm, as
// prepare returned it) at probe counter under k.
//
// Text chars take 5 bits of the MAC each (no bias: 32 is a power of two).
// Digits take a 64-bit chunk mod 10^n: the bias, below 10^11/2^64 ≈
// 5·10^-9, is of no use to anyone.
func makeToken(k *derivedKey, category, norm string, counter uint32, collide bool) string {
	mac := tokenMAC(k, category, norm, counter, collide)
	switch category {
	case detectors.CategoryEmail:
		return detectors.EmailToken(textBody(category, emailBody, mac))
	case detectors.CategoryPhone:
		n := min(max(countDigits(norm)-1, minPhone), maxPhone)
		return detectors.PhoneToken(decimal(mac, n))
	case detectors.CategoryCreditCard:
		return detectors.CardToken(decimal(mac, cardMid), norm[len(norm)-4:])
	}
	return detectors.TextToken(textBody(category, min(max(len(norm)-4, minTextBody), maxTextBody), mac))
}

// textBody is n chars: the category's code, then 5-bit groups of mac.
func textBody(category string, n int, mac [sha256.Size]byte) string {
	code, _ := detectors.TokenCode(category)
	b := make([]byte, n)
	b[0] = code
	for i := 1; i < n; i++ {
		bit := (i - 1) * 5
		// Two bytes hold any 5-bit group; the last group ends inside mac
		// (39 groups = 195 bits < 256).
		w := uint16(mac[bit/8])<<8 | uint16(mac[bit/8+1])
		b[i] = detectors.TokenAlphabet[(w>>(11-bit%8))&31]
	}
	return string(b)
}

var pow10 = [...]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11}

// decimal is n (≤ 11) digits from the first 8 bytes of mac.
func decimal(mac [sha256.Size]byte, n int) string {
	v := binary.BigEndian.Uint64(mac[:8]) % pow10[n]
	b := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b)
}

// indexKey is where a token's envelope lives under k: the hex of
// HMAC-SHA256(indexKey, token). Neither the value nor the token appears
// in the store, and each key generation has its own index.
func indexKey(k *derivedKey, token string) string {
	sum := k.index.sum(token, false, "", nil)
	return hex.EncodeToString(sum[:])
}

// hashPrefix starts every output of the hash action.
const hashPrefix = "vh."

// keyedHash is the hash action's output: "vh." + 26 base32 chars of the
// first 128 bits of HMAC-SHA256(hashKey, category || 0x00 || norm).
func keyedHash(k *derivedKey, category, value string) string {
	sum := k.hash.sum(category, true, normalize(category, value), nil)
	out := make([]byte, len(hashPrefix), len(hashPrefix)+26)
	copy(out, hashPrefix)
	for i := 0; i < 26; i++ { // 26 groups of 5 bits: 128 bits, the last group padded
		bit := i * 5
		w := uint16(sum[bit/8])<<8 | uint16(sum[bit/8+1])
		v := (w >> (11 - bit%8)) & 31
		if bit+5 > 128 {
			v &^= 1<<(bit+5-128) - 1 // bits past the 128th are zero
		}
		out = append(out, detectors.TokenAlphabet[v])
	}
	return string(out)
}
