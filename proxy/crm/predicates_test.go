package crm

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy/config"
)

// pr builds an expected Predicate; values nil when none are given.
func pr(object, field, clause, op string, values ...string) Predicate {
	if len(values) == 0 {
		values = nil
	}
	return Predicate{Object: object, Field: field, Clause: clause, Op: op, Values: values}
}

type queryCase struct {
	q    string
	want []Predicate
	err  error
}

var queryCases = []queryCase{
	{q: `SELECT Id FROM Contact WHERE SSN__c LIKE '1%'`,
		want: []Predicate{pr("Contact", "SSN__c", ClauseWhere, PredLike, "1%")}},
	{q: `SELECT Id FROM Contact WHERE Email = 'a@b.c' AND (Phone != null OR MobilePhone IN ('1','2'))`,
		want: []Predicate{
			pr("Contact", "Email", ClauseWhere, PredEq, "a@b.c"),
			pr("Contact", "Phone", ClauseWhere, PredExists),
			pr("Contact", "MobilePhone", ClauseWhere, PredEq, "1", "2"),
		}},
	{q: `SELECT Id FROM Contact ORDER BY LastName DESC NULLS LAST, Email`,
		want: []Predicate{
			pr("Contact", "LastName", ClauseOrderBy, PredSort),
			pr("Contact", "Email", ClauseOrderBy, PredSort),
		}},
	{q: `SELECT Email, COUNT(Id) FROM Contact GROUP BY Email HAVING COUNT(Id) > 1`,
		want: []Predicate{
			pr("Contact", "Email", ClauseGroupBy, PredGroup),
			pr("Contact", "Id", ClauseHaving, PredOther, "1"),
		}},
	{q: `SELECT Id FROM Contact WHERE CreatedDate = LAST_N_DAYS:30`,
		want: []Predicate{pr("Contact", "CreatedDate", ClauseWhere, PredEq)}},
	// A parent-child subquery has its own object and clauses.
	{q: `SELECT Name, (SELECT LastName FROM Contacts WHERE Email LIKE 'j%' ORDER BY Birthdate) FROM Account WHERE Name = 'Acme'`,
		want: []Predicate{
			pr("Contacts", "Email", ClauseWhere, PredLike, "j%"),
			pr("Contacts", "Birthdate", ClauseOrderBy, PredSort),
			pr("Account", "Name", ClauseWhere, PredEq, "Acme"),
		}},
	// A semi-join's fields are its object's.
	{q: `SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE SSN__c = '1') AND Name <> 'x'`,
		want: []Predicate{
			pr("Account", "Id", ClauseWhere, PredEq),
			pr("Contact", "SSN__c", ClauseWhere, PredEq, "1"),
			pr("Account", "Name", ClauseWhere, PredNe, "x"),
		}},
	{q: `SELECT Id FROM Contact WHERE Id NOT IN (SELECT WhoId FROM Task WHERE Subject LIKE 'x%')`,
		want: []Predicate{
			pr("Contact", "Id", ClauseWhere, PredNe),
			pr("Task", "Subject", ClauseWhere, PredLike, "x%"),
		}},
	{q: `SELECT Contact.Email FROM Case WHERE Contact.HasOptedOutOfEmail = false`,
		want: []Predicate{pr("Contact", "HasOptedOutOfEmail", ClauseWhere, PredEq)}},
	{q: `SELECT Id FROM Opportunity WHERE Account.Owner.Email = 'x@y.z'`,
		want: []Predicate{pr("Owner", "Email", ClauseWhere, PredEq, "x@y.z")}},
	{q: `SELECT Id FROM Contact WHERE LastName = 'O\'Brien' OR Title LIKE 'a\\b\%' OR Description = 'x\ny'`,
		want: []Predicate{
			pr("Contact", "LastName", ClauseWhere, PredEq, "O'Brien"),
			pr("Contact", "Title", ClauseWhere, PredLike, `a\b%`),
			pr("Contact", "Description", ClauseWhere, PredEq, "x\ny"),
		}},
	{q: `SELECT Id FROM Contact WHERE NOT Email LIKE 'x%' AND Phone NOT IN ('1') AND Tags__c INCLUDES ('a;b', 'c') AND Tags__c EXCLUDES ('d')`,
		want: []Predicate{
			pr("Contact", "Email", ClauseWhere, PredLike, "x%"),
			pr("Contact", "Phone", ClauseWhere, PredNe, "1"),
			pr("Contact", "Tags__c", ClauseWhere, PredEq, "a;b", "c"),
			pr("Contact", "Tags__c", ClauseWhere, PredNe, "d"),
		}},
	{q: `SELECT Id FROM Contact WHERE CALENDAR_YEAR(Birthdate) = 1980 AND DISTANCE(Loc__c, GEOLOCATION(1,2), 'mi') < 5`,
		want: []Predicate{
			pr("Contact", "Birthdate", ClauseWhere, PredOther, "1980"),
			pr("Contact", "Loc__c", ClauseWhere, PredOther, "5"),
		}},
	{q: `SELECT Id FROM Opportunity WHERE Amount >= 100 AND CloseDate < 2024-01-01T00:00:00Z AND Age__c > -5 AND CreatedDate <= 2020-01-01T00:00:00+05:00 AND Amount > USD5000`,
		want: []Predicate{
			pr("Opportunity", "Amount", ClauseWhere, PredRange, "100"),
			pr("Opportunity", "CloseDate", ClauseWhere, PredRange, "2024-01-01T00:00:00Z"),
			pr("Opportunity", "Age__c", ClauseWhere, PredRange, "-5"),
			pr("Opportunity", "CreatedDate", ClauseWhere, PredRange, "2020-01-01T00:00:00+05:00"),
			pr("Opportunity", "Amount", ClauseWhere, PredRange),
		}},
	// Aliases name their object.
	{q: `SELECT c.Name FROM Contact c, c.Account a WHERE c.Email = 'x' AND a.Name = 'y' AND c.Account.Phone != null`,
		want: []Predicate{
			pr("Contact", "Email", ClauseWhere, PredEq, "x"),
			pr("Account", "Name", ClauseWhere, PredEq, "y"),
			pr("Account", "Phone", ClauseWhere, PredExists),
		}},
	{q: `SELECT LeadSource, Email, COUNT(Id) FROM Lead GROUP BY ROLLUP(LeadSource, Email)`,
		want: []Predicate{
			pr("Lead", "LeadSource", ClauseGroupBy, PredGroup),
			pr("Lead", "Email", ClauseGroupBy, PredGroup),
		}},
	{q: `SELECT Id FROM Contact WHERE Email = 'x' WITH SECURITY_ENFORCED ORDER BY Name LIMIT 10 OFFSET 5 FOR VIEW`,
		want: []Predicate{
			pr("Contact", "Email", ClauseWhere, PredEq, "x"),
			pr("Contact", "Name", ClauseOrderBy, PredSort),
		}},
	{q: `SELECT Id FROM Contact USING SCOPE Mine WHERE Email = :email AND Id IN :ids LIMIT :n`,
		want: []Predicate{
			pr("Contact", "Email", ClauseWhere, PredEq),
			pr("Contact", "Id", ClauseWhere, PredEq),
		}},
	{q: `SELECT TYPEOF What WHEN Account THEN Phone ELSE Name END FROM Event WHERE What.Type = 'Account'`,
		want: []Predicate{pr("What", "Type", ClauseWhere, PredEq, "Account")}},
	{q: "  select id\nfrom contact where email='x' order by name",
		want: []Predicate{
			pr("contact", "email", ClauseWhere, PredEq, "x"),
			pr("contact", "name", ClauseOrderBy, PredSort),
		}},
	// SOSL: the term and its group, then each RETURNING object's clauses.
	{q: `FIND {jane\-d*} IN EMAIL FIELDS RETURNING Contact(Name, Email WHERE Email LIKE 'j%' ORDER BY Name LIMIT 5), Lead WITH SNIPPET(target_length=120) LIMIT 10`,
		want: []Predicate{
			pr("", "EMAIL FIELDS", ClauseSearch, PredSearch, "jane-d*"),
			pr("Contact", "Email", ClauseWhere, PredLike, "j%"),
			pr("Contact", "Name", ClauseOrderBy, PredSort),
		}},
	{q: `find 'acme'`, want: []Predicate{pr("", "ALL FIELDS", ClauseSearch, PredSearch, "acme")}},
	{q: `FIND {555} IN PHONE FIELDS RETURNING Account(Name), Contact(Phone WHERE MailingCity = 'Paris')`,
		want: []Predicate{
			pr("", "PHONE FIELDS", ClauseSearch, PredSearch, "555"),
			pr("Contact", "MailingCity", ClauseWhere, PredEq, "Paris"),
		}},
	{q: `Select the best plan`},
	{q: `SELECT Id FROM Contact`},
	{q: `SELECT Id FROM Contact WHERE Email = 'x`, err: ErrQuerySyntax},
	{q: `SELECT Id FROM Contact WHERE Email = 'x\'`, err: ErrQuerySyntax},
	{q: `SELECT Id FROM Contact WHERE (Email = 'x'`, err: ErrQuerySyntax},
	{q: `SELECT Id FROM Contact WHERE Email = 'x')`, err: ErrQuerySyntax},
	{q: `SELECT Id FROM Contact WHERE Email IN ('a', 'b'`, err: ErrQuerySyntax},
	{q: `FIND {abc`, err: ErrQuerySyntax},
}

