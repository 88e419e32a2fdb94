package detectors

import "strings"

// Context words: the words near a match that make it more (or less) likely
// to be what its digits suggest ("SSN: 123456789", "order 4111…"). Every
// set is registered here so the scanner finds all of them in one pass over
// a value (contextMask) and a detector with no word present skips its
// positional checks entirely.

// contextSet is one detector's words (lower case); the set has one bit in
// the mask contextMask computes, which it sets when any of its words is
// in the value (a detector asks whether its set is present, never which
// word: the words' positions are hasContext's).
type contextSet struct {
	words []contextWord
	mask  uint64
}

// contextWord is a word matched at a word start and, unless prefix, at a
// word end too: "sin" is not in "Single", "itin" not in "itinerary".
type contextWord struct {
	w      []byte
	bit    uint64
	prefix bool // "tel*": also the start of a longer word (telephone)
}

// at reports whether the word is at b's start, ASCII case folded, ending
// where a word ends unless it is a prefix word.
func (cw *contextWord) at(b []byte) bool {
	return hasFoldPrefix(b, cw.w) && (cw.prefix || len(b) == len(cw.w) || !isUpperOrLower(b[len(cw.w)]))
}

var (
	contextIndex [256][]contextWord // by first byte, both cases
	// contextSecond is, by first byte (both cases), the set of second
	// bytes (lower case) of the words starting with it: most word starts
	// in a value are ruled out by it without comparing a word.
	contextSecond [256][4]uint64
	// contextSeconds[c][k] is contextIndex[c][k]'s second byte: the words
	// a start's two bytes may begin are found by a byte compare each,
	// not a word copied and compared each.
	contextSeconds [256][]byte
	contextBits    uint
)

// newContext registers a set of lower-case words, each a whole word or,
// ending in '*', a prefix. Package-level only: there are 64 bits, one a
// set.
func newContext(words ...string) contextSet {
	if contextBits == 64 {
		panic("detectors: more than 64 context sets")
	}
	s := contextSet{mask: uint64(1) << contextBits}
	contextBits++
	for _, w := range words {
		if !isUpperOrLower(w[0]) {
			panic("detectors: a context word must start with a letter: " + w)
		}
		cw := contextWord{w: []byte(strings.TrimSuffix(w, "*")), bit: s.mask, prefix: strings.HasSuffix(w, "*")}
		s.words = append(s.words, cw)
		if len(cw.w) < 2 {
			panic("detectors: a context word has two bytes at least: " + w)
		}
		c, c2 := w[0], cw.w[1]
		index := func(f byte) {
			contextIndex[f] = append(contextIndex[f], cw)
			contextSeconds[f] = append(contextSeconds[f], c2)
			contextSecond[f][c2>>6] |= 1 << (c2 & 63)
		}
		index(c)
		if c >= 'a' && c <= 'z' {
			index(c - 'a' + 'A')
		}
	}
	return s
}

// contextMask is the set of context words starting a word in v, ASCII
// case folded: one pass, a table lookup per word start (its first two
// bytes), and the words compared only where both are some word's.
func contextMask(v []byte) uint64 {
	var m uint64
	for i := 0; i < len(v); {
		c := v[i]
		if !isUpperOrLower(c) {
			i++
			continue
		}
		if i+1 < len(v) {
			if c2 := lowerASCII(v[i+1]); contextSecond[c][c2>>6]&(1<<(c2&63)) != 0 {
				words := contextIndex[c]
				for k, s := range contextSeconds[c] {
					if s == c2 && m&words[k].bit == 0 && words[k].at(v[i:]) {
						m |= words[k].bit
					}
				}
			}
		}
		for i++; i < len(v) && isUpperOrLower(v[i]); i++ { // to the word's end
		}
	}
	return m
}

func hasFoldPrefix(b, word []byte) bool {
	if len(b) < len(word) {
		return false
	}
	for j := range word {
		if lowerASCII(b[j]) != word[j] {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasContext looks for a word of set in the 32 bytes before a match
// ("tel*" in "Tel:" and "telephone", not in "hotel"), without allocating.
func hasContext(before []byte, set contextSet) bool {
	from := max(0, len(before)-32)
	for i := from; i+1 < len(before); i++ { // a word has two bytes at least
		c := before[i]
		if !isUpperOrLower(c) || i > 0 && isUpperOrLower(before[i-1]) {
			continue // a word starts with a letter, at a word's start
		}
		if c2 := lowerASCII(before[i+1]); contextSecond[c][c2>>6]&(1<<(c2&63)) == 0 {
			continue // no word of any set starts with these two bytes
		}
		for j := range set.words {
			if set.words[j].at(before[i:]) {
				return true
			}
		}
	}
	return false
}

// negativeContext says the digits after it are something else: an order,
// invoice, tracking or reference number, a version or a serial.
var negativeContext = newContext("order*", "invoice*", "tracking", "ref*",
	"ticket*", "case #", "case no", "sku", "serial*", "po #", "po number", "confirmation*", "version", "build")

// numeric are the categories that are digits a negative context word can
// explain away. Emails, IBANs, secrets and tokens carry their own proof.
var numeric = map[string]bool{CategoryPhone: true, CategoryCreditCard: true, CategoryUSSSN: true, CategoryUSITIN: true,
	CategoryBankAccount: true, CategoryCASIN: true, CategoryUKNHS: true, CategoryUSNPI: true, CategoryBRCPF: true, CategoryPassport: true}

// Confidence moves, Presidio style: a negative context word before an
// unhinted numeric finding lowers it by NegativeContextPenalty, and the
// scanner drops findings that end below MinConfidence.
const (
	NegativeContextPenalty = 0.35
	MinConfidence          = 0.5
)

// weigh applies negative context to the findings of one value and drops
// what falls below MinConfidence; it returns the new length.
func weigh(f []Finding, v []byte, field Field) int {
	n := 0
	for _, x := range f {
		if numeric[x.Category] && field.Hint != x.Category && hasContext(v[:x.Start], negativeContext) {
			x.Confidence -= NegativeContextPenalty
		}
		if x.Confidence >= MinConfidence-1e-9 {
			f[n] = x
			n++
		}
	}
	return n
}

// present reports whether any word of set is in the value's mask.
func (f Field) present(set contextSet) bool { return f.context&set.mask != 0 }
