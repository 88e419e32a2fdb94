package detectors

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// The prefilter and contextMask as they were before their fast paths
// (bulk digit runs, the second-letter gate): the reference the fast ones
// are held to, byte for byte, here and by FuzzPrefilterMatchesReference.

// refClass is byteClass as the reference reads it: a byte that asks for
// the canonical view is a plain one.
func refClass(c byte) uint8 {
	switch c {
	case 'A', 'e', 'x', 'v':
		return clsHead // the heads read forward from their first byte, below
	case 'J':
		return clsPlain // the prefilter's own head, eyJ read back from its J
	}
	if k := byteClass[c]; k != clsCanon {
		return k
	}
	return clsPlain
}

// needsCanon reports whether v holds a byte >= 0x80 or a control byte
// other than \t, \n, \r (the prefilter's trigCanon): eight bytes at a
// time, the bytes of a flagged word looked at one by one.
func needsCanon(v []byte) bool {
	const highs, lows = 0x8080808080808080, 0x2020202020202020
	i := 0
	for ; i+8 <= len(v); i += 8 {
		x := binary.LittleEndian.Uint64(v[i:])
		if (x|(x-lows)&^x)&highs == 0 {
			continue
		}
		for _, c := range v[i : i+8] {
			if c >= 0x80 || c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return true
			}
		}
	}
	for ; i < len(v); i++ {
		if c := v[i]; c >= 0x80 || c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return true
		}
	}
	return false
}

// prefilterRef is the prefilter before its fast paths.
func prefilterRef(v []byte) trigger {
	var t trigger
	loose, total := 0, 0
	wide, narrow := strictRun{}, strictRun{narrow: true}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch refClass(c) {
		case clsPlain:
			// Most bytes: end what is open, then skip the plain ones after.
			if loose|wide.digits|narrow.digits != 0 {
				loose = 0
				t |= wide.end(v, i) | narrow.end(v, i)
			}
			for i+1 < len(v) && refClass(v[i+1]) == clsPlain {
				i++
			}
		case clsDigit:
			loose++
			total++
			if loose >= 5 {
				t |= trigRun5
			}
			t |= wide.digit(v, i) | narrow.digit(v, i)
			if c != '0' && i+1 < len(v) && isUpperOrLower(v[i+1]) && (i == 0 || !isAlnumByte(v[i-1])) {
				t |= trigMBI
			}
			// Two letters then two digits: an IBAN's country and check.
			if i >= 2 && i+1 < len(v) && isUpperOrLower(v[i-2]) && isUpperOrLower(v[i-1]) && isDigit(v[i+1]) {
				t |= trigIBAN
			}
		case clsSep:
			switch c {
			case '-':
				if bytes.HasPrefix(v[i:], pemDashes) {
					t |= trigSecret
				}
			case '.':
				if i > 0 && i+1 < len(v) && isDigit(v[i-1]) && isDigit(v[i+1]) {
					t |= trigIP
				}
			}
			t |= wide.sep(v, i, c) | narrow.sep(v, i, c)
		default: // clsSpecial: ends a strict run, and may start something
			if c != '+' && c != '/' { // both join a loose run (02/03/1980)
				loose = 0
			}
			t |= wide.end(v, i) | narrow.end(v, i)
			switch c {
			case '@':
				t |= trigAt
			case '+': // starts a number, does not join two
				if bytes.HasPrefix(v[i+1:], tokenPhoneCC) {
					t |= trigToken
				}
			case '_': // the '_' of a secret's head: the head up to its first '_' ends here
				for _, sh := range secretShapes {
					if k := bytes.IndexByte(sh.prefix, '_'); k >= 0 && i >= k && bytes.HasPrefix(v[i-k:], sh.prefix[:k+1]) {
						t |= trigSecret
					}
				}
			case ':':
				if i > 0 && i+1 < len(v) && (isHexByte(v[i-1]) || v[i-1] == ':') && (isHexByte(v[i+1]) || v[i+1] == ':') {
					t |= trigIP
				}
			case 'A':
				if bytes.HasPrefix(v[i:], awsAKIA) || bytes.HasPrefix(v[i:], awsASIA) {
					t |= trigSecret
				}
			case 'e':
				if bytes.HasPrefix(v[i:], jwtHead) {
					t |= trigSecret
				}
			case 'x':
				if bytes.HasPrefix(v[i:], slackHead) {
					t |= trigSecret
				}
			case 'v':
				if bytes.HasPrefix(v[i+1:], tokenHead) {
					t |= trigToken
				}
			}
		}
	}
	if needsCanon(v) {
		t |= trigCanon
	}
	t |= wide.end(v, len(v)) | narrow.end(v, len(v))
	return t | countTriggers(t, total)
}