func TestQueryPredicates(t *testing.T) {
	for _, tt := range queryCases {
		got, err := QueryPredicates(nil, tt.q)
		if !errors.Is(err, tt.err) {
			t.Errorf("QueryPredicates(%q) error = %v, want %v", tt.q, err, tt.err)
			continue
		}
		if tt.err == nil && !samePredicates(got, tt.want) {
			t.Errorf("QueryPredicates(%q) =\n%s\nwant\n%s", tt.q, show(got), show(tt.want))
		}
	}
}

func TestTooManyPredicates(t *testing.T) {
	q := "SELECT Id FROM Contact WHERE " + strings.Repeat("Email = 'x' OR ", MaxPredicates) + "Phone = '1'"
	got, err := QueryPredicates(nil, q)
	if !errors.Is(err, ErrTooManyPredicates) || len(got) != MaxPredicates {
		t.Fatalf("got %d predicates, %v", len(got), err)
	}
	// A list view's sort keys are bounded as a query's predicates are.
	sortBy := url.Values{"sortBy": {strings.Repeat("Email,", MaxPredicates+1)}}
	if got, err := URLPredicates(nil, config.DialectSalesforce, "GET", uiList+"Contact/AllContacts", sortBy); !errors.Is(err, ErrTooManyPredicates) || len(got) != MaxPredicates {
		t.Fatalf("list view sortBy: got %d predicates, %v", len(got), err)
	}
	// All calls of a message append to one dst.
	if _, err := QueryPredicates(got, "SELECT Id FROM Contact WHERE Email = 'x'"); !errors.Is(err, ErrTooManyPredicates) {
		t.Fatalf("a full dst: %v", err)
	}
}

func TestLooksLikeQuery(t *testing.T) {
	for _, tt := range []struct {
		v    string
		want bool
	}{
		{"SELECT Id FROM Contact", true},
		{"  select id from contact", true},
		{"\n\tSeLeCt Id\nFROM Lead", true},
		{"SELECT Id,(SELECT Id FROM Contacts) FROM Account", true},
		{"FIND {jane}", true},
		{"find 'jane'", true},
		{"FIND\n{x}", true},
		{"Select the best plan", false},
		{"Select the fromage", false},
		{"SELECTED items from stock", false},
		{"select", false},
		{"Find jane", false},
		{"finding {x}", false},
		{"hello", false},
		{"", false},
	} {
		if got := LooksLikeQuery([]byte(tt.v)); got != tt.want {
			t.Errorf("LooksLikeQuery(%q) = %v, want %v", tt.v, got, tt.want)
		}
	}
	v := []byte("  select id from contact where x = 1")
	if n := testing.AllocsPerRun(100, func() { LooksLikeQuery(v) }); n != 0 {
		t.Errorf("LooksLikeQuery allocates %v times", n)
	}
}

type urlCase struct {
	dialect, method, path, query string
	want                         []Predicate
	err                          error
}

