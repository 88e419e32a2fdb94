package pipeline

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/crm"
)

// findingsOf runs a message through the pipeline with a decision that
// allows everything and returns what the policy saw.
func findingsOf(t *testing.T, m *Message) *policy.Input {
	t.Helper()
	d := &decider{make: func(in *policy.Input) (*policy.Decision, error) {
		all := map[string]string{}
		for _, f := range in.Findings {
			all[f.Category] = policy.ActionAllow
		}
		return &policy.Decision{ID: "d", Allow: true, Default: all}, nil
	}}
	if res := pipe(d).Process(context.Background(), m); res.Err != nil {
		t.Fatalf("%s: %v", m.Body, res.Err)
	}
	return d.seen
}

func jsonMessage(dir, path, doc string) *Message {
	m := message()
	m.Direction, m.Path, m.Body = dir, path, []byte(doc)
	m.Call = crm.Call{Operation: crm.OpRetrieve, Object: "Contact"}
	return m
}

// Item 1: the field hint comes from the nearest meaningful member name,
// not from value/displayValue/formattedValue wrappers or array indexes.
func TestHintNameSkipsWrappers(t *testing.T) {
	for _, c := range []struct {
		doc, pointer, want string
	}{
		{`{"Birthdate":"1960-01-02"}`, "/Birthdate", "Birthdate"},
		{`{"fields":{"Birthdate":{"value":"1960-01-02","displayValue":"1/2/1960"}}}`, "/fields/Birthdate/value", "Birthdate"},
		{`{"fields":{"Birthdate":{"value":"1960-01-02","displayValue":"1/2/1960"}}}`, "/fields/Birthdate/displayValue", "Birthdate"},
		{`{"node":{"Birthdate":{"value":"1960-01-02"}}}`, "/node/Birthdate/value", "Birthdate"},
		{`{"propertiesWithHistory":{"date_of_birth":[{"value":"1960-01-02","timestamp":"2024-01-01T00:00:00Z","sourceType":"CRM_UI"}]}}`, "/propertiesWithHistory/date_of_birth/0/value", "date_of_birth"},
		{`{"propertiesWithHistory":{"date_of_birth":[{"value":"1960-01-02","timestamp":"2024-01-01T00:00:00Z"}]}}`, "/propertiesWithHistory/date_of_birth/0/timestamp", "timestamp"},
		{`{"properties":{"firstname":{"value":"Jane","versions":[{"value":"Jane"}]}}}`, "/properties/firstname/versions/0/value", "firstname"},
		{`{"x":{"formattedValue":"$1"}}`, "/x/formattedValue", "x"},
		{`{"properties":{"date_of_birth":"1960-01-02"}}`, "/properties/date_of_birth", "date_of_birth"},
		{`{"value":"order 12345678"}`, "/value", "value"},
		{`[{"value":["a"]}]`, "/0/value/0", "value"},
		{`{"fields":{"Birthdate":{"label":"Birthdate"}}}`, "/fields/Birthdate/label", "label"},
	} {
		var got string
		found := false
		err := body.WalkJSON([]byte(c.doc), body.Limits{}, func(v *body.Value) error {
			if v.Pointer() == c.pointer {
				got, found = string(hintName(v)), true
			}
			return nil
		})
		if err != nil || !found || got != c.want {
			t.Errorf("%s at %s: hint name %q (%v, found %v), want %q", c.doc, c.pointer, got, err, found, c.want)
		}
	}
}