// The heads the reference compares with bytes.HasPrefix.
var (
	awsAKIA   = []byte("AKIA")
	awsASIA   = []byte("ASIA")
	jwtHead   = []byte("eyJ")
	slackHead = []byte("xox")
	tokenHead = []byte("t.")
)

// contextMaskRef is contextMask before its second-letter gate.
func contextMaskRef(v []byte) uint64 {
	var m uint64
	for i := 0; i < len(v); {
		c := v[i]
		if !isUpperOrLower(c) {
			i++
			continue
		}
		for _, cw := range contextIndex[c] {
			if m&cw.bit == 0 && cw.at(v[i:]) {
				m |= cw.bit
			}
		}
		for i++; i < len(v) && isUpperOrLower(v[i]); i++ { // to the word's end
		}
	}
	return m
}

var prefilterSeeds = []string{"003Dn0000000000AAA", "2024-03-01T09:21:44.000+0000", "(415) 234-1234",
	"/services/data/v62.0/sobjects/Contact/003Dn0000000000AAA", "Date of birth 02/03/1980, SSN 078-05-1120",
	"GB82 WEST 1234 5698 7654 32", "eyJhbGciOi", "AKIAIOSFODNN7EXAMPLE", "vt.email.abc", "+999 1234", "10.0.0.1 ::1",
	"Met at the 2024 conference; call 0 (1) 23 45 67 89, order #12345678, NHS 943 476 5919", "A0 0 100000", "1A2B3C4D5E6F7",
	"SELECT Id, Level__c FROM Contact LIMIT 1", "ghp_x github_pat_ sk_live_ rk_ k_ _ghs_ hub_"}

// referenceValues are every string of the labelled corpus (keys and values),
// the detectors' fuzz seeds, and random strings over the bytes the
// prefilter treats apart.
func referenceValues(t *testing.T) [][]byte {
	t.Helper()
	var vals [][]byte
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "corpus", "*.json"))
	if len(files) == 0 {
		t.Fatal("the labelled corpus is not at ../testdata/corpus")
	}
	for _, s := range prefilterSeeds {
		vals = append(vals, []byte(s))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, jsonStrings(b)...)
	}
	rng := rand.New(rand.NewPCG(1, 10))
	const alphabet = "0123456789 -.()@+/_:AexvKISyJot9-----aBcZ#;,\n\t\xc3\xa9"
	for range 200_000 {
		v := make([]byte, rng.IntN(40))
		for i := range v {
			v[i] = alphabet[rng.IntN(len(alphabet))]
		}
		vals = append(vals, v)
	}
	return vals
}

// jsonStrings cuts the quoted strings out of a JSON document, escapes
// and all: what they are does not matter, only that they are realistic.
func jsonStrings(b []byte) [][]byte {
	var out [][]byte
	for {
		i := bytes.IndexByte(b, '"')
		if i < 0 {
			return out
		}
		b = b[i+1:]
		j := 0
		for j < len(b) && b[j] != '"' {
			if b[j] == '\\' {
				j++
			}
			j++
		}
		out = append(out, b[:min(j, len(b))])
		b = b[min(j+1, len(b)):]
	}
}

func TestPrefilterMatchesReference(t *testing.T) {
	vals := referenceValues(t)
	for _, v := range vals {
		if got, want := prefilter(v), prefilterRef(v); got != want {
			t.Fatalf("prefilter(%q) = %b, the reference says %b", v, got, want)
		}
		if got, want := contextMask(v), contextMaskRef(v); got != want {
			t.Fatalf("contextMask(%q) = %b, the reference says %b", v, got, want)
		}
	}
	t.Logf("%d values", len(vals))
}

func FuzzPrefilterMatchesReference(f *testing.F) {
	for _, s := range prefilterSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := []byte(s)
		if got, want := prefilter(v), prefilterRef(v); got != want {
			t.Fatalf("prefilter(%q) = %b, the reference says %b", v, got, want)
		}
		if got, want := contextMask(v), contextMaskRef(v); got != want {
			t.Fatalf("contextMask(%q) = %b, the reference says %b", v, got, want)
		}
	})
}