var urlCases = []urlCase{
	// HubSpot's legacy contacts API searches and reads by e-mail.
	{config.DialectHubSpot, "GET", "/contacts/v1/search/query", "q=jane.d",
		[]Predicate{pr("contacts", "query", ClauseSearch, PredSearch, "jane.d")}, nil},
	{config.DialectHubSpot, "GET", "/contacts/v1/contact/email/jane@x.com/profile", "",
		[]Predicate{pr("contacts", "email", ClauseLookup, PredEq, "jane@x.com")}, nil},
	{config.DialectHubSpot, "GET", "/contacts/v1/contact/emails/batch/", "email=a@x.com&email=b@x.com",
		[]Predicate{pr("contacts", "email", ClauseLookup, PredEq, "a@x.com", "b@x.com")}, nil},
	{config.DialectHubSpot, "GET", "/contacts/v1/lists/all/contacts/all", "", nil, nil},
	{config.DialectSalesforce, "GET", "/services/data/v62.0/query", "q=SELECT+Id+FROM+Contact+WHERE+SSN__c+LIKE+'1%25'",
		[]Predicate{pr("Contact", "SSN__c", ClauseWhere, PredLike, "1%")}, nil},
	{config.DialectSalesforce, "GET", "/services/data/v62.0/queryAll/", "q=SELECT+Id+FROM+Lead+ORDER+BY+Email",
		[]Predicate{pr("Lead", "Email", ClauseOrderBy, PredSort)}, nil},
	{config.DialectSalesforce, "GET", "/services/data/v62.0/search", "q=FIND+%7Bjane%7D+IN+NAME+FIELDS",
		[]Predicate{pr("", "NAME FIELDS", ClauseSearch, PredSearch, "jane")}, nil},
	// Any q that looks like a query is one, whatever the path.
	{config.DialectSalesforce, "GET", "/services/apexrest/find", "q=SELECT+Id+FROM+Contact+WHERE+Email='a'",
		[]Predicate{pr("Contact", "Email", ClauseWhere, PredEq, "a")}, nil},
	// An Apex REST service's values are lookups: its parameters by name,
	// the path past the service's name by the service's.
	{config.DialectSalesforce, "GET", "/services/apexrest/ssnLookup", "ssn=123-45-6789&limit=1&empty=",
		[]Predicate{pr("", "limit", ClauseLookup, PredEq, "1"), pr("", "ssn", ClauseLookup, PredEq, "123-45-6789")}, nil},
	{config.DialectSalesforce, "GET", "/services/apexrest/v1/contacts/jane.doe@example.com", "q=jane",
		[]Predicate{pr("", "v1", ClauseLookup, PredEq, "contacts/jane.doe@example.com"), pr("", "q", ClauseLookup, PredEq, "jane")}, nil},
	{config.DialectSalesforce, "GET", "/services/apexrest/status", "", nil, nil},
	{config.DialectSalesforce, "GET", "/services/data/v62.0/query", "q=SELECT+Id+FROM+Contact+WHERE+Email='a",
		nil, ErrQuerySyntax},
	{config.DialectSalesforce, "GET", "/services/data/v62.0/parameterizedSearch",
		"q=jane&in=email&sobject=Contact&Contact.where=Email+LIKE+'x%25'&Contact.orderBy=Name+DESC&Contact.fields=Id",
		[]Predicate{
			pr("", "EMAIL FIELDS", ClauseSearch, PredSearch, "jane"),
			pr("Contact", "Name", ClauseOrderBy, PredSort),
			pr("Contact", "Email", ClauseWhere, PredLike, "x%"),
		}, nil},
	{config.DialectSalesforce, "GET", "/services/data/v62.0/parameterizedSearch/", "q=acme",
		[]Predicate{pr("", "ALL FIELDS", ClauseSearch, PredSearch, "acme")}, nil},
	// A record by external id, and what is not one.
	{config.DialectSalesforce, "GET", "/services/data/v62.0/sobjects/Contact/SSN__c/123-45-6789", "",
		[]Predicate{pr("Contact", "SSN__c", ClauseLookup, PredEq, "123-45-6789")}, nil},
	{config.DialectSalesforce, "PATCH", "/services/data/v62.0/sobjects/Account/Ext_Id__c/A-1.json", "",
		[]Predicate{pr("Account", "Ext_Id__c", ClauseLookup, PredEq, "A-1")}, nil},
	{config.DialectSalesforce, "GET", "/services/data/v62.0/sobjects/Contact/003000000000001AAA/Account", "", nil, nil},
	{config.DialectSalesforce, "GET", "/services/data/v62.0/sobjects/Contact/003000000000001/Photo", "", nil, nil},
	{config.DialectSalesforce, "GET", "/services/data/v62.0/sobjects/Contact/describe/layouts", "", nil, nil},
	{config.DialectSalesforce, "GET", "/services/data/v62.0/sobjects/Contact/listviews/00BD0000005WcCN/results", "", nil, nil},
	{config.DialectSalesforce, "GET", "/services/data/v62.0/sobjects/Contact/003000000000001AAA", "", nil, nil},
	{config.DialectSalesforce, "GET", "/services/data/v62.0/sobjects/Contact/describe", "", nil, nil},
	// HubSpot: a record by a unique property.
	{config.DialectHubSpot, "GET", "/crm/v3/objects/contacts/jane@x.com", "idProperty=email&properties=firstname",
		[]Predicate{pr("contacts", "email", ClauseLookup, PredEq, "jane@x.com")}, nil},
	{config.DialectHubSpot, "PATCH", "/crm/objects/2026-03/Contact/A-1", "idProperty=ext_id",
		[]Predicate{pr("contacts", "ext_id", ClauseLookup, PredEq, "A-1")}, nil},
	{config.DialectHubSpot, "GET", "/crm/v3/objects/contacts/51", "", nil, nil},
	{config.DialectHubSpot, "GET", "/crm/v3/objects/contacts", "idProperty=email", nil, nil},
	{config.DialectGeneric, "GET", "/services/data/v62.0/query", "q=SELECT+Id+FROM+Contact+WHERE+Email='a'", nil, nil},
	// A UI API list view: where (GraphQL filter syntax), sortBy and
	// searchTerm, on the object its path names, in the canonical case.
	{config.DialectSalesforce, "GET", uiList + "contact/AllContacts",
		uiQuery("where", `{SSN__c: {like: "1%"}}`, "sortBy", "-Email", "searchTerm", "jane*", "fields", "Contact.Phone", "pageSize", "10"),
		[]Predicate{
			pr("Contact", "SSN__c", ClauseWhere, PredLike, "1%"),
			pr("Contact", "Email", ClauseOrderBy, PredSort),
			pr("Contact", "ALL FIELDS", ClauseSearch, PredSearch, "jane*"),
		}, nil},
	// A list named by id: its object is unknown.
	{config.DialectSalesforce, "GET", uiList + "00BR0000000Wc0rMAC",
		uiQuery("where", `{ and: [ { StageName: { eq: "Prospecting" } }, { Account: { Name: { eq: "Dickenson plc" } } } ] }`),
		[]Predicate{
			pr("", "StageName", ClauseWhere, PredEq, "Prospecting"),
			pr("Account", "Name", ClauseWhere, PredEq, "Dickenson plc"),
		}, nil},
	// Every sort key counts; a relationship path's field is its relationship's.
	{config.DialectSalesforce, "GET", uiList + "Account/AllAccounts", uiQuery("sortBy", "Name, -Owner.Alias,,", "where", "{AnnualRevenue: { gt: 1000000}}"),
		[]Predicate{
			pr("Account", "AnnualRevenue", ClauseWhere, PredRange, "1000000"),
			pr("Account", "Name", ClauseOrderBy, PredSort),
			pr("Owner", "Alias", ClauseOrderBy, PredSort),
		}, nil},
	{config.DialectSalesforce, "GET", "/services/data/v62.0/ui-api/mru-list-records/Lead", uiQuery("sortBy", "-Phone"),
		[]Predicate{pr("Lead", "Phone", ClauseOrderBy, PredSort)}, nil},
	// A related list is named by its relationship: its object is unknown.
	{config.DialectSalesforce, "GET", uiRelated + "001RM000003UNu6YAG/Contacts",
		uiQuery("where", `{Email: {like: "j%"}}`, "sortBy", "-Contact.Birthdate", "searchTerm", "Doe"),
		[]Predicate{
			pr("", "Email", ClauseWhere, PredLike, "j%"),
			pr("Contact", "Birthdate", ClauseOrderBy, PredSort),
			pr("", "ALL FIELDS", ClauseSearch, PredSearch, "Doe"),
		}, nil},
	// A batch of related lists: each list's sort keys after its id.
	{config.DialectSalesforce, "GET", uiRelated + "batch/001RM000003UNu6YAG/Contacts,Opportunities",
		uiQuery("sortBy", "Contacts:Contact.Email;Opportunities:-Amount"),
		[]Predicate{pr("Contact", "Email", ClauseOrderBy, PredSort), pr("", "Amount", ClauseOrderBy, PredSort)}, nil},
	// Blank parameters state nothing; other UI API resources take no predicates.
	{config.DialectSalesforce, "GET", uiList + "Contact/AllContacts", uiQuery("where", " ", "searchTerm", "", "sortBy", "-"), nil, nil},
	{config.DialectSalesforce, "GET", "/services/data/v62.0/ui-api/records/003000000000001AAA", uiQuery("where", `{Email: {eq: "a"}}`, "sortBy", "Email"), nil, nil},
	// A where that is not one GraphQL input value cannot be read.
	{config.DialectSalesforce, "GET", uiList + "Contact/AllContacts", uiQuery("where", `{SSN__c: {like: "1%"}`), nil, ErrQuerySyntax},
	{config.DialectSalesforce, "GET", uiList + "Contact/AllContacts", uiQuery("where", `{SSN__c: {like: "1%}}`), nil, ErrQuerySyntax},
	{config.DialectSalesforce, "GET", uiList + "Contact/AllContacts", uiQuery("where", `{Email: {eq: "a"}} {SSN__c: {eq: "1"}}`), nil, ErrQuerySyntax},
	{config.DialectSalesforce, "GET", uiList + "Contact/AllContacts", uiQuery("where", `{SSN__c: {eq: $guess}}`), nil, ErrQuerySyntax},
	{config.DialectSalesforce, "GET", uiRelated + "001RM000003UNu6YAG/Contacts", uiQuery("where", `{Email ~ "a"}`), nil, ErrQuerySyntax},
	{config.DialectSalesforce, "GET", uiList + "Contact/AllContacts", uiQuery("where", strings.Repeat("{and: ", 100)+"{}"+strings.Repeat("}", 100)), nil, ErrQuerySyntax},
}

