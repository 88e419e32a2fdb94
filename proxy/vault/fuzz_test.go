package vault

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/detectors"
)

func FuzzParseKeys(f *testing.F) {
	f.Add("k1 " + b64(1) + "\n")
	f.Add("# comment\n\nk1 " + b64(1) + "\nk2 " + b64(2) + "\n")
	f.Add(b64(1) + " k1\n")
	f.Add("k1 " + b64(1) + "\nk1 " + b64(2))
	f.Add("k1 AAAA\n")
	f.Add("K1 " + b64(3) + " x\r\n")
	f.Fuzz(func(t *testing.T, text string) {
		r, err := ParseKeys(strings.NewReader(text))
		if err != nil {
			// No error quotes a field that is not a key id: it may be a
			// secret.
			for _, fld := range strings.Fields(text) {
				if len(fld) >= 8 && checkID(fld) != nil && strings.Contains(err.Error(), fld) {
					t.Fatalf("error %q quotes %q", err, fld)
				}
			}
			return
		}
		ids := r.IDs()
		if len(ids) == 0 || ids[len(ids)-1] != r.Active() {
			t.Fatalf("ids %v, active %s", ids, r.Active())
		}
		seen := map[string]bool{}
		for _, id := range ids {
			if checkID(id) != nil || seen[id] {
				t.Fatalf("id %q in %v", id, ids)
			}
			seen[id] = true
		}
	})
}

// FuzzDetokenize puts arbitrary bytes under a token's index entry, or
// under a real token's: Detokenize never panics and never reveals a value
// that was not sealed for that token.
func FuzzDetokenize(f *testing.F) {
	ctx := context.Background()
	keys := ring(f, "k1", testKey("k1", 1))
	real := map[string]Revealed{}
	seed := New(keys, NewMemoryStore())
	for _, it := range sampleItems() {
		toks, err := seed.Tokenize(ctx, []Item{it})
		if err != nil {
			f.Fatal(err)
		}
		real[toks[0]] = Revealed{Value: it.Value, Category: it.Category, Found: true}
		env, err := seal(keys.active(), it.Category, toks[0], it.Value)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(toks[0], env)
	}
	f.Add("vt.9vf5d1fg", []byte{1, 2, 'k', '1', 6, 'u', 's', '_', 's', 's', 'n'})
	f.Add("", []byte{})
	f.Add("+999 123456789", []byte{envelopeV1, 0, 0})
	f.Fuzz(func(t *testing.T, token string, env []byte) {
		if _, _, err := open(keys.active(), env, token); err == nil {
			if r, ok := real[token]; !ok || env == nil {
				t.Fatalf("arbitrary bytes opened for %q (%v)", token, r)
			}
		}
		s := NewMemoryStore()
		v := New(keys, s)
		if _, err := s.PutIfAbsent(ctx, []string{indexKey(keys.active(), token)}, [][]byte{env}); err != nil {
			t.Fatal(err)
		}
		got, err := v.Detokenize(ctx, []string{token, token})
		if err != nil || len(got) != 2 {
			t.Fatalf("%v %v", got, err)
		}
		if got[0].Found && got[0] != real[token] {
			t.Fatalf("%q reads %+v", token, got[0])
		}
		if got[0].Found && got[0].Category != detectors.TokenCategory([]byte(token)) {
			t.Fatalf("%q reads category %s", token, got[0].Category)
		}
	})
}

// FuzzTokenize: any value of any category is tokenized into a token of
// its category that reads back as the value, or refused as ErrInvalid.
func FuzzTokenize(f *testing.F) {
	for c, v := range samples {
		f.Add(c, v)
	}
	f.Add("credit_card", "4111")
	f.Add("veil_token", "vt.9vf5d1fg")
	f.Add("phone", "+")
	v := New(ring(f, "k1", testKey("k1", 1)), NewMemoryStore())
	f.Fuzz(func(t *testing.T, category, value string) {
		ctx := context.Background()
		toks, err := v.Tokenize(ctx, []Item{{category, value}})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%s %q: %v", category, value, err)
			}
			// The error may name the category it was given (a detector's,
			// never a value; token.go quotes it as %.40q); nothing else
			// in it may show the value (it names the category once).
			msg := strings.Replace(err.Error(), fmt.Sprintf("%.40q", category), "", 1)
			if len(value) >= 4 && strings.Contains(msg, value) {
				t.Fatalf("the error shows the value: %v", err)
			}
			return
		}
		if got := detectors.TokenCategory([]byte(toks[0])); got != category {
			t.Fatalf("%s %q: token %q reads as %q", category, value, toks[0], got)
		}
		got, err := v.Detokenize(ctx, toks)
		if err != nil || !got[0].Found || got[0].Category != category || normalize(category, got[0].Value) != normalize(category, value) {
			t.Fatalf("%s %q: %q reads %+v %v", category, value, toks[0], got, err)
		}
	})
}
