package detectors

import "bytes"

// Secret finds credentials by their published formats: AWS access key ids,
// GitHub tokens, Slack tokens, Stripe keys, PEM private keys and JWTs. The
// detector name says which; the category is always secret.
type Secret struct{}

func (Secret) Name() string     { return "secret" }
func (Secret) Category() string { return CategorySecret }
func (Secret) trigger() trigger { return trigSecret }

type secretShape struct {
	detector string
	prefix   []byte
	body     func(c byte) bool
	min, max int // body length bounds
}

func isB62(c byte) bool    { return isDigit(c) || isUpperOrLower(c) }
func isUpDig(c byte) bool  { return isDigit(c) || c >= 'A' && c <= 'Z' }
func isSlack(c byte) bool  { return isB62(c) || c == '-' }
func isB64URL(c byte) bool { return isB62(c) || c == '-' || c == '_' }

var secretShapes = []secretShape{
	{"aws_access_key", []byte("AKIA"), isUpDig, 16, 16},
	{"aws_access_key", []byte("ASIA"), isUpDig, 16, 16},
	{"github_token", []byte("ghp_"), isB62, 36, 36},
	{"github_token", []byte("gho_"), isB62, 36, 36},
	{"github_token", []byte("ghu_"), isB62, 36, 36},
	{"github_token", []byte("ghs_"), isB62, 36, 36},
	{"github_token", []byte("ghr_"), isB62, 36, 36},
	{"github_token", []byte("github_pat_"), func(c byte) bool { return isB62(c) || c == '_' }, 59, 255},
	{"slack_token", []byte("xoxb-"), isSlack, 20, 255},
	{"slack_token", []byte("xoxp-"), isSlack, 20, 255},
	{"slack_token", []byte("xoxa-"), isSlack, 20, 255},
	{"slack_token", []byte("xoxr-"), isSlack, 20, 255},
	{"slack_token", []byte("xoxs-"), isSlack, 20, 255},
	{"stripe_key", []byte("sk_live_"), isB62, 16, 255},
	{"stripe_key", []byte("rk_live_"), isB62, 16, 255},
	{"stripe_key", []byte("sk_test_"), isB62, 16, 255},
}

// secretUnderscore reports whether the '_' at v[i] ends the first part of
// a secret format's head that has one: ghp_, gho_, ghu_, ghs_, ghr_ and
// github_pat_ (GitHub), sk_live_, rk_live_ and sk_test_ (Stripe). Any
// other '_' wakes nothing: Salesforce names end in __c, and a SOQL query
// naming custom fields would otherwise be searched for every format.
// TestSecretUnderscoreHeads holds it to secretShapes.
func secretUnderscore(v []byte, i int) bool {
	switch {
	case i >= 2 && v[i-1] == 'k':
		return v[i-2] == 's' || v[i-2] == 'r'
	case i >= 3 && v[i-3] == 'g' && v[i-2] == 'h':
		switch v[i-1] {
		case 'p', 'o', 'u', 's', 'r':
			return true
		}
	case i >= 6:
		return string(v[i-6:i]) == "github"
	}
	return false
}

var (
	pemBegin = []byte("-----BEGIN ")
	pemKey   = []byte("PRIVATE KEY-----")
	pemEnd   = []byte("-----END ")
)

func (Secret) Find(dst []Finding, v []byte, _ Field) []Finding {
	for _, s := range secretShapes {
		for off := 0; off < len(v); {
			i := bytes.Index(v[off:], s.prefix)
			if i < 0 {
				break
			}
			start := off + i
			end := start + len(s.prefix)
			for end < len(v) && s.body(v[end]) && end-start-len(s.prefix) < s.max {
				end++
			}
			n := end - start - len(s.prefix)
			boundary := (start == 0 || !isB62(v[start-1])) && (end == len(v) || !isB64URL(v[end]))
			if n >= s.min && boundary {
				dst = append(dst, Finding{Category: CategorySecret, Detector: s.detector, Start: start, End: end, Confidence: 0.97})
			}
			off = end
		}
	}
	dst = findPEM(dst, v)
	return findJWT(dst, v)
}

// findPEM reports a PEM private key block, header to footer (or the header
// alone when the block is cut).
func findPEM(dst []Finding, v []byte) []Finding {
	for off := 0; off < len(v); {
		i := bytes.Index(v[off:], pemBegin)
		if i < 0 {
			break
		}
		start := off + i
		nl := bytes.IndexByte(v[start:], '\n')
		line := v[start:]
		if nl >= 0 {
			line = v[start : start+nl]
		}
		if !bytes.Contains(line, pemKey) {
			off = start + len(pemBegin)
			continue
		}
		end := start + bytes.Index(line, pemKey) + len(pemKey)
		if j := bytes.Index(v[end:], pemEnd); j >= 0 {
			if k := bytes.Index(v[end+j:], []byte("KEY-----")); k >= 0 {
				end = end + j + k + len("KEY-----")
			}
		}
		dst = append(dst, Finding{Category: CategorySecret, Detector: "private_key", Start: start, End: end, Confidence: 0.99})
		off = end
	}
	return dst
}

// findJWT reports header.payload.signature where the header and payload
// are base64url JSON objects (they start with "eyJ", which is `{"`).
func findJWT(dst []Finding, v []byte) []Finding {
	for off := 0; off < len(v); {
		i := bytes.Index(v[off:], []byte("eyJ"))
		if i < 0 {
			break
		}
		start := off + i
		end, dots := start, 0
		for end < len(v) && (isB64URL(v[end]) || v[end] == '.' && dots < 2) {
			if v[end] == '.' {
				dots++
			}
			end++
		}
		seg := bytes.Split(v[start:end], []byte("."))
		if dots == 2 && len(seg) == 3 && len(seg[0]) >= 10 && bytes.HasPrefix(seg[1], []byte("eyJ")) && len(seg[2]) >= 16 && (start == 0 || !isB64URL(v[start-1])) {
			dst = append(dst, Finding{Category: CategorySecret, Detector: "jwt", Start: start, End: end, Confidence: 0.97})
		}
		off = end + 1
	}
	return dst
}
