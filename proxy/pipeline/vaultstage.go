package pipeline

import (
	"context"
	"errors"
	"net/url"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/transform"
	"github.com/veil-proxy/veil/proxy/vault"
)

// Vault is the tokenization vault as the pipeline uses it (proxy/vault):
// one batched call per message and direction.
type Vault interface {
	Tokenize(ctx context.Context, items []vault.Item) ([]string, error)
	Detokenize(ctx context.Context, tokens []string) ([]vault.Revealed, error)
	Hash(category, value string) string
	Backend() string
}

// vaultWork is what one message needs from the vault: the findings to
// tokenize and the tokens to reveal, and what came back. A key is a body
// finding's index, or -(i+1) for the request URL's finding i.
type vaultWork struct {
	tokenize   []int
	items      []vault.Item
	tokens     []string
	detokenize []int

	out map[int][]byte // key -> replacement text
}

func urlKey(i int) int { return -(i + 1) }

func (w *vaultWork) empty() bool { return len(w.tokenize) == 0 && len(w.detokenize) == 0 }

// addTokenize notes that finding j, text of category, is to be tokenized.
func (w *vaultWork) addTokenize(j int, category string, text []byte) {
	w.tokenize = append(w.tokenize, j)
	w.items = append(w.items, vault.Item{Category: category, Value: string(text)})
}

// addDetokenize notes that finding j, a Veil token, is to be revealed.
func (w *vaultWork) addDetokenize(j int, token []byte) {
	w.detokenize = append(w.detokenize, j)
	w.tokens = append(w.tokens, string(token))
}

// Texts that replace a token the vault cannot reveal.
var (
	// erasedText replaces a token whose value was forgotten (erasure).
	erasedText = []byte("[REDACTED:erased]")
)

// vaultStage runs the vault calls, timed as the "vault" stage; a refusal
// names the decision.
func (p *Pipeline) vaultStage(ctx context.Context, m *Message, dec *policy.Decision, w *vaultWork) *crm.Error {
	t0 := time.Now()
	e := p.runVault(ctx, m.Route.Name, m.Direction, w)
	p.observe(m.Route.Name, m.Direction, "vault", t0)
	if e != nil {
		e.DecisionID = dec.ID
	}
	return e
}

// planURL notes the request URL's findings to tokenize (refusal has
// refused the message if any other action applies to one that cannot be
// left as it is).
func planURL(dec *policy.Decision, urls []urlFind, urlIDs map[int]policy.Finding, w *vaultWork) {
	for i, u := range urls {
		if f, ok := urlIDs[u.id]; ok && tokenizedInPlace(dec, f, u) {
			w.addTokenize(urlKey(i), u.category, []byte(u.v.value[u.start:u.end]))
		}
	}
}

// rewriteURL puts the tokens of the URL's tokenized findings in place: a
// SOQL literal, a query parameter or a path segment, so that a search by
// a value the CRM holds as a token searches by the token.
func rewriteURL(u *url.URL, urls []urlFind, w *vaultWork) {
	type place struct {
		in, param string
		index     int
	}
	type edit struct {
		from, to int
		text     []byte
	}
	edits := map[place][]edit{}
	for i, f := range urls {
		tok, ok := w.out[urlKey(i)]
		if !ok {
			continue
		}
		pl := place{f.v.in, f.v.param, f.v.index}
		edits[pl] = append(edits[pl], edit{f.v.at + f.start, f.v.at + f.end, tok})
	}
	if len(edits) == 0 {
		return
	}
	splice := func(s string, es []edit) string {
		sort.Slice(es, func(a, b int) bool { return es[a].from > es[b].from })
		for _, e := range es {
			s = s[:e.from] + string(e.text) + s[e.to:]
		}
		return s
	}
	q := u.Query()
	segs := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	query, path := false, false
	edited := map[int]bool{}
	for pl, es := range edits {
		switch pl.in {
		case InQuery:
			q[pl.param][pl.index] = splice(q[pl.param][pl.index], es)
			query = true
		case InPath:
			segs[pl.index] = splice(segs[pl.index], es)
			edited[pl.index], path = true, true
		}
	}
	if query {
		u.RawQuery = q.Encode()
	}
	if path {
		u.Path, u.RawPath = "/"+strings.Join(segs, "/"), escapedPath(u.EscapedPath(), segs, edited)
	}
}