const (
	uiList    = "/services/data/v62.0/ui-api/list-records/"
	uiRelated = "/services/data/v62.0/ui-api/related-list-records/"
)

// uiQuery is a URL query of name, value pairs, in order.
func uiQuery(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[i]) + "=" + url.QueryEscape(kv[i+1]))
	}
	return b.String()
}

func TestURLPredicates(t *testing.T) {
	for _, tt := range urlCases {
		query, err := url.ParseQuery(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		got, err := URLPredicates(nil, tt.dialect, tt.method, tt.path, query)
		if !errors.Is(err, tt.err) {
			t.Errorf("URLPredicates(%s %s?%s) error = %v, want %v", tt.method, tt.path, tt.query, err, tt.err)
			continue
		}
		if tt.err == nil && !samePredicates(got, tt.want) {
			t.Errorf("URLPredicates(%s %s?%s) =\n%s\nwant\n%s", tt.method, tt.path, tt.query, show(got), show(tt.want))
		}
	}
}

func TestEmbeddedURLPredicates(t *testing.T) {
	for _, tt := range []struct {
		v    string
		ok   bool
		want []Predicate
		err  error
	}{
		{"/services/data/v62.0/query?q=SELECT+Id+FROM+Contact+WHERE+Email+%3D+%27a%40b.c%27", true,
			[]Predicate{pr("Contact", "Email", ClauseWhere, PredEq, "a@b.c")}, nil},
		{"/services/data/v62.0/query/?q=SELECT+Id+FROM+Contact", true, nil, nil},
		{"/services/data/v62.0/sobjects/Contact/Email__c/a%40b.c", true,
			[]Predicate{pr("Contact", "Email__c", ClauseLookup, PredEq, "a@b.c")}, nil},
		{"/services/data/v62.0/sobjects/Contact/003000000000001AAA", false, nil, nil},
		{"/services/data/v62.0/query?q=%zz", true, nil, ErrQuerySyntax},
		{"SELECT Id FROM Contact", false, nil, nil},
		{"hello", false, nil, nil},
		// A composite batch's subrequest names its resource from the version.
		{"v62.0/query?q=SELECT+Id+FROM+Contact+WHERE+SSN__c+LIKE+%271%25%27", true,
			[]Predicate{pr("Contact", "SSN__c", ClauseWhere, PredLike, "1%")}, nil},
		{"v62.0/sobjects/Contact/SSN__c/123-45-6789", true,
			[]Predicate{pr("Contact", "SSN__c", ClauseLookup, PredEq, "123-45-6789")}, nil},
		{"vx/query?q=SELECT+Id+FROM+Contact+WHERE+Email+%3D+%27a%27", false, nil, nil},
		// A composite subrequest reading a list view.
		{"/services/data/v62.0/ui-api/list-records/Contact/AllContacts?sortBy=-Email&where=" + url.QueryEscape(`{SSN__c: {like: "1%"}}`), true,
			[]Predicate{pr("Contact", "SSN__c", ClauseWhere, PredLike, "1%"), pr("Contact", "Email", ClauseOrderBy, PredSort)}, nil},
	} {
		got, ok, err := EmbeddedURLPredicates(nil, tt.v)
		if ok != tt.ok || !errors.Is(err, tt.err) || !samePredicates(got, tt.want) {
			t.Errorf("EmbeddedURLPredicates(%q) = %s, %v, %v; want %s, %v, %v", tt.v, show(got), ok, err, show(tt.want), tt.ok, tt.err)
		}
	}
}

type bodyCase struct {
	dialect, path, body string
	want                []Predicate
	err                 error
}

const (
	sfGraphQL = "/services/data/v62.0/graphql"
	hsSearch  = "/crm/v3/objects/contacts/search"
)

var bodyCases = []bodyCase{
	// A HubSpot dynamic list's members are the contacts its filters match.
	{config.DialectHubSpot, "/crm/v3/lists", `{"name": "x", "objectTypeId": "0-1", "processingType": "DYNAMIC",
		"filterBranch": {"filterBranchType": "OR", "filterBranches": [{"filterBranchType": "AND", "filterBranches": [], "filters": [
			{"filterType": "PROPERTY", "property": "email", "operation": {"operationType": "MULTISTRING", "operator": "CONTAINS", "values": ["jane.d"]}},
			{"filterType": "PROPERTY", "property": "phone", "operation": {"operationType": "ALL_PROPERTY", "operator": "IS_KNOWN"}}]}], "filters": []}}`,
		[]Predicate{pr("contacts", "email", ClauseFilter, PredLike, "jane.d"), pr("contacts", "phone", ClauseFilter, PredExists)}, nil},
	// A Salesforce report run filters, sorts and groups by its columns.
	{config.DialectSalesforce, "/services/data/v62.0/analytics/reports/00OD0000001cw27MAA", `{"reportMetadata": {
		"reportFilters": [{"column": "EMAIL", "operator": "startsWith", "value": "jane.d"},
			{"column": "Contact.SSN__c", "operator": "equals", "value": "123-45-6789"}],
		"sortBy": [{"sortColumn": "PHONE1", "sortOrder": "Asc"}],
		"groupingsDown": [{"name": "ACCOUNT.NAME", "sortOrder": "Asc"}]}}`,
		[]Predicate{pr("", "EMAIL", ClauseWhere, PredLike, "jane.d"), pr("Contact", "SSN__c", ClauseWhere, PredEq, "123-45-6789"),
			pr("", "PHONE1", ClauseOrderBy, PredSort), pr("ACCOUNT", "NAME", ClauseGroupBy, PredGroup)}, nil},
	{config.DialectSalesforce, "/services/data/v62.0/analytics/reports/query", `{"reportMetadata": {"reportFilters": [{"column": "Email", "operator": "contains", "value": "@x.com"}]}}`,
		[]Predicate{pr("", "Email", ClauseWhere, PredLike, "@x.com")}, nil},
	{config.DialectHubSpot, hsSearch, `{
		"filterGroups": [
			{"filters": [
				{"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "jane.d*"},
				{"propertyName": "age", "operator": "BETWEEN", "value": 30, "highValue": "40"}
			]},
			{"filters": [
				{"propertyName": "phone", "operator": "HAS_PROPERTY"},
				{"propertyName": "lifecyclestage", "operator": "NOT_IN", "values": ["lead", "customer"]},
				{"propertyName": "hs_optout", "operator": "EQ", "value": true}
			]}
		],
		"filters": [{"propertyName": "firstname", "operator": "NEQ", "value": "Jane"}],
		"sorts": ["-createdate", {"propertyName": "lastname", "direction": "ASCENDING"}],
		"query": "jane",
		"properties": ["email"], "limit": 10}`,
		[]Predicate{
			pr("contacts", "email", ClauseFilter, PredLike, "jane.d*"),
			pr("contacts", "age", ClauseFilter, PredRange, "30", "40"),
			pr("contacts", "phone", ClauseFilter, PredExists),
			pr("contacts", "lifecyclestage", ClauseFilter, PredNe, "lead", "customer"),
			pr("contacts", "hs_optout", ClauseFilter, PredEq, "true"),
			pr("contacts", "firstname", ClauseFilter, PredNe, "Jane"),
			pr("contacts", "createdate", ClauseSort, PredSort),
			pr("contacts", "lastname", ClauseSort, PredSort),
			pr("contacts", "query", ClauseSearch, PredSearch, "jane"),
		}, nil},
	// Every spelling of a member counts: the reader may take any of them.
	{config.DialectHubSpot, "/crm/objects/2026-03/0-1/search",
		`{"filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": "a@b.c"}]}], "filterGroups": []}`,
		[]Predicate{pr("contacts", "email", ClauseFilter, PredEq, "a@b.c")}, nil},
	{config.DialectHubSpot, hsSearch, `{"filterGroups": [`, nil, ErrQuerySyntax},
	{config.DialectHubSpot, hsSearch, ``, nil, ErrQuerySyntax},
	{config.DialectHubSpot, "/crm/v3/objects/contacts/batch/read",
		`{"idProperty": "email", "inputs": [{"id": "a@b.c"}, {"id": "d@e.f"}, {"id": 7}], "properties": ["firstname"]}`,
		[]Predicate{pr("contacts", "email", ClauseLookup, PredEq, "a@b.c", "d@e.f", "7")}, nil},
	{config.DialectHubSpot, "/crm/v3/objects/contacts/batch/read", `{"inputs": [{"id": "51"}]}`, nil, nil},
	{config.DialectHubSpot, "/crm/v3/objects/contacts", `{"properties": {"email": "a@b.c"}}`, nil, nil},
	{config.DialectHubSpot, "/crm/v3/objects/contacts", `not json`, nil, nil},
	{config.DialectSalesforce, "/services/data/v62.0/parameterizedSearch", `{
		"q": "jane", "in": "EMAIL", "fields": ["Id"],
		"sobjects": [{"name": "Contact", "where": "Email LIKE 'j%' AND Birthdate > 1980-01-01", "orderBy": "LastName DESC", "limit": 5}, {"name": "Lead"}]}`,
		[]Predicate{
			pr("", "EMAIL FIELDS", ClauseSearch, PredSearch, "jane"),
			pr("Contact", "Email", ClauseWhere, PredLike, "j%"),
			pr("Contact", "Birthdate", ClauseWhere, PredRange, "1980-01-01"),
			pr("Contact", "LastName", ClauseOrderBy, PredSort),
		}, nil},
	{config.DialectSalesforce, "/services/data/v62.0/parameterizedSearch", `{"q": "jane",`, nil, ErrQuerySyntax},
	{config.DialectSalesforce, "/services/data/v62.0/parameterizedSearch", `{"q": "x", "sobjects": [{"name": "Contact", "where": "Email = 'x"}]}`,
		nil, ErrQuerySyntax},
	// GraphQL: where given literally.
	{config.DialectSalesforce, sfGraphQL,
		`{"query": "query { uiapi { query { Contact(where: { Email: { like: \"jane%\" } }) { edges { node { Id } } } } } }"}`,
		[]Predicate{pr("Contact", "Email", ClauseWhere, PredLike, "jane%")}, nil},
	// Nested and/or/not, in and nin, null.
	{config.DialectSalesforce, sfGraphQL, `{"query": "{ uiapi { query { Contact(first: 10, where: { or: [ {Email: {eq: \"a\"}}, {and: [{Phone: {eq: \"b\"}}, {not: {Birthdate: {gte: {value: \"1980-01-01\"}}}}]} ], MobilePhone: {ne: null}, LeadSource: {in: [\"Web\", \"Phone\"]}, Title: {nin: [\"CEO\"]}, Tags__c: {includes: [\"x\"], excludes: [\"y\"]}, Age__c: {lt: 5, gt: 1.5} }) { edges { node { Id } } } } } }"}`,
		[]Predicate{
			pr("Contact", "Email", ClauseWhere, PredEq, "a"),
			pr("Contact", "Phone", ClauseWhere, PredEq, "b"),
			pr("Contact", "Birthdate", ClauseWhere, PredRange, "1980-01-01"),
			pr("Contact", "MobilePhone", ClauseWhere, PredExists),
			pr("Contact", "LeadSource", ClauseWhere, PredEq, "Web", "Phone"),
			pr("Contact", "Title", ClauseWhere, PredNe, "CEO"),
			pr("Contact", "Tags__c", ClauseWhere, PredEq, "x"),
			pr("Contact", "Tags__c", ClauseWhere, PredNe, "y"),
			pr("Contact", "Age__c", ClauseWhere, PredRange, "5"),
			pr("Contact", "Age__c", ClauseWhere, PredRange, "1.5"),
		}, nil},
	// Relationships and orderBy.
	{config.DialectSalesforce, sfGraphQL, `{"query": "{ uiapi { query { Contact(where: { Account: { Name: { eq: \"Acme\" }, Owner: { Email: { like: \"%@x.com\" } } } }, orderBy: { LastName: { order: DESC, nulls: LAST }, Account: { Name: { order: ASC } } }) { edges { node { Id } } } } } }"}`,
		[]Predicate{
			pr("Account", "Name", ClauseWhere, PredEq, "Acme"),
			pr("Owner", "Email", ClauseWhere, PredLike, "%@x.com"),
			pr("Contact", "LastName", ClauseOrderBy, PredSort),
			pr("Account", "Name", ClauseOrderBy, PredSort),
		}, nil},
	// Variables: the whole filter, a value, and a default.
	{config.DialectSalesforce, sfGraphQL, `{"query": "query q($w: Contact_Filter, $e: String, $d: Contact_Filter = {SSN__c: {eq: \"123\"}}) { uiapi { query { Contact(where: $w) { edges { node { Id } } } Lead(where: {and: [{Email: {eq: $e}}, $d]}) { totalCount } } } }",
		"variables": {"w": {"or": [{"Email": {"like": "j%"}}, {"Phone": {"eq": 555}}]}, "e": "a@b.c"}}`,
		[]Predicate{
			pr("Contact", "Email", ClauseWhere, PredLike, "j%"),
			pr("Contact", "Phone", ClauseWhere, PredEq, "555"),
			pr("Lead", "Email", ClauseWhere, PredEq, "a@b.c"),
			pr("Lead", "SSN__c", ClauseWhere, PredEq, "123"),
		}, nil},
	// A semi-join and a groupBy.
	{config.DialectSalesforce, sfGraphQL, `{"query": "{ uiapi { query { Account(where: { Id: { inq: { Contact: { Email: { like: \"j%\" } }, ApiName: \"AccountId\" } } }) { totalCount } } aggregate { Contact(groupBy: { LeadSource: { group: true } }) { totalCount } } } }"}`,
		[]Predicate{
			pr("Contact", "Email", ClauseWhere, PredLike, "j%"),
			pr("Account", "Id", ClauseWhere, PredEq),
			pr("Contact", "LeadSource", ClauseGroupBy, PredGroup),
		}, nil},
	{config.DialectSalesforce, sfGraphQL, `{"query": "{ uiapi { query { Contact { edges { node { Email { value } } } } } } }"}`, nil, nil},
	{config.DialectSalesforce, sfGraphQL, `{"query": "{ uiapi { query { Contact(where: { Email: { eq: \"x } }) } } }"}`, nil, ErrQuerySyntax},
	{config.DialectSalesforce, sfGraphQL, `{"query": "{ uiapi { query { Contact(where: { Email: { eq: \"x\" } } } } }"}`, nil, ErrQuerySyntax},
	{config.DialectSalesforce, sfGraphQL, `{"query": "{ uiapi ~ }"}`, nil, ErrQuerySyntax},
	{config.DialectSalesforce, sfGraphQL, `{"query": `, nil, ErrQuerySyntax},
	{config.DialectSalesforce, "/services/data/v62.0/sobjects/Contact", `{"Email": "a@b.c"}`, nil, nil},
	// A UI API list view's POST body: where a string in GraphQL filter
	// syntax, sortBy an array.
	{config.DialectSalesforce, uiList + "Account/AllAccounts",
		`{"fields": ["Name", "Type", "AnnualRevenue", "CreatedDate"], "pageSize": 10, "sortBy": ["CreatedDate"], "searchTerm": "United", "where": "{AnnualRevenue: { gt: 1000000}}"}`,
		[]Predicate{
			pr("Account", "AnnualRevenue", ClauseWhere, PredRange, "1000000"),
			pr("Account", "CreatedDate", ClauseOrderBy, PredSort),
			pr("Account", "ALL FIELDS", ClauseSearch, PredSearch, "United"),
		}, nil},
	{config.DialectSalesforce, uiList + "00BR0000000Wc0rMAC", `{"where": "{or: [{SSN__c: {like: \"1%\"}}, {Phone: {eq: null}}]}", "sortBy": ["-Email"]}`,
		[]Predicate{
			pr("", "SSN__c", ClauseWhere, PredLike, "1%"),
			pr("", "Phone", ClauseWhere, PredExists),
			pr("", "Email", ClauseOrderBy, PredSort),
		}, nil},
	// A filter sent as a JSON object is read as one too.
	{config.DialectSalesforce, uiList + "Contact/AllContacts", `{"where": {"Email": {"like": "jane%"}}}`,
		[]Predicate{pr("Contact", "Email", ClauseWhere, PredLike, "jane%")}, nil},
	{config.DialectSalesforce, uiRelated + "001RM000003UNu6YAG/Contacts",
		`{"fields": ["Contact.Name"], "where": "{Birthdate: {lt: {value: \"1980-01-01\"}}}", "sortBy": ["-Contact.Email"], "searchTerm": "Doe"}`,
		[]Predicate{
			pr("", "Birthdate", ClauseWhere, PredRange, "1980-01-01"),
			pr("Contact", "Email", ClauseOrderBy, PredSort),
			pr("", "ALL FIELDS", ClauseSearch, PredSearch, "Doe"),
		}, nil},
	// A batch of related lists: each list's own parameters.
	{config.DialectSalesforce, uiRelated + "batch/001RM000003UNu6YAG",
		`{"relatedListParameters": [
			{"relatedListId": "Contacts", "fields": ["Contact.Name"], "where": "{SSN__c: {eq: \"123-45-6789\"}}", "sortBy": ["Contact.Phone"]},
			{"relatedListId": "Opportunities", "sortBy": ["-Amount"], "pageSize": 5}]}`,
		[]Predicate{
			pr("", "SSN__c", ClauseWhere, PredEq, "123-45-6789"),
			pr("Contact", "Phone", ClauseOrderBy, PredSort),
			pr("", "Amount", ClauseOrderBy, PredSort),
		}, nil},
	{config.DialectSalesforce, uiList + "Account/__Recent", ``, nil, nil},
	{config.DialectSalesforce, uiList + "Account/AllAccounts", `{"pageSize": 10}`, nil, nil},
	{config.DialectSalesforce, uiList + "Account/AllAccounts", `{"where": "{AnnualRevenue: { gt: 1000000}"}`, nil, ErrQuerySyntax},
	{config.DialectSalesforce, uiRelated + "batch/001RM000003UNu6YAG",
		`{"relatedListParameters": [{"relatedListId": "Contacts", "where": "{SSN__c: {eq: $x}}"}]}`, nil, ErrQuerySyntax},
	{config.DialectSalesforce, uiList + "Account/AllAccounts", `{"where": `, nil, ErrQuerySyntax},
}

func TestBodyPredicates(t *testing.T) {
	for _, tt := range bodyCases {
		got, err := BodyPredicates(nil, tt.dialect, "POST", tt.path, []byte(tt.body))
		if !errors.Is(err, tt.err) {
			t.Errorf("BodyPredicates(%s, %s) error = %v, want %v", tt.path, tt.body, err, tt.err)
			continue
		}
		if tt.err == nil && !samePredicates(got, tt.want) {
			t.Errorf("BodyPredicates(%s, %s) =\n%s\nwant\n%s", tt.path, tt.body, show(got), show(tt.want))
		}
	}
	// A list's filters are changed with a PUT.
	got, err := BodyPredicates(nil, config.DialectHubSpot, "PUT", "/crm/v3/lists/42/update-list-filters",
		[]byte(`{"filterBranch": {"filters": [{"filterType": "PROPERTY", "property": "ssn", "operation": {"operator": "IS_EQUAL_TO", "value": "123-45-6789"}}]}}`))
	if err != nil || !samePredicates(got, []Predicate{pr("", "ssn", ClauseFilter, PredEq, "123-45-6789")}) {
		t.Errorf("list filters update: %s, %v", show(got), err)
	}
	// A report's filters are saved with it, created or changed: a later
	// run names none.
	report := []byte(`{"reportMetadata": {"name": "probe", "reportFilters": [{"column": "Contact.SSN__c", "operator": "startsWith", "value": "1"}],
		"sortBy": [{"sortColumn": "EMAIL", "sortOrder": "Asc"}]}}`)
	reportPreds := []Predicate{pr("Contact", "SSN__c", ClauseWhere, PredLike, "1"), pr("", "EMAIL", ClauseOrderBy, PredSort)}
	for _, c := range []struct{ method, path string }{
		{"POST", "/services/data/v62.0/analytics/reports"},
		{"PATCH", "/services/data/v62.0/analytics/reports/00OD0000001cw27MAA"},
		{"put", "/services/data/v62.0/analytics/reports/00OD0000001cw27MAA"},
	} {
		got, err := BodyPredicates(nil, config.DialectSalesforce, c.method, c.path, report)
		if err != nil || !samePredicates(got, reportPreds) {
			t.Errorf("%s %s: %s, %v", c.method, c.path, show(got), err)
		}
	}
	if _, err := BodyPredicates(nil, config.DialectSalesforce, "PATCH", "/services/data/v62.0/analytics/reports/00OD0000001cw27MAA", []byte("name=x")); !errors.Is(err, ErrQuerySyntax) {
		t.Errorf("a saved report that is not JSON: %v", err)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/services/data/v62.0/analytics/reports"},
		{"DELETE", "/services/data/v62.0/analytics/reports/00OD0000001cw27MAA"},
		{"PATCH", "/services/data/v62.0/analytics/reports/query"},
	} {
		if got, err := BodyPredicates(nil, config.DialectSalesforce, c.method, c.path, report); got != nil || err != nil {
			t.Errorf("%s %s: %s, %v", c.method, c.path, show(got), err)
		}
	}
	// Only a POST states predicates in its body.
	if got, err := BodyPredicates(nil, config.DialectHubSpot, "GET", hsSearch, []byte(`{"query":"x"}`)); got != nil || err != nil {
		t.Errorf("GET search: %v, %v", got, err)
	}
}

func TestBodyNestingBounded(t *testing.T) {
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	if _, err := BodyPredicates(nil, config.DialectHubSpot, "POST", hsSearch, []byte(`{"filters":`+deep+`}`)); !errors.Is(err, ErrQuerySyntax) {
		t.Errorf("deep JSON: %v", err)
	}
	doc := "{ uiapi { query { Contact(where: " + strings.Repeat("{and: ", 100) + "{}" + strings.Repeat("}", 100) + ") { totalCount } } } }"
	body := fmt.Sprintf(`{"query": %q}`, doc)
	if _, err := BodyPredicates(nil, config.DialectSalesforce, "POST", sfGraphQL, []byte(body)); !errors.Is(err, ErrQuerySyntax) {
		t.Errorf("deep GraphQL: %v", err)
	}
}

func samePredicates(a, b []Predicate) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

func show(ps []Predicate) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "\t%q %q %s %s %q\n", p.Object, p.Field, p.Clause, p.Op, p.Values)
	}
	return b.String()
}

