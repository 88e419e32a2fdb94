package crm

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/veil-proxy/veil/proxy/config"
)

var (
	fuzzClauses = map[string]bool{ClauseWhere: true, ClauseHaving: true, ClauseOrderBy: true, ClauseGroupBy: true,
		ClauseSearch: true, ClauseFilter: true, ClauseSort: true, ClauseLookup: true}
	fuzzOps = map[string]bool{PredEq: true, PredNe: true, PredRange: true, PredLike: true, PredExists: true,
		PredSort: true, PredGroup: true, PredSearch: true, PredOther: true}
)

// checkPredicates: the result is bounded, names known clauses and
// operators, and every value comes from one of the inputs (a substring of
// one when none has a backslash, no longer than the input otherwise).
func checkPredicates(t *testing.T, got []Predicate, inputs ...string) {
	t.Helper()
	if len(got) > MaxPredicates {
		t.Fatalf("%d predicates", len(got))
	}
	escaped, total := false, 0
	for _, in := range inputs {
		escaped = escaped || strings.Contains(in, `\`)
		total += len(in)
	}
	for _, p := range got {
		if !fuzzClauses[p.Clause] || !fuzzOps[p.Op] {
			t.Fatalf("unknown clause or operator: %+v", p)
		}
		for _, v := range p.Values {
			if len(v) > total {
				t.Fatalf("value %q longer than the input", v)
			}
			if escaped {
				continue
			}
			found := false
			for _, in := range inputs {
				found = found || strings.Contains(in, v)
			}
			if !found {
				t.Fatalf("value %q is not in the input %q", v, inputs)
			}
		}
	}
}

// FuzzQueryPredicates: any text parses without panicking into a bounded
// list of predicates whose values are the text's literals.
func FuzzQueryPredicates(f *testing.F) {
	for _, c := range queryCases {
		f.Add(c.q)
	}
	for _, c := range urlCases {
		if q, err := parseQ(c.query); err == nil && q != "" {
			f.Add(q)
		}
	}
	f.Add("SELECT Id FROM Contact WHERE Id IN ((SELECT Id FROM Lead))")
	f.Add("SELECT a FROM b c, c.d e WHERE e.f = 1 AND COUNT(x) IN (1, (2))")
	// A UI API list view's where, sortBy and searchTerm.
	for _, c := range urlCases {
		if !strings.Contains(c.path, "/ui-api/") {
			continue
		}
		if query, err := url.ParseQuery(c.query); err == nil {
			for _, name := range [...]string{"where", "sortBy", "searchTerm"} {
				for _, v := range query[name] {
					f.Add(v)
				}
			}
		}
	}
	f.Add(`{not: {Account: {Owner: {Email: {in: ["a", "b"]}}}}, Phone: {ne: null}, X: [{eq: 1}, 2]}`)
	f.Add("Contacts:-Contact.Email; Opportunities:Amount,,.,a.b.")
	f.Fuzz(func(t *testing.T, q string) {
		got, _ := QueryPredicates(nil, q)
		checkPredicates(t, got, q)
		// A parameterized search's where and orderBy parse the same way.
		got, _ = clausePredicates(nil, q, "Contact", clWhere)
		checkPredicates(t, got, q)
		// A list view's parameters: the text as a where, a sortBy and a
		// searchTerm.
		got, err := uiAPIListURL(nil, "Contact", url.Values{"where": {q}, "sortBy": {q}, "searchTerm": {q}})
		if err != nil && err != ErrQuerySyntax && err != ErrTooManyPredicates {
			t.Fatalf("unexpected error %v", err)
		}
		checkPredicates(t, got, q)
	})
}

func parseQ(raw string) (string, error) {
	for _, kv := range strings.Split(raw, "&") {
		if k, v, _ := strings.Cut(kv, "="); k == "q" {
			return strings.NewReplacer("+", " ", "%25", "%", "%7B", "{", "%7D", "}").Replace(v), nil
		}
	}
	return "", nil
}

var fuzzBodyPaths = []struct{ dialect, method, path string }{
	{config.DialectSalesforce, "POST", sfGraphQL},
	{config.DialectHubSpot, "POST", hsSearch},
	{config.DialectHubSpot, "POST", "/crm/v3/objects/contacts/batch/read"},
	{config.DialectSalesforce, "POST", "/services/data/v62.0/parameterizedSearch"},
	{config.DialectSalesforce, "POST", uiList + "Account/AllAccounts"},
	{config.DialectSalesforce, "POST", uiRelated + "batch/001RM000003UNu6YAG"},
	// A list view's saved filter and order.
	{config.DialectSalesforce, "POST", uiListInfo + "Contact"},
	{config.DialectSalesforce, "PATCH", uiListInfo + "Contact/AllContacts"},
	{config.DialectSalesforce, "PATCH", uiListPrefs + "Contact/AllContacts"},
	{config.DialectSalesforce, "PATCH", "/services/data/v62.0/ui-api/related-list-info/Account/Contacts"},
}

// FuzzBodyPredicates: any JSON body of a search, batch read,
// parameterized search, UI API list view or list view definition, and
// any GraphQL document with any variables, reads without panicking into a
// bounded list of predicates whose values come from the body.
func FuzzBodyPredicates(f *testing.F) {
	for _, c := range bodyCases {
		var req struct {
			Query     string          `json:"query"`
			Variables json.RawMessage `json:"variables"`
		}
		if c.path == sfGraphQL && json.Unmarshal([]byte(c.body), &req) == nil {
			f.Add(byte(0), req.Query, string(req.Variables))
			continue
		}
		for i, p := range fuzzBodyPaths {
			if p.path == c.path {
				f.Add(byte(i), c.body, "")
			}
		}
	}
	f.Add(byte(0), `query($a: X = {B: {eq: "1"}}) { Q(where: {and: [$a, $a, $a]}, orderBy: $o) { x } }`, `{"o": {"A": {"order": "ASC"}}}`)
	f.Add(byte(0), `{ Q(where: """block "x" """) }`, `{}`)
	f.Add(byte(4), `{"where": {"and": [{"Email": {"eq": "a"}}, {"Owner": {"Phone": {"like": "1%"}}}]}, "sortBy": "Name,-Email", "searchTerm": ["x", 1]}`, "")
	for _, c := range savedListCases {
		for i, p := range fuzzBodyPaths {
			if p.method == c.method && p.path == c.path {
				f.Add(byte(i), c.body, "")
			}
		}
	}
	f.Add(byte(7), `{"filteredByInfo": {"fieldApiName": "a.b.", "operandLabels": [[1, {"x": "y"}], null, true], "operator": ["Equals"]},
		"FilteredByInfo": [{"FIELDAPINAME": ".", "fieldApiName": "x", "fieldApiName": "y", "operator": "within"}],
		"orderedBy": {"fieldApiName": "Owner.Email"}, "orderedByInfo": [null, 1, {"fieldApiName": ["z"]}]}`, "")
	f.Fuzz(func(t *testing.T, sel byte, doc, vars string) {
		p := fuzzBodyPaths[int(sel)%len(fuzzBodyPaths)]
		if p.path != sfGraphQL {
			got, _ := BodyPredicates(nil, p.dialect, p.method, p.path, []byte(doc))
			if utf8.ValidString(doc) {
				checkPredicates(t, got, doc)
			} else if len(got) > MaxPredicates {
				t.Fatalf("%d predicates", len(got))
			}
			return
		}
		if !utf8.ValidString(doc) || !utf8.ValidString(vars) {
			return
		}
		q, _ := json.Marshal(doc)
		body := `{"query": ` + string(q)
		if json.Valid([]byte(vars)) {
			body += `, "variables": ` + vars
		}
		body += "}"
		got, err := BodyPredicates(nil, p.dialect, p.method, p.path, []byte(body))
		if err != nil && err != ErrQuerySyntax && err != ErrTooManyPredicates {
			t.Fatalf("unexpected error %v", err)
		}
		checkPredicates(t, got, doc, vars)
	})
}
