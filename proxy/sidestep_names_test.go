package proxy_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Red-team sidesteps through the whole proxy: personal data hidden from
// the field hints by wrappers, put in member or column names, or searched
// for unquoted in q. Requests carrying a card that way are refused;
// responses are masked for the analyst; negative controls pass untouched.
func TestSidestepsThroughTheProxy(t *testing.T) {
	var respond string
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "GET" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, respond)
	})
	h, before := startHostile(t, u)
	const (
		uiRecord = "/services/data/v62.0/ui-api/records/003A000000hostile"
		search   = "/crm/v3/objects/contacts/search"
		bulk     = "/services/data/v62.0/jobs/ingest/750A000000hostile/batches"
	)
	refusedRequests := []struct{ name, method, path, ctype, body string }{
		{"card in a UI API wrapper", "PATCH", sfContact, "application/json", `{"fields":{"Description":{"value":"card 4111111111111111"}}}`},
		{"card as a member name", "PATCH", sfContact, "application/json", `{"Description":"x","4111111111111111":"x"}`},
		{"card as a nested member name", "PATCH", hsContact, "application/json", `{"properties":{"4111 1111 1111 1111":"x"}}`},
		{"SSN as a member name", "PATCH", hsContact, "application/json", `{"properties":{"123-45-6789":"x"}}`},
		{"card as a CSV column name", "PUT", bulk, "text/csv", "Id,4111111111111111\n003A000000hostile,x\n"},
		{"card as the only CSV header", "PUT", bulk, "text/csv", "LastName,4111111111111111\n"},
		{"card in parameterizedSearch q", "GET", "/services/data/v62.0/parameterizedSearch?q=4111111111111111", "", ""},
		{"card in search suggestions q", "GET", "/services/data/v62.0/search/suggestions?q=4111111111111111&sobject=Contact", "", ""},
		{"card unbraced in SOSL", "GET", "/services/data/v62.0/search?q=FIND+4111111111111111+IN+ALL+FIELDS", "", ""},
		{"card braced in SOSL", "GET", "/services/data/v62.0/search?q=FIND+%7B4111111111111111%7D", "", ""},
		{"card in a HubSpot search query", "POST", search, "application/json", `{"query":"4111111111111111","limit":10}`},
		{"card in a HubSpot search filter", "POST", search, "application/json", `{"filterGroups":[{"filters":[{"propertyName":"notes","operator":"EQ","value":"4111111111111111"}]}]}`},
	}
	for _, c := range refusedRequests {
		t.Run("refused/"+c.name, func(t *testing.T) {
			u.reset()
			res := send(t, c.method, h.veil+c.path, "demo-admin", c.ctype, c.body)
			refused(t, res, 403, "policy_denied")
			noLeak(t, h, res, "4111111111111111", "4111 1111 1111 1111", "123-45-6789")
			if got := u.requests(); len(got) != 0 {
				t.Errorf("%d requests reached the CRM: %s %q", len(got), got[0].path, got[0].body)
			}
		})
	}

	passed := []struct{ name, method, path, ctype, body string }{
		{"a value wrapper with an order number", "PATCH", sfContact, "application/json", `{"value":"order 12345678"}`},
		{"UI API ids and timestamps", "PATCH", sfContact, "application/json", `{"fields":{"AccountId":{"value":"001A000000acmeQAA"},"CreatedDate":{"value":"2024-01-02T03:04:05.000Z"}}}`},
		{"ids and timestamps as member names", "PATCH", hsContact, "application/json", `{"properties":{"001A000000acmeQAA":"2024-01-02T03:04:05.000Z","2024-01-02":"x"}}`},
		{"a company in parameterizedSearch q", "GET", "/services/data/v62.0/parameterizedSearch?q=Acme+Corp&sobject=Account", "", ""},
		{"a SOQL query by id", "GET", "/services/data/v62.0/query?q=SELECT+Id,Name+FROM+Account+WHERE+Id+%3D+%27001A000000acmeQAA%27+LIMIT+200", "", ""},
		{"a CSV with plain columns", "PUT", bulk, "text/csv", "Id,Description\n003A000000hostile,order 12345678\n"},
	}
	for _, c := range passed {
		t.Run("passed/"+c.name, func(t *testing.T) {
			u.reset()
			res := send(t, c.method, h.veil+c.path, "demo-admin", c.ctype, c.body)
			if res.status >= 300 {
				t.Fatalf("refused: %d %s", res.status, res.body)
			}
			got := u.requests()
			if len(got) != 1 || string(got[0].body) != c.body {
				t.Fatalf("%d requests upstream: %+v", len(got), got)
			}
		})
	}

	// Responses: the analyst's date_of_birth is redacted (rules/data.json),
	// wrapped or not; an SSN under a Birthdate wrapper too.
	masked := []struct{ name, path, doc string }{
		{"UI API record", uiRecord, `{"apiName":"Contact","id":"003A000000hostile","fields":{"Birthdate":{"displayValue":"1/2/1960","value":"1960-01-02"},"LastName":{"displayValue":null,"value":"Doe"}}}`},
		{"GraphQL node", "/services/data/v62.0/graphql", `{"data":{"uiapi":{"query":{"Contact":{"edges":[{"node":{"Id":"003A000000hostile","Birthdate":{"value":"1960-01-02"}}}]}}}}}`},
		{"HubSpot property history", hsContact + "?propertiesWithHistory=date_of_birth", `{"id":"101","properties":{"date_of_birth":"1960-01-02"},"propertiesWithHistory":{"date_of_birth":[{"value":"1960-01-02","timestamp":"2024-01-02T03:04:05.000Z","sourceType":"CRM_UI"}]}}`},
		{"SSN under a Birthdate wrapper", uiRecord, `{"apiName":"Contact","fields":{"Birthdate":{"value":"123-45-6789","displayValue":"1/2/1960"}}}`},
	}
	for _, c := range masked {
		t.Run("masked/"+c.name, func(t *testing.T) {
			respond = c.doc
			res := send(t, "GET", h.veil+c.path, "demo-analyst", "", "")
			if res.status != 200 {
				t.Fatalf("%d %s", res.status, res.body)
			}
			noLeak(t, h, res, "1960-01-02", "1/2/1960", "123-45-6789")
			if !bytes.Contains(res.body, []byte("2024-01-02T03:04:05.000Z")) && strings.Contains(c.doc, "2024-01-02T03:04:05.000Z") {
				t.Errorf("the timestamp was touched: %s", res.body)
			}
		})
	}

	// A card as a member name in a response cannot be masked in place:
	// refused, as a form field's name would be.
	t.Run("refused/response with a card as a member name", func(t *testing.T) {
		respond = `{"apiName":"Contact","fields":{"4111111111111111":{"value":"x"}}}`
		res := send(t, "GET", h.veil+uiRecord, "demo-analyst", "", "")
		refused(t, res, 403, "policy_denied")
		noLeak(t, h, res, "4111111111111111")
	})

	// Negative controls answered: untouched, byte for byte.
	for _, doc := range []string{
		`{"value":"order 12345678"}`,
		`{"apiName":"Contact","id":"003A000000hostile","fields":{"AccountId":{"displayValue":null,"value":"001A000000acmeQAA"},"CreatedDate":{"displayValue":"1/2/2024 3:04 AM","value":"2024-01-02T03:04:05.000Z"}}}`,
	} {
		respond = doc
		res := send(t, "GET", h.veil+uiRecord, "demo-analyst", "", "")
		if res.status != 200 || string(res.body) != doc {
			t.Errorf("%s: %d %s", doc, res.status, res.body)
		}
	}
	goroutinesSettle(t, before)
}
