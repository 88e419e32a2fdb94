package scan

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/proxy/body"
)

// resolve follows an RFC 6901 pointer through a document decoded by
// encoding/json (numbers kept as json.Number).
func resolve(doc any, ptr string) (any, bool) {
	if ptr == "" {
		return doc, true
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, false
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch v := doc.(type) {
		case map[string]any:
			next, ok := v[tok]
			if !ok {
				return nil, false
			}
			doc = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(v) {
				return nil, false
			}
			doc = v[i]
		default:
			return nil, false
		}
	}
	return doc, true
}

// FuzzScanJSON: decode + detect end to end never panics, and every
// finding's pointer leads (as encoding/json reads the document) to a
// string or number whose bytes Start:End are the finding's text.
func FuzzScanJSON(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(corpusDir, "00*.json"))
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil && !strings.HasSuffix(p, ".expect.json") {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"records":[{"attributes":{"type":"Contact"},"Email":"jane@x.com","Phone":"(206) 328-3475","a/b~c":"SSN 123-45-6789"}]}`))
	f.Add([]byte(`["\u0041\ud83d\ude00 4111 1111 1111 1111", 4155550143, {"Phone": 4155550143}]`))
	s := detectors.NewScanner(detectors.Default())
	f.Fuzz(func(t *testing.T, doc []byte) {
		finds, err := JSON(s, doc, body.Limits{})
		if err != nil {
			return
		}
		var v any
		dec := json.NewDecoder(strings.NewReader(string(doc)))
		dec.UseNumber()
		if dec.Decode(&v) != nil {
			return // WalkJSON is stricter in places, never laxer: nothing to compare
		}
		for _, fd := range finds {
			leaf, ok := resolve(v, fd.Pointer)
			if !ok {
				t.Fatalf("pointer %q of %+v does not resolve in %q", fd.Pointer, fd, doc)
			}
			var text string
			switch l := leaf.(type) {
			case string:
				text = l
			case json.Number:
				text = string(l)
			default:
				t.Fatalf("pointer %q leads to %T", fd.Pointer, leaf)
			}
			if fd.Start < 0 || fd.End > len(text) || text[fd.Start:fd.End] != fd.Text {
				t.Fatalf("finding %+v is not text[%d:%d] of %q", fd, fd.Start, fd.End, text)
			}
		}
	})
}