// Item 1 end to end: a birthdate wrapped by the UI API, GraphQL or
// HubSpot's history is found as one, under its field's name.
func TestWrappedFieldsKeepTheirHint(t *testing.T) {
	for _, c := range []struct{ doc, pointer, field string }{
		{`{"apiName":"Contact","id":"003A000000hostile","fields":{"Birthdate":{"displayValue":"1/2/1960","value":"1960-01-02"}}}`, "/fields/Birthdate/value", "Birthdate"},
		{`{"data":{"uiapi":{"query":{"Contact":{"edges":[{"node":{"Id":"003A000000hostile","Birthdate":{"value":"1960-01-02"}}}]}}}}}`, "/data/uiapi/query/Contact/edges/0/node/Birthdate/value", "Birthdate"},
		{`{"id":"101","propertiesWithHistory":{"date_of_birth":[{"value":"1960-01-02","timestamp":"2024-01-01T00:00:00.000Z","sourceType":"CRM_UI"}]}}`, "/propertiesWithHistory/date_of_birth/0/value", "date_of_birth"},
		{`{"id":"101","properties":{"date_of_birth":"1960-01-02"}}`, "/properties/date_of_birth", "date_of_birth"},
		// HubSpot search: the filter's value is under its propertyName.
		{`{"filterGroups":[{"filters":[{"propertyName":"date_of_birth","operator":"EQ","value":"1960-01-02"}]}]}`, "/filterGroups/0/filters/0/value", "date_of_birth"},
		{`{"filterGroups":[{"filters":[{"propertyName":"birthdate","operator":"IN","values":["1960-01-02"]}]}]}`, "/filterGroups/0/filters/0/values/0", "birthdate"},
	} {
		in := findingsOf(t, jsonMessage(DirResponse, "/x", c.doc))
		ok := false
		for _, f := range in.Findings {
			if f.Pointer == c.pointer && f.Category == detectors.CategoryDateOfBirth && f.Field == c.field {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s: no date_of_birth at %s under %s: %+v", c.doc, c.pointer, c.field, in.Findings)
		}
	}
	// A filter's value only takes its own filter's property.
	in := findingsOf(t, jsonMessage(DirRequest, "/x", `{"filterGroups":[{"filters":[{"propertyName":"date_of_birth","operator":"EQ","value":"1960-01-02"}]},{"filters":[{"propertyName":"createdate","operator":"GT","value":"1960-01-02"}]}]}`))
	for _, f := range in.Findings {
		if strings.HasPrefix(f.Pointer, "/filterGroups/1/") {
			t.Errorf("the second filter's value took the first's property: %+v", f)
		}
	}
}

// Negative controls: wrapped values that are no personal data stay so.
func TestWrappersNegativeControls(t *testing.T) {
	for _, doc := range []string{
		`{"value":"order 12345678"}`,
		`{"fields":{"Id":{"value":"003A000000hostIAQ","displayValue":null},"CreatedDate":{"value":"2024-01-02T03:04:05.000Z","displayValue":"1/2/2024 3:04 AM"}}}`,
		`{"propertiesWithHistory":{"hs_lastmodifieddate":[{"value":"2024-01-02T03:04:05.000Z","timestamp":"2024-01-02T03:04:05.000Z","sourceType":"CALCULATED"}]}}`,
		`{"fields":{"Birthdate":{"apiName":"Birthdate","label":"Birthdate","dataType":"Date"}}}`,
		`{"records":{"003A000000hostIAQ":{"apiName":"Contact"}},"001A000000acmeQAA":{"id":"001A000000acmeQAA"}}`,
		`{"results":{"2024-01-02":{"count":3},"order_12345678":1}}`,
	} {
		if in := findingsOf(t, jsonMessage(DirResponse, "/x", doc)); len(in.Findings) != 0 {
			t.Errorf("%s: findings %+v", doc, in.Findings)
		}
	}
}

// Item 2: a member name holding personal data is a name finding; the
// policy's answer other than allow refuses the message.
func TestMemberNamesAreScanned(t *testing.T) {
	for _, c := range []struct{ doc, pointer, category string }{
		{`{"4111111111111111":"x"}`, "/4111111111111111", detectors.CategoryCreditCard},
		{`{"records":[{"Id":"003A","123-45-6789":true}]}`, "/records/0/123-45-6789", detectors.CategoryUSSSN},
		{`{"a":{"jane.doe@example.com":{"b":1}}}`, "/a/jane.doe@example.com", detectors.CategoryEmail},
		{`{"x":[{"4111 1111 1111 1111":[]}]}`, "/x/0/4111 1111 1111 1111", detectors.CategoryCreditCard},
	} {
		in := findingsOf(t, jsonMessage(DirRequest, "/x", c.doc))
		ok := false
		for _, f := range in.Findings {
			if f.Pointer == c.pointer && f.Category == c.category && f.Field == "" {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s: no %s name finding at %s: %+v", c.doc, c.category, c.pointer, in.Findings)
		}
		// Masked, redacted or tokenized: a name cannot be rewritten, refused.
		for _, action := range []string{policy.ActionMask, policy.ActionRedact, policy.ActionTokenize} {
			d := &decider{make: func(*policy.Input) (*policy.Decision, error) {
				return &policy.Decision{ID: "d", Allow: true, Default: map[string]string{c.category: action}}, nil
			}}
			res := pipe(d).Process(context.Background(), jsonMessage(DirRequest, "/x", c.doc))
			if res.Err == nil || res.Err.Status != 403 || res.Err.Code != crm.CodePolicyDenied {
				t.Errorf("%s, %s: not refused: %+v %s", c.doc, action, res.Err, res.Body)
			}
		}
	}
}

// Each distinct member name is scanned once (clean names are remembered),
// so a page's repeated names cost nothing after the first.
func TestCleanNamesAreScannedOnce(t *testing.T) {
	s := detectors.NewScanner(detectors.Default())
	if got := scanName(s, nil, []byte("Some_Field__c")); len(got) != 0 {
		t.Fatalf("findings in a plain name: %+v", got)
	}
	if set := cleanNames.Load(); set == nil || set.scanner != s {
		t.Fatal("the clean name was not remembered")
	} else if _, ok := set.names["Some_Field__c"]; !ok {
		t.Fatal("the clean name was not remembered")
	}
	if got := scanName(s, nil, []byte("4111111111111111")); len(got) != 1 {
		t.Fatalf("card as a name: %+v", got)
	}
	if _, ok := cleanNames.Load().names["4111111111111111"]; ok {
		t.Fatal("a name with findings was remembered as clean")
	}
	name := []byte("Some_Field__c")
	allocs := testing.AllocsPerRun(100, func() { scanName(s, nil, name) })
	if allocs != 0 {
		t.Errorf("a remembered name costs %v allocations", allocs)
	}
}

// Item 2, CSV: the header's column names are scanned, with or without
// data rows.
func TestCSVHeaderNamesAreScanned(t *testing.T) {
	for _, doc := range []string{
		"Id,4111111111111111\n003A,x\n003B,y\n",
		"Id,4111111111111111\n",
		"Id,4111111111111111",
		"Id;\"4111111111111111\"\r\n",
	} {
		m := message()
		m.Direction, m.Format, m.Body = DirRequest, FormatCSV, []byte(doc)
		in := findingsOf(t, m)
		n := 0
		for _, f := range in.Findings {
			if f.Category == detectors.CategoryCreditCard {
				n++
				if f.Pointer != "/header/1" || f.Record != -1 {
					t.Errorf("%q: header finding %+v", doc, f)
				}
			}
		}
		if n != 1 {
			t.Errorf("%q: %d card findings, want 1 (scanned once): %+v", doc, n, in.Findings)
		}
		d := &decider{make: func(*policy.Input) (*policy.Decision, error) {
			return &policy.Decision{ID: "d", Allow: true, Default: map[string]string{"credit_card": "tokenize"}}, nil
		}}
		m = message()
		m.Direction, m.Format, m.Body = DirRequest, FormatCSV, []byte(doc)
		if res := pipe(d).Process(context.Background(), m); res.Err == nil || res.Err.Code != crm.CodePolicyDenied {
			t.Errorf("%q: not refused: %+v", doc, res.Err)
		}
	}
}

// A JSON part after another part with findings keeps every leaf's pointer
// (walkJSON appends to the leaves it is given).
func TestMultipartJSONPartsKeepPointers(t *testing.T) {
	m := message()
	m.Direction, m.Format = DirRequest, FormatMultipart
	m.ContentType = `multipart/form-data; boundary="b"`
	m.Body = []byte("--b\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Type: application/json\r\n\r\n{\"Email\":\"jane@example.com\"}\r\n" +
		"--b\r\nContent-Disposition: form-data; name=\"b\"\r\nContent-Type: application/json\r\n\r\n{\"x\":{\"Email\":\"joe@example.com\"}}\r\n--b--\r\n")
	in := findingsOf(t, m)
	got := map[string]bool{}
	for _, f := range in.Findings {
		got[f.Pointer] = true
	}
	if !got["/parts/0/Email"] || !got["/parts/1/x/Email"] || len(got) != 2 {
		t.Errorf("pointers %v", got)
	}
}

// Item 3: the whole q is scanned, outside its literals too (crm.QueryParts).
func TestQueryGapsAreScanned(t *testing.T) {
	for _, c := range []struct{ url, category string }{
		{"/services/data/v62.0/parameterizedSearch?q=4111111111111111", detectors.CategoryCreditCard},
		{"/services/data/v62.0/parameterizedSearch?q=jane.doe%40example.com&sobject=Contact", detectors.CategoryEmail},
		{"/services/data/v62.0/search/suggestions?q=123-45-6789&sobject=Contact", detectors.CategoryUSSSN},
		{"/services/data/v62.0/search?q=FIND+%7B4111111111111111%7D", detectors.CategoryCreditCard},
		{"/services/data/v62.0/search?q=FIND+4111111111111111+IN+ALL+FIELDS", detectors.CategoryCreditCard},
	} {
		u, _ := url.Parse(c.url)
		m := jsonMessage(DirRequest, u.Path, "")
		m.Body, m.URL, m.Method = nil, u, "GET"
		in := findingsOf(t, m)
		n := 0
		for _, f := range in.Findings {
			if f.In == InQuery && f.Pointer == "/q" && f.Category == c.category {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d %s findings in q, want 1: %+v", c.url, n, c.category, in.Findings)
		}
	}
}