// Reading a list view's sort keys and search term allocates nothing past
// the predicates themselves, and a resource that is no list view costs
// nothing more than before.
func TestUIAPIListAllocations(t *testing.T) {
	dst := make([]Predicate, 0, 8)
	sortBy := url.Values{"sortBy": {"Name, -Owner.Alias"}, "pageSize": {"10"}}
	if n := testing.AllocsPerRun(100, func() {
		_, _ = URLPredicates(dst[:0], config.DialectSalesforce, "GET", uiList+"Account/AllAccounts", sortBy)
	}); n > 2 { // the path's split, the object name's lower case
		t.Errorf("a list view's sortBy: %v allocations", n)
	}
	if n := testing.AllocsPerRun(100, func() {
		_, _ = URLPredicates(dst[:0], config.DialectSalesforce, "GET", "/services/data/v62.0/ui-api/records/003000000000001AAA", sortBy)
	}); n > 1 {
		t.Errorf("another UI API resource: %v allocations", n)
	}
}

// savedListCase is a request that writes a UI API list view's saved
// filter or order.
type savedListCase struct {
	method, path, body string
	want               []Predicate
	err                error
}

const (
	uiListInfo  = "/services/data/v62.0/ui-api/list-info/"
	uiListPrefs = "/services/data/v62.0/ui-api/list-preferences/"
)

