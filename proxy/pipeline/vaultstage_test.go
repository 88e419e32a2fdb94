package pipeline

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy/crm"
	"github.com/veil-proxy/veil/proxy/vault"
)

// countingVault counts the batched calls and can be made unavailable.
type countingVault struct {
	vault.Vault
	tokenizeCalls, detokenizeCalls int
	down                           bool
}

func (v *countingVault) Tokenize(ctx context.Context, items []vault.Item) ([]string, error) {
	v.tokenizeCalls++
	if v.down {
		return nil, vault.ErrUnavailable
	}
	return v.Vault.Tokenize(ctx, items)
}

func (v *countingVault) Detokenize(ctx context.Context, tokens []string) ([]vault.Revealed, error) {
	v.detokenizeCalls++
	if v.down {
		return nil, vault.ErrUnavailable
	}
	return v.Vault.Detokenize(ctx, tokens)
}

func memoryVault(t *testing.T) *countingVault {
	t.Helper()
	k, err := vault.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	ring, err := vault.NewKeyring([]vault.Key{k}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	return &countingVault{Vault: vault.NewMemory(ring)}
}

// defaults is a decider answering the same category defaults for every
// message.
func defaults(m map[string]string) *decider {
	return &decider{make: func(*policy.Input) (*policy.Decision, error) {
		return &policy.Decision{ID: "d1", Allow: true, Default: m}, nil
	}}
}

func write(body string) *Message {
	m := message()
	m.Direction, m.Method, m.Path = DirRequest, "PATCH", "/services/data/v62.0/sobjects/Contact/003A"
	m.Call = crm.Call{Operation: crm.OpUpdate, Object: "Contact"}
	m.Body = []byte(body)
	return m
}

func read(body string) *Message {
	m := message()
	m.Call = crm.Call{Operation: crm.OpRetrieve, Object: "Contact"}
	m.Body = []byte(body)
	return m
}

func TestTokenizeOnWriteIsOneBatchedCall(t *testing.T) {
	v := memoryVault(t)
	p := pipe(defaults(map[string]string{"us_ssn": "tokenize", "email": "tokenize", "person_name": "allow"}))
	p.vault = v
	res := p.Process(context.Background(), write(`{"LastName":"Doe","SSN__c":"123-45-6789","Email":"jane.doe@example.com","Description":"SSN 123-45-6789 again"}`))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	out := string(res.Body)
	if strings.Contains(out, "123-45-6789") || strings.Contains(out, "jane.doe@example.com") {
		t.Fatalf("a value reached the CRM: %s", out)
	}
	if v.tokenizeCalls != 1 {
		t.Errorf("%d tokenize calls for one message, want 1", v.tokenizeCalls)
	}
	// The same SSN twice: the same token, so the CRM can still match it.
	found := detectors.NewScanner(detectors.Default()).Scan(nil, res.Body, detectors.Field{})
	var tokens []string
	for _, f := range found {
		if f.Category == detectors.CategoryVeilToken {
			tokens = append(tokens, string(res.Body[f.Start:f.End]))
		}
	}
	if len(tokens) != 3 || tokens[0] != tokens[2] || !strings.HasSuffix(tokens[1], "@veil.invalid") || len(tokens[0]) != len("123-45-6789") {
		t.Fatalf("tokens %q in %s", tokens, out)
	}
	// And they read back.
	got, err := v.Detokenize(context.Background(), tokens)
	if err != nil || got[0].Value != "123-45-6789" || got[1].Value != "jane.doe@example.com" {
		t.Errorf("detokenize: %+v %v", got, err)
	}
}

func TestTokenizeFailsClosed(t *testing.T) {
	for name, v := range map[string]Vault{"down": &countingVault{Vault: memoryVault(t).Vault, down: true}, "no vault": nil} {
		t.Run(name, func(t *testing.T) {
			p := pipe(defaults(map[string]string{"us_ssn": "tokenize"}))
			if v != nil {
				p.vault = v
			}
			res := p.Process(context.Background(), write(`{"SSN__c":"123-45-6789"}`))
			if res.Err == nil || res.Err.Status != 503 || res.Err.Code != crm.CodeVaultUnavailable || res.Err.DecisionID != "d1" {
				t.Fatalf("want a 503 vault_unavailable naming the decision, got %+v", res.Err)
			}
			if res.Body != nil || strings.Contains(res.Err.Message, "123") {
				t.Errorf("the refusal carries a body or the value: %+v", res)
			}
		})
	}
}

func TestDetokenizeOnRead(t *testing.T) {
	ctx := context.Background()
	v := memoryVault(t)
	toks, err := v.Tokenize(ctx, []vault.Item{{Category: "us_ssn", Value: "123-45-6789"}, {Category: "email", Value: "jane@example.com"}, {Category: "iban", Value: "DE89370400440532013000"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Forget(ctx, toks[2]); err != nil {
		t.Fatal(err)
	}
	// A well-formed token another vault (another key) issued: unknown here.
	foreign, err := memoryVault(t).Tokenize(ctx, []vault.Item{{Category: "us_ssn", Value: "123-45-6789"}})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"SSN__c":"` + toks[0] + `","Email":"` + toks[1] + `","IBAN__c":"` + toks[2] + `","Old__c":"` + foreign[0] + `"}`

	p := pipe(defaults(map[string]string{"veil_token": "detokenize"}))
	p.vault = v
	res := p.Process(ctx, read(body))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	want := `{"SSN__c":"123-45-6789","Email":"jane@example.com","IBAN__c":"[REDACTED:erased]","Old__c":"[REDACTED:veil_token]"}`
	if string(res.Body) != want || v.detokenizeCalls != 1 {
		t.Errorf("got %s after %d calls\nwant %s after 1", res.Body, v.detokenizeCalls, want)
	}

	// The vault down: tokens come back masked, never an error page.
	v.down = true
	res = p.Process(ctx, read(body))
	if res.Err != nil || strings.Contains(string(res.Body), toks[0]) || strings.Contains(string(res.Body), "123-45") || !strings.Contains(string(res.Body), `"SSN__c":"**.********"`) {
		t.Errorf("vault down: %+v %s", res.Err, res.Body)
	}

	// Readers the policy does not let detokenize keep the tokens.
	keep := pipe(defaults(map[string]string{"veil_token": "allow"}))
	keep.vault = v
	if res := keep.Process(ctx, read(body)); res.Err != nil || res.Changed {
		t.Errorf("allow changed the tokens: %+v %s", res.Err, res.Body)
	}
}

func TestDetokenizeOnlyTokensOnResponses(t *testing.T) {
	ctx := context.Background()
	v := memoryVault(t)
	toks, err := v.Tokenize(ctx, []vault.Item{{Category: "us_ssn", Value: "123-45-6789"}})
	if err != nil {
		t.Fatal(err)
	}
	p := pipe(defaults(map[string]string{"veil_token": "detokenize", "email": "detokenize"}))
	p.vault = v
	// A write carries tokens as they are; detokenize on clear data passes it.
	res := p.Process(ctx, write(`{"SSN__c":"`+toks[0]+`","Email":"jane@example.com"}`))
	if res.Err != nil || res.Changed || v.detokenizeCalls != 0 {
		t.Errorf("write: %+v changed %v, %d detokenize calls", res.Err, res.Changed, v.detokenizeCalls)
	}
}

func TestTokenCategoryReachesThePolicy(t *testing.T) {
	ctx := context.Background()
	v := memoryVault(t)
	toks, err := v.Tokenize(ctx, []vault.Item{{Category: "us_ssn", Value: "123-45-6789"}, {Category: "credit_card", Value: "4111 1111 1111 1111"}})
	if err != nil {
		t.Fatal(err)
	}
	d := defaults(map[string]string{"veil_token": "allow"})
	p := pipe(d)
	p.vault = v
	if res := p.Process(ctx, read(`{"SSN__c":"`+toks[0]+`","Card_Number__c":"`+toks[1]+`"}`)); res.Err != nil {
		t.Fatal(res.Err)
	}
	var cats []string
	for _, f := range d.seen.Findings {
		cats = append(cats, f.Category+"/"+f.TokenCategory)
	}
	if strings.Join(cats, " ") != "veil_token/us_ssn veil_token/credit_card" {
		t.Errorf("findings %v", cats)
	}
}

func TestHashAction(t *testing.T) {
	v := memoryVault(t)
	p := pipe(defaults(map[string]string{"email": "hash"}))
	p.vault = v
	res := p.Process(context.Background(), read(`{"Email":"jane@example.com","Other":"jane@example.com"}`))
	h := v.Hash("email", "jane@example.com")
	if want := `{"Email":"` + h + `","Other":"` + h + `"}`; res.Err != nil || string(res.Body) != want || !strings.HasPrefix(h, "vh.") {
		t.Errorf("got %s, want %s", res.Body, want)
	}
	// Without keys the hash cannot be computed: redacted.
	bare := pipe(defaults(map[string]string{"email": "hash"}))
	if res := bare.Process(context.Background(), read(`{"Email":"jane@example.com"}`)); string(res.Body) != `{"Email":"[REDACTED:email]"}` {
		t.Errorf("no vault: %s", res.Body)
	}
}

// A search by a value the CRM holds as a token searches by the token: the
// SOQL literal is rewritten in place, the rest of the query untouched. A
// literal with escapes cannot be rewritten exactly, so it is refused.
func TestTokenizedSearchTermsAreRewritten(t *testing.T) {
	ctx := context.Background()
	v := memoryVault(t)
	p := pipe(defaults(map[string]string{"us_ssn": "tokenize", "email": "allow"}))
	p.vault = v
	toks, err := v.Tokenize(ctx, []vault.Item{{Category: "us_ssn", Value: "219-09-9999"}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(rawURL string) (*Message, Result) {
		u, err := url.Parse(rawURL)
		if err != nil {
			t.Fatal(err)
		}
		m := message()
		m.Direction, m.Body, m.URL = DirRequest, nil, u
		m.Call = crm.Call{Operation: crm.OpQuery, Object: "Contact"}
		return m, p.Process(ctx, m)
	}
	soql := "SELECT Id FROM Contact WHERE SSN__c = '219-09-9999' AND Email = 'jane@example.com'"
	m, res := get("/services/data/v62.0/query?q=" + url.QueryEscape(soql))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	want := "SELECT Id FROM Contact WHERE SSN__c = '" + toks[0] + "' AND Email = 'jane@example.com'"
	if got := m.URL.Query().Get("q"); got != want {
		t.Errorf("q = %q\nwant %q", got, want)
	}
	// A path segment (HubSpot's idProperty) too.
	m, res = get("/crm/v3/objects/contacts/219-09-9999?idProperty=ssn")
	if res.Err != nil || m.URL.Path != "/crm/v3/objects/contacts/"+toks[0] || m.URL.RawQuery != "idProperty=ssn" {
		t.Errorf("path: %v %s?%s", res.Err, m.URL.Path, m.URL.RawQuery)
	}
	// An escaped literal: refused rather than guessed.
	_, res = get("/services/data/v62.0/query?q=" + url.QueryEscape(`SELECT Id FROM Contact WHERE SSN__c = '219-09-9999\'' `))
	if res.Err == nil || res.Err.Code != crm.CodePolicyDenied {
		t.Errorf("escaped literal: %+v", res.Err)
	}
	// The vault down: refused, the URL unchanged.
	v.down = true
	m, res = get("/services/data/v62.0/query?q=" + url.QueryEscape(soql))
	if res.Err == nil || res.Err.Code != crm.CodeVaultUnavailable || m.URL.Query().Get("q") != soql {
		t.Errorf("vault down: %+v %s", res.Err, m.URL.RawQuery)
	}
}