// escapedPath is the path to send once the segments of the decoded path
// (split on every '/', as urlValues reads it) are edited: the segments as
// the client sent them (orig, escaped), each one whose decoded parts were
// edited escaped anew. A slash the client escaped (%2F) stays escaped: it
// is part of a segment, not a separator, and the CRM must see the path it
// was sent. "" (escape the decoded path) if orig does not read as segs.
func escapedPath(orig string, segs []string, edited map[int]bool) string {
	raw := strings.Split(strings.TrimPrefix(orig, "/"), "/")
	k := 0
	for i, r := range raw {
		d, err := url.PathUnescape(r)
		if err != nil {
			return ""
		}
		n := strings.Count(d, "/") + 1
		if k+n > len(segs) {
			return ""
		}
		for j := k; j < k+n; j++ {
			if edited[j] {
				parts := make([]string, n)
				for p := range parts {
					parts[p] = url.PathEscape(segs[k+p])
				}
				raw[i] = strings.Join(parts, "%2F")
				break
			}
		}
		k += n
	}
	if k != len(segs) {
		return ""
	}
	return "/" + strings.Join(raw, "/")
}

// runVault makes the message's vault calls, one per kind, and fills w.out.
// Tokenization that fails refuses the message (nothing is stored in the
// clear); revelation that fails leaves the tokens masked.
func (p *Pipeline) runVault(ctx context.Context, route, dir string, w *vaultWork) *crm.Error {
	w.out = make(map[int][]byte, len(w.tokenize)+len(w.detokenize))
	if len(w.items) > 0 {
		var toks []string
		err := errNoVault
		t0 := time.Now()
		if p.vault != nil {
			toks, err = p.vault.Tokenize(ctx, w.items)
		}
		p.vaultDone("tokenize", len(w.items), t0, err)
		if err == nil && len(toks) != len(w.items) {
			err = errVaultAnswer
		}
		switch {
		case err == nil:
			for i, j := range w.tokenize {
				w.out[j] = []byte(toks[i])
			}
		case errors.Is(err, vault.ErrInvalid):
			// A value the vault cannot tokenize (a malformed card number):
			// redacted, never stored as is.
			p.log.Warn("value not tokenizable; redacted", zap.String("route", route), zap.String("direction", dir), zap.Error(err))
			for i, j := range w.tokenize {
				w.out[j] = transform.Redacted(w.items[i].Category)
			}
		default:
			p.log.Error("vault unavailable: message refused", zap.String("route", route), zap.String("direction", dir), zap.Error(err))
			return &crm.Error{Status: 503, Code: crm.CodeVaultUnavailable,
				Message: "The tokenization vault is unavailable; nothing was forwarded. Retry later."}
		}
	}
	if len(w.tokens) > 0 {
		var got []vault.Revealed
		err := errNoVault
		t0 := time.Now()
		if p.vault != nil {
			got, err = p.vault.Detokenize(ctx, w.tokens)
		}
		p.vaultDone("detokenize", len(w.tokens), t0, err)
		if err == nil && len(got) != len(w.tokens) {
			err = errVaultAnswer
		}
		if err != nil {
			p.log.Error("vault unavailable: tokens left masked", zap.String("route", route), zap.String("direction", dir), zap.Error(err))
		}
		for i, j := range w.detokenize {
			tok := []byte(w.tokens[i])
			switch {
			case err != nil:
				w.out[j] = transform.Mask(nil, detectors.CategoryVeilToken, tok)
				p.metrics.VaultValues.WithLabelValues("detokenize", "unavailable").Inc()
			case got[i].Erased:
				w.out[j] = erasedText
				p.metrics.VaultValues.WithLabelValues("detokenize", "erased").Inc()
			case !got[i].Found:
				// Not this vault's token (another deployment's, a store
				// that lost its data, a forgery): nothing to show.
				w.out[j] = transform.Redacted(detectors.CategoryVeilToken)
				p.metrics.VaultValues.WithLabelValues("detokenize", "unknown").Inc()
			case got[i].Category != detectors.TokenCategory(tok):
				// The token's own category and the sealed one disagree:
				// never show a value under the wrong flag.
				w.out[j] = transform.Redacted(detectors.CategoryVeilToken)
				p.metrics.VaultValues.WithLabelValues("detokenize", "mismatch").Inc()
			default:
				w.out[j] = []byte(got[i].Value)
				p.metrics.VaultValues.WithLabelValues("detokenize", "revealed").Inc()
			}
		}
	}
	return nil
}

var (
	errNoVault     = errors.New("no vault configured")
	errVaultAnswer = errors.New("vault answered the wrong number of values")
)

func (p *Pipeline) vaultDone(op string, n int, t0 time.Time, err error) {
	p.metrics.VaultDuration.WithLabelValues(op).Observe(time.Since(t0).Seconds())
	result := "ok"
	if err != nil {
		result = "error"
	}
	p.metrics.VaultCalls.WithLabelValues(op, result).Inc()
	if op == "tokenize" && err == nil {
		p.metrics.VaultValues.WithLabelValues("tokenize", "tokenized").Add(float64(n))
	}
}

// hashed is the hash action's replacement for text of category; without
// a vault (whose keys the hash needs) it is a redaction.
func (p *Pipeline) hashed(category string, text []byte) []byte {
	if p.vault == nil {
		return transform.Redacted(category)
	}
	return []byte(p.vault.Hash(category, string(text)))
}
