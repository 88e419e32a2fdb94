package proxy_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy/config"
)

// A Salesforce UI API list view narrowed, ordered or searched by a field
// the caller may not read in clear is refused before it reaches the CRM,
// in the CRM's own error format, as a query is: its where (GraphQL filter
// syntax), sortBy and searchTerm, as URL parameters or in a POST body, of
// a list view, a related list or a batch of related lists. A list named by
// id, or a related list, has no known object: its fields count all the
// same (a Name there may be a person's).
func TestUIAPIListViewPredicatesOnProtectedFieldsAreRefused(t *testing.T) {
	u := newUpstream(t, nil)
	h, _ := startHostile(t, u)
	const (
		list    = "/services/data/v62.0/ui-api/list-records/"
		related = "/services/data/v62.0/ui-api/related-list-records/"
	)
	where := func(filter string) string { return "?where=" + url.QueryEscape(filter) }
	ssnLike := `{SSN__c:{like:"1%"}}`
	cases := []struct {
		name, token, method, path, ctype, body string
		status                                 int
		code                                   string
	}{
		{"GET where", "demo-analyst", "GET", list + "Contact/AllContacts" + where(ssnLike), "", "", 403, "policy_denied"},
		{"GET where, guessed value", "demo-analyst", "GET", list + "Contact/AllContacts" + where(`{ and: [ { LeadSource: { eq: "Web" } }, { SSN__c: { eq: "`+ssnGuess+`" } } ] }`), "", "", 403, "policy_denied"},
		{"POST where", "demo-analyst", "POST", list + "Contact/AllContacts", "application/json",
			`{"fields": ["Contact.Id"], "pageSize": 10, "where": "{SSN__c: {like: \"1%\"}}"}`, 403, "policy_denied"},
		{"GET sortBy e-mail", "demo-analyst", "GET", list + "Contact/AllContacts?sortBy=-Email", "", "", 403, "policy_denied"},
		{"POST sortBy e-mail", "demo-analyst", "POST", list + "Contact/AllContacts", "application/json", `{"sortBy": ["Email"]}`, 403, "policy_denied"},
		{"GET searchTerm", "demo-analyst", "GET", list + "Contact/AllContacts?searchTerm=jane.d", "", "", 403, "policy_denied"},
		{"list by id", "demo-analyst", "GET", list + "00BR0000000Wc0rMAC" + where(ssnLike), "", "", 403, "policy_denied"},
		{"list by id, Name of an unknown object", "demo-analyst", "GET", list + "00BR0000000Wc0rMAC" + where(`{Name:{like:"Jane%"}}`), "", "", 403, "policy_denied"},
		{"related list", "demo-analyst", "GET", related + "001RM000003UNu6YAG/Contacts" + where(`{Email:{like:"jane.d%"}}`), "", "", 403, "policy_denied"},
		{"related list batch", "demo-analyst", "POST", related + "batch/001RM000003UNu6YAG", "application/json",
			`{"relatedListParameters": [{"relatedListId": "Opportunities"}, {"relatedListId": "Contacts", "where": "{SSN__c: {like: \"1%\"}}"}]}`, 403, "policy_denied"},
		{"malformed where", "demo-admin", "GET", list + "Contact/AllContacts" + where(`{SSN__c:{like:"1%"}`), "", "", 400, "invalid_query"},
		{"malformed where in a body", "demo-admin", "POST", list + "Contact/AllContacts", "application/json", `{"where": "{SSN__c: {like: 1%}}"}`, 400, "invalid_query"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u.reset()
			res := send(t, c.method, h.veil+c.path, c.token, c.ctype, c.body)
			refused(t, res, c.status, c.code)
			if c.status == 403 && !strings.Contains(string(res.body), "protected_field_predicate") {
				t.Errorf("the refusal does not name the rule: %s", res.body)
			}
			if n := len(u.requests()); n != 0 {
				t.Errorf("the CRM got %d requests", n)
			}
			noLeak(t, h, res, ssnGuess, "jane.d")
		})
	}
}