var savedListCases = []savedListCase{
	// A list view made filtered by a protected field: reading it later
	// needs no where.
	{"POST", uiListInfo + "contact", `{"listViewApiName": "Probe", "label": "Probe",
		"filteredByInfo": [{"fieldApiName": "SSN__c", "operandLabels": ["1"], "operator": "StartsWith"},
			{"fieldApiName": "Name", "operandLabels": ["This", "That"], "operator": "Equals"},
			{"fieldApiName": "AnnualRevenue__c", "operandLabels": [1000000], "operator": "GreaterThan"}],
		"filterLogicString": "(1 OR 2) AND 3", "displayColumns": ["Name", "Email"],
		"scope": {"apiName": "everything"}, "visibility": "Private"}`,
		[]Predicate{
			pr("Contact", "SSN__c", ClauseWhere, PredLike, "1"),
			pr("Contact", "Name", ClauseWhere, PredEq, "This", "That"),
			pr("Contact", "AnnualRevenue__c", ClauseWhere, PredRange, "1000000"),
		}, nil},
	// Changing one; a relationship path's field is its relationship's.
	{"PATCH", uiListInfo + "Opportunity/MyOpps", `{"filteredByInfo": [
			{"fieldApiName": "Account.Owner.Email", "operandLabels": ["@x.com"], "operator": "Contains"},
			{"fieldApiName": " Contact.Birthdate ", "operandLabels": ["1980-01-01"], "operator": "LessThan"}],
		"orderedBy": [{"fieldApiName": "Account.Phone", "isAscending": false}]}`,
		[]Predicate{
			pr("Owner", "Email", ClauseWhere, PredLike, "@x.com"),
			pr("Contact", "Birthdate", ClauseWhere, PredRange, "1980-01-01"),
			pr("Account", "Phone", ClauseOrderBy, PredSort),
		}, nil},
	// Every operator, in any case; one it does not know is other.
	{"PATCH", uiListInfo + "Contact/AllContacts", `{"filteredByInfo": [
			{"fieldApiName": "A", "operandLabels": ["a"], "operator": "Equals"},
			{"fieldApiName": "B", "operandLabels": ["b"], "operator": "NotEqual"},
			{"fieldApiName": "C", "operandLabels": ["c"], "operator": "LessThan"},
			{"fieldApiName": "D", "operandLabels": ["d"], "operator": "GreaterThan"},
			{"fieldApiName": "E", "operandLabels": ["e"], "operator": "LessOrEqual"},
			{"fieldApiName": "F", "operandLabels": ["f"], "operator": "GreaterOrEqual"},
			{"fieldApiName": "G", "operandLabels": ["g"], "operator": "Contains"},
			{"fieldApiName": "H", "operandLabels": ["h"], "operator": "NotContain"},
			{"fieldApiName": "I", "operandLabels": ["i"], "operator": "StartsWith"},
			{"fieldApiName": "J", "operandLabels": ["j", "k"], "operator": "Includes"},
			{"fieldApiName": "K", "operandLabels": ["l"], "operator": "Excludes"},
			{"fieldApiName": "L", "operandLabels": ["10"], "operator": "Within"},
			{"fieldApiName": "M", "operandLabels": ["m"], "operator": "equals"},
			{"fieldApiName": "N", "operandLabels": ["n"], "operator": "STARTSWITH"},
			{"fieldApiName": "O", "operandLabels": ["o"], "operator": "Matches"},
			{"fieldApiName": "P", "operandLabels": ["p"]},
			{"fieldApiName": "Q", "operandLabels": ["q"], "operator": {"x": 1}}]}`,
		[]Predicate{
			pr("Contact", "A", ClauseWhere, PredEq, "a"),
			pr("Contact", "B", ClauseWhere, PredNe, "b"),
			pr("Contact", "C", ClauseWhere, PredRange, "c"),
			pr("Contact", "D", ClauseWhere, PredRange, "d"),
			pr("Contact", "E", ClauseWhere, PredRange, "e"),
			pr("Contact", "F", ClauseWhere, PredRange, "f"),
			pr("Contact", "G", ClauseWhere, PredLike, "g"),
			pr("Contact", "H", ClauseWhere, PredLike, "h"),
			pr("Contact", "I", ClauseWhere, PredLike, "i"),
			pr("Contact", "J", ClauseWhere, PredEq, "j", "k"),
			pr("Contact", "K", ClauseWhere, PredNe, "l"),
			pr("Contact", "L", ClauseWhere, PredRange, "10"),
			pr("Contact", "M", ClauseWhere, PredEq, "m"),
			pr("Contact", "N", ClauseWhere, PredLike, "n"),
			pr("Contact", "O", ClauseWhere, PredOther, "o"),
			pr("Contact", "P", ClauseWhere, PredOther, "p"),
			pr("Contact", "Q", ClauseWhere, PredOther, "q"),
		}, nil},
	// A filter with no operand still names its field.
	{"PATCH", uiListInfo + "Contact/AllContacts", `{"filteredByInfo": [{"fieldApiName": "Email", "operandLabels": [], "operator": "Equals"},
			{"fieldApiName": "Phone", "operator": "NotEqual"}, {"fieldApiName": "", "operator": "Equals"}, {"fieldApiName": ["SSN__c"]}, {"operandLabels": ["x"]}]}`,
		[]Predicate{pr("Contact", "Email", ClauseWhere, PredEq), pr("Contact", "Phone", ClauseWhere, PredNe)}, nil},
	// A POST that changes a list view (_HttpMethod=PATCH), and a PUT.
	{"POST", uiListInfo + "Contact/AllContacts", `{"filteredByInfo": [{"fieldApiName": "SSN__c", "operandLabels": ["123-45-6789"], "operator": "Equals"}]}`,
		[]Predicate{pr("Contact", "SSN__c", ClauseWhere, PredEq, "123-45-6789")}, nil},
	{"PUT", uiListInfo + "Contact/AllContacts", `{"orderedByInfo": [{"fieldApiName": "SSN__c"}]}`,
		[]Predicate{pr("Contact", "SSN__c", ClauseOrderBy, PredSort)}, nil},
	// A list view's order preference, and a related list's.
	{"PATCH", uiListPrefs + "Contact/AllContacts", `{"columnWidths": {"Name": 200}, "columnWrap": {"Name": false},
		"orderedBy": [{"fieldApiName": "Email", "isAscending": true}, {"fieldApiName": "Owner.Phone", "isAscending": false}]}`,
		[]Predicate{pr("Contact", "Email", ClauseOrderBy, PredSort), pr("Owner", "Phone", ClauseOrderBy, PredSort)}, nil},
	{"PATCH", "/services/data/v62.0/ui-api/related-list-info/Account/Contacts", `{"orderedByInfo": [{"fieldApiName": "Birthdate", "isAscending": true}],
		"userPreferences": {"columnWidths": {"Name": -1}, "columnWrap": {"Name": false}}}`,
		[]Predicate{pr("", "Birthdate", ClauseOrderBy, PredSort)}, nil},
	{"PATCH", "/services/data/v62.0/ui-api/related-list-preferences/Account.RelatedContactList", `{"orderedBy": [{"fieldApiName": "Contact.Email", "isAscending": true}]}`,
		[]Predicate{pr("Contact", "Email", ClauseOrderBy, PredSort)}, nil},
	// Neither filter nor order: a label, columns, a scope, sharing.
	{"PATCH", uiListInfo + "Contact/AllContacts", `{"label": "x", "displayColumns": ["SSN__c"], "scope": {"apiName": "mine"}, "visibility": "Shared", "listShares": ["Role.CEO"], "filterLogicString": "1 OR 2"}`, nil, nil},
	{"PATCH", uiListInfo + "Contact/AllContacts", `null`, nil, nil},
	{"PATCH", uiListInfo + "Contact/AllContacts", `[{"filteredByInfo": [{"fieldApiName": "SSN__c"}]}]`, nil, nil},
	// A body that is not JSON cannot be read.
	{"POST", uiListInfo + "Contact", `{"filteredByInfo": [{"fieldApiName": "SSN__c", "operandLabels": ["1"], "operator": "StartsWith"}`, nil, ErrQuerySyntax},
	{"PATCH", uiListInfo + "Contact/AllContacts", `filteredByInfo=SSN__c`, nil, ErrQuerySyntax},
	{"PATCH", uiListPrefs + "Contact/AllContacts", ``, nil, ErrQuerySyntax},
	{"PATCH", uiListInfo + "Contact/AllContacts", `{"filteredByInfo": ` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, nil, ErrQuerySyntax},
	// Reading or deleting a list view, and other list resources, state none.
	{"GET", uiListInfo + "Contact/AllContacts", `{"filteredByInfo": [{"fieldApiName": "SSN__c", "operator": "Equals"}]}`, nil, nil},
	{"DELETE", uiListInfo + "Contact/AllContacts", `not json`, nil, nil},
	{"PATCH", "/services/data/v62.0/ui-api/list-info", `{"filteredByInfo": [{"fieldApiName": "SSN__c"}]}`, nil, nil},
	{"PATCH", uiListPrefs + "Contact", `{"orderedBy": [{"fieldApiName": "SSN__c"}]}`, nil, nil},
	{"PATCH", "/services/data/v62.0/ui-api/records/003000000000001AAA", `{"fields": {"SSN__c": "x"}}`, nil, nil},
	{"PATCH", "/services/data/v62.0/sobjects/ListView/00BR0000000Wc0rMAC", `{"filteredByInfo": [{"fieldApiName": "SSN__c"}]}`, nil, nil},
}