// A list view narrowed and ordered by fields the caller may use passes:
// a field without personal data, an Account's Name (a company's), and the
// names the default bundle lets the analyst sort by.
func TestUIAPIListViewPredicatesOnReadableFieldsPass(t *testing.T) {
	u := newUpstream(t, nil)
	h, _ := startHostile(t, u)
	const list = "/services/data/v62.0/ui-api/list-records/"
	for _, c := range []struct{ name, method, path, ctype, body string }{
		{"GET where and sortBy", "GET", list + "Contact/AllContacts?where=" + url.QueryEscape(`{LeadSource: {eq: "Web"}}`) + "&sortBy=-Name&pageSize=10", "", ""},
		{"an Account's Name", "GET", list + "Account/AllAccounts?where=" + url.QueryEscape(`{Name: {like: "Acme%"}}`), "", ""},
		{"POST where and sortBy", "POST", list + "Contact/AllContacts", "application/json",
			`{"fields": ["Contact.Id"], "where": "{LeadSource: {eq: \"Web\"}}", "sortBy": ["-CreatedDate"]}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			u.reset()
			res := send(t, c.method, h.veil+c.path, "demo-analyst", c.ctype, c.body)
			if res.status != 200 {
				t.Fatalf("%d %s", res.status, res.body)
			}
			if n := len(u.requests()); n != 1 {
				t.Errorf("the CRM got %d requests", n)
			}
		})
	}
}

// A list view's saved filter and order are predicates: a list view made
// or changed to filter or sort by a field the caller may not read in
// clear is refused before it reaches the CRM, since reading the list
// later, with no where at all, would tell the field's value by the list's
// members. So are a list view's and a related list's order preferences.
func TestUIAPISavedListViewPredicatesOnProtectedFieldsAreRefused(t *testing.T) {
	u := newUpstream(t, nil)
	h, _ := startHostile(t, u)
	const (
		info  = "/services/data/v62.0/ui-api/list-info/"
		prefs = "/services/data/v62.0/ui-api/list-preferences/"
	)
	cases := []struct {
		name, token, method, path, body string
		status                          int
		code                            string
	}{
		{"POST a list view filtered by SSN", "demo-analyst", "POST", info + "Contact",
			`{"listViewApiName": "Probe", "label": "Probe", "filteredByInfo": [{"fieldApiName": "SSN__c", "operandLabels": ["1"], "operator": "StartsWith"}]}`, 403, "policy_denied"},
		{"PATCH a list view to a guessed SSN", "demo-analyst", "PATCH", info + "Contact/AllContacts",
			`{"filteredByInfo": [{"fieldApiName": "LeadSource", "operandLabels": ["Web"], "operator": "Equals"}, {"fieldApiName": "SSN__c", "operandLabels": ["` + ssnGuess + `"], "operator": "Equals"}], "filterLogicString": "1 AND 2"}`, 403, "policy_denied"},
		{"POST as PATCH", "demo-analyst", "POST", info + "Contact/AllContacts?_HttpMethod=PATCH",
			`{"filteredByInfo": [{"fieldApiName": "SSN__c", "operandLabels": ["1"], "operator": "StartsWith"}]}`, 403, "policy_denied"},
		{"a relationship's e-mail", "demo-analyst", "PATCH", info + "Case/MyCases",
			`{"filteredByInfo": [{"fieldApiName": "Contact.Email", "operandLabels": ["jane.d"], "operator": "Contains"}]}`, 403, "policy_denied"},
		{"a list view ordered by e-mail", "demo-analyst", "PATCH", prefs + "Contact/AllContacts",
			`{"orderedBy": [{"fieldApiName": "Email", "isAscending": true}]}`, 403, "policy_denied"},
		{"a related list ordered by birth date", "demo-analyst", "PATCH", "/services/data/v62.0/ui-api/related-list-info/Account/Contacts",
			`{"orderedByInfo": [{"fieldApiName": "Birthdate", "isAscending": true}]}`, 403, "policy_denied"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u.reset()
			res := send(t, c.method, h.veil+c.path, c.token, "application/json", c.body)
			refused(t, res, c.status, c.code)
			if c.status == 403 && !strings.Contains(string(res.body), "protected_field_predicate") {
				t.Errorf("the refusal does not name the rule: %s", res.body)
			}
			if n := len(u.requests()); n != 0 {
				t.Errorf("the CRM got %d requests", n)
			}
			noLeak(t, h, res, ssnGuess, "jane.d")
		})
	}
	// A definition nested deeper than the predicates are read, where the
	// limits let the walk through it, is a query Veil cannot read.
	t.Run("nested too deep", func(t *testing.T) {
		h, _ := startHostile(t, u, withLimits(config.DefaultMaxBodyBytes, 200))
		u.reset()
		body := `{"filteredByInfo": [` + strings.Repeat("[", 100) + `{"fieldApiName": "SSN__c", "operandLabels": ["1"], "operator": "StartsWith"}` + strings.Repeat("]", 100) + `]}`
		res := send(t, "POST", h.veil+info+"Contact", "demo-analyst", "application/json", body)
		refused(t, res, 400, "invalid_query")
		if n := len(u.requests()); n != 0 {
			t.Errorf("the CRM got %d requests", n)
		}
	})
}

// A list view saved with a filter and order on fields the caller may use
// passes: a company's name and revenue, a lead source, and the names the
// default bundle lets the analyst sort by.
func TestUIAPISavedListViewPredicatesOnReadableFieldsPass(t *testing.T) {
	u := newUpstream(t, nil)
	h, _ := startHostile(t, u)
	for _, c := range []struct{ name, method, path, body string }{
		{"POST an Account list view", "POST", "/services/data/v62.0/ui-api/list-info/Account",
			`{"listViewApiName": "BigAccounts", "label": "Big accounts", "filteredByInfo": [{"fieldApiName": "Name", "operandLabels": ["Acme"], "operator": "StartsWith"}, {"fieldApiName": "AnnualRevenue", "operandLabels": ["1000000"], "operator": "GreaterThan"}], "filterLogicString": "1 AND 2", "displayColumns": ["Name"], "visibility": "Private"}`},
		{"PATCH a Contact list view", "PATCH", "/services/data/v62.0/ui-api/list-info/Contact/AllContacts",
			`{"filteredByInfo": [{"fieldApiName": "LeadSource", "operandLabels": ["Web", "Phone Inquiry"], "operator": "Equals"}]}`},
		{"a list view ordered by name", "PATCH", "/services/data/v62.0/ui-api/list-preferences/Contact/AllContacts",
			`{"columnWidths": {"Name": 200}, "orderedBy": [{"fieldApiName": "Name", "isAscending": false}]}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			u.reset()
			res := send(t, c.method, h.veil+c.path, "demo-analyst", "application/json", c.body)
			if res.status != 200 {
				t.Fatalf("%d %s", res.status, res.body)
			}
			if n := len(u.requests()); n != 1 {
				t.Errorf("the CRM got %d requests", n)
			}
		})
	}
}