func TestSavedListPredicates(t *testing.T) {
	for _, tt := range savedListCases {
		got, err := BodyPredicates(nil, config.DialectSalesforce, tt.method, tt.path, []byte(tt.body))
		if !errors.Is(err, tt.err) {
			t.Errorf("BodyPredicates(%s %s, %s) error = %v, want %v", tt.method, tt.path, tt.body, err, tt.err)
			continue
		}
		if tt.err == nil && !samePredicates(got, tt.want) {
			t.Errorf("BodyPredicates(%s %s, %s) =\n%s\nwant\n%s", tt.method, tt.path, tt.body, show(got), show(tt.want))
		}
	}
	// The same path on a HubSpot route is no list view.
	if got, err := BodyPredicates(nil, config.DialectHubSpot, "PATCH", uiListInfo+"Contact/AllContacts", []byte(`{"filteredByInfo": [{"fieldApiName": "SSN__c"}]}`)); got != nil || err != nil {
		t.Errorf("HubSpot: %v, %v", got, err)
	}
	// A saved list's filters and sorts are bounded as a query's are.
	body := `{"filteredByInfo": [` + strings.Repeat(`{"fieldApiName": "Email", "operator": "Equals"},`, MaxPredicates) + `{}],
		"orderedBy": [{"fieldApiName": "Email"}]}`
	if got, err := BodyPredicates(nil, config.DialectSalesforce, "PATCH", uiListInfo+"Contact/AllContacts", []byte(body)); !errors.Is(err, ErrTooManyPredicates) || len(got) != MaxPredicates {
		t.Errorf("many filters: got %d predicates, %v", len(got), err)
	}
	body = `{"orderedBy": [` + strings.Repeat(`{"fieldApiName": "Email"},`, MaxPredicates) + `{"fieldApiName": "Phone"}]}`
	if got, err := BodyPredicates(nil, config.DialectSalesforce, "PATCH", uiListPrefs+"Contact/AllContacts", []byte(body)); !errors.Is(err, ErrTooManyPredicates) || len(got) != MaxPredicates {
		t.Errorf("many sorts: got %d predicates, %v", len(got), err)
	}
}
