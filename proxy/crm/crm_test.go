package crm

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/veil-proxy/veil/proxy/config"
)

func TestClassify(t *testing.T) {
	sf, hs := config.DialectSalesforce, config.DialectHubSpot
	tests := []struct {
		dialect, method, path, q string
		want                     Call
	}{
		{sf, "GET", "/services/data/v62.0/query", "SELECT Id, (SELECT Id FROM Contacts) FROM Account WHERE Name = 'x'", Call{OpQuery, "Account", true, nil, true}},
		{sf, "GET", "/services/data/v50.0/query", "select id from Contact", Call{OpQuery, "Contact", true, nil, true}},
		{sf, "GET", "/services/data/v62.0/query/01gD0000002HU6KIAW-2000", "", Call{OpQuery, "", true, nil, true}},
		{sf, "GET", "/services/data/v62.0/sobjects/Contact/003000000000001AAA", "", Call{OpRetrieve, "Contact", false, nil, true}},
		{sf, "PATCH", "/services/data/v62.0/sobjects/Lead/00Q000000000001AAA", "", Call{OpUpdate, "Lead", false, nil, true}},
		{sf, "DELETE", "/services/data/v62.0/sobjects/Lead/00Q000000000001AAA", "", Call{OpDelete, "Lead", false, nil, true}},
		{sf, "POST", "/services/data/v62.0/sobjects/Contact", "", Call{OpCreate, "Contact", false, nil, true}},
		{sf, "GET", "/services/data/v56.0/query.xml", "select id from Contact", Call{OpQuery, "Contact", true, nil, true}},
		{sf, "PATCH", "/services/data/v56.0/sobjects/Lead/00Q000000000001AAA.xml", "", Call{OpUpdate, "Lead", false, nil, true}},
		{sf, "GET", "/services/data/v56.0/sobjects/Lead/00Q000000000001AAA.json", "", Call{OpRetrieve, "Lead", false, nil, true}},
		{sf, "GET", "/services/data/v62.0/sobjects/Contact/describe", "", Call{OpOther, "Contact", false, nil, true}},
		{sf, "POST", "/services/data/v62.0/composite/sobjects", "", Call{OpComposite, "", true, nil, true}},
		{sf, "POST", "/services/oauth2/token", "", Call{OpToken, "", false, nil, true}},
		{sf, "GET", "/services/data/vX/query", "", Call{OpOther, "", false, nil, true}},
		{hs, "GET", "/crm/v3/objects/contacts", "", Call{OpList, "contacts", true, nil, false}},
		{hs, "GET", "/crm/v3/objects/contacts/51", "", Call{OpRetrieve, "contacts", false, nil, false}},
		{hs, "PATCH", "/crm/v3/objects/contacts/51", "", Call{OpUpdate, "contacts", false, nil, false}},
		{hs, "POST", "/crm/v3/objects/contacts", "", Call{OpCreate, "contacts", false, nil, false}},
		{hs, "POST", "/crm/v3/objects/contacts/batch/read", "", Call{OpBatchRead, "contacts", true, nil, false}},
		{hs, "POST", "/crm/v3/objects/contacts/batch/create", "", Call{OpBatchCreate, "contacts", true, nil, false}},
		{hs, "POST", "/crm/v3/objects/contacts/search", "", Call{OpSearch, "contacts", true, nil, false}},
		{hs, "GET", "/crm/objects/2026-03/contacts", "", Call{OpList, "contacts", true, nil, false}},
		{hs, "GET", "/crm/v4/associations", "", Call{OpOther, "", false, nil, false}},
		// Any spelling HubSpot and Salesforce take is the object's canonical name.
		{hs, "GET", "/crm/v3/objects/Contacts/51", "", Call{OpRetrieve, "contacts", false, nil, false}},
		{hs, "GET", "/crm/v3/objects/contact/51", "", Call{OpRetrieve, "contacts", false, nil, false}},
		{hs, "GET", "/crm/v3/objects/0-1", "", Call{OpList, "contacts", true, nil, false}},
		{hs, "GET", "/crm/v3/objects/p_custom", "", Call{OpList, "p_custom", true, nil, false}},
		{hs, "GET", "/crm/v3/objects/p123456_cars/7", "", Call{OpRetrieve, "p123456_cars", false, nil, false}},
		{hs, "GET", "/crm/v3/objects/2-123456/7", "", Call{OpRetrieve, "2-123456", false, nil, false}},
		{hs, "GET", "/crm/v3/objects/LINE_ITEM/7", "", Call{OpRetrieve, "line_items", false, nil, false}},
		// A name Veil does not know is unknown: consent treats its records
		// as carrying every flag.
		{hs, "GET", "/crm/v3/objects/kontakts/7", "", Call{OpRetrieve, "", false, nil, false}},
		{hs, "GET", "/crm/v3/objects/contacts%20/7", "", Call{OpRetrieve, "", false, nil, false}},
		{hs, "GET", "/crm/v3/objects/P_Cars/7", "", Call{OpRetrieve, "", false, nil, false}},
		{sf, "GET", "/services/data/v62.0/sobjects/contact/003000000000001AAA", "", Call{OpRetrieve, "Contact", false, nil, true}},
		{sf, "GET", "/services/data/v62.0/query", "select id from CONTACT", Call{OpQuery, "Contact", true, nil, true}},
		{config.DialectGeneric, "GET", "/anything", "", Call{OpOther, "", true, nil, false}},
	}
	for _, tt := range tests {
		got := Classify(tt.dialect, tt.method, tt.path, url.Values{"q": {tt.q}})
		if got != tt.want {
			t.Errorf("Classify(%s %s %s) = %+v, want %+v", tt.dialect, tt.method, tt.path, got, tt.want)
		}
	}
}

// path is a test Path built from segments: strings are keys, ints indexes.
type path []any

func (p path) Len() int { return len(p) }
func (p path) Seg(i int) ([]byte, int) {
	if k, ok := p[i].(string); ok {
		return []byte(k), -1
	}
	return nil, p[i].(int)
}

func TestRecordOfAndDescribe(t *testing.T) {
	coll := Call{Operation: OpQuery, Collection: true}
	single := Call{Operation: OpRetrieve}
	tests := []struct {
		call          Call
		dialect       string
		p             path
		record, depth int
		role          int
		consent       string
	}{
		{coll, config.DialectSalesforce, path{"records", 3, "Email"}, 3, 2, RoleNone, ""},
		{coll, config.DialectSalesforce, path{"records", 3, "Id"}, 3, 2, RoleID, ""},
		{coll, config.DialectSalesforce, path{"records", 0, "attributes", "type"}, 0, 2, RoleObject, ""},
		{coll, config.DialectSalesforce, path{"records", 1, "HasOptedOutOfEmail"}, 1, 2, RoleConsent, ConsentEmailOptOut},
		{coll, config.DialectSalesforce, path{"records", 1, "DoNotCall"}, 1, 2, RoleConsent, ConsentCallOptOut},
		{coll, config.DialectSalesforce, path{"nextRecordsUrl"}, -1, 0, RoleNone, ""},
		{single, config.DialectSalesforce, path{"HasOptedOutOfFax"}, 0, 0, RoleConsent, ConsentFaxOptOut},
		{coll, config.DialectHubSpot, path{"results", 2, "properties", "hs_email_optout"}, 2, 2, RoleConsent, ConsentEmailOptOut},
		{coll, config.DialectHubSpot, path{"results", 2, "id"}, 2, 2, RoleID, ""},
		{coll, config.DialectHubSpot, path{"inputs", 0, "properties", "email"}, 0, 2, RoleNone, ""},
		{coll, config.DialectHubSpot, path{"paging", "next", "after"}, -1, 0, RoleNone, ""},
		{coll, config.DialectSalesforce, path{4, "id"}, 4, 1, RoleNone, ""},
		// Configured fields, where the built-in flags are read, and not elsewhere.
		{coll, config.DialectSalesforce, path{"records", 1, "Do_Not_Sell__c"}, 1, 2, RoleConsent, "sale_opt_out"},
		{coll, config.DialectSalesforce, path{"records", 1, "Owner", "Do_Not_Sell__c"}, 1, 2, RoleNone, ""},
		{coll, config.DialectHubSpot, path{"results", 0, "properties", "hs_do_not_sell"}, 0, 2, RoleConsent, "sale_opt_out"},
		{coll, config.DialectHubSpot, path{"results", 0, "hs_do_not_sell"}, 0, 2, RoleNone, ""},
	}
	for _, tt := range tests {
		rec, depth := RecordOf(tt.call, tt.p)
		if rec != tt.record || depth != tt.depth {
			t.Errorf("RecordOf(%v) = %d,%d want %d,%d", tt.p, rec, depth, tt.record, tt.depth)
			continue
		}
		if rec < 0 {
			continue
		}
		role, ck := Describe(tt.dialect, tt.p, depth, extraConsent)
		if role != tt.role || ck != tt.consent {
			t.Errorf("Describe(%v) = %d,%q want %d,%q", tt.p, role, ck, tt.role, tt.consent)
		}
	}
}

func TestTruthy(t *testing.T) {
	if !Truthy(true, []byte("true")) || Truthy(true, []byte("false")) || !Truthy(false, []byte("TRUE")) || Truthy(false, []byte("yes")) {
		t.Fatal("Truthy")
	}
}

func TestErrorShapes(t *testing.T) {
	e := &Error{Status: 403, Code: CodePolicyDenied, Message: "Blocked by policy", DecisionID: "d-1", RequestID: "r-1"}

	var sf []map[string]any
	if err := json.Unmarshal(e.Body(config.DialectSalesforce), &sf); err != nil || len(sf) != 1 {
		t.Fatalf("salesforce body: %v %v", sf, err)
	}
	if sf[0]["errorCode"] != CodePolicyDenied || sf[0]["message"] != "Blocked by policy (decision d-1)" {
		t.Errorf("salesforce body = %v", sf)
	}
	if _, ok := sf[0]["fields"].([]any); !ok {
		t.Errorf("salesforce fields not an array: %v", sf[0]["fields"])
	}

	var hs map[string]any
	if err := json.Unmarshal(e.Body(config.DialectHubSpot), &hs); err != nil {
		t.Fatal(err)
	}
	if hs["status"] != "error" || hs["category"] != CodePolicyDenied || hs["correlationId"] != "r-1" {
		t.Errorf("hubspot body = %v", hs)
	}

	rec := httptest.NewRecorder()
	e.Write(rec, config.DialectGeneric)
	if rec.Code != 403 || rec.Header().Get("X-Veil-Decision-Id") != "d-1" || rec.Header().Get("Content-Type") == "" {
		t.Errorf("Write: %d %v", rec.Code, rec.Header())
	}
	var g map[string]map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &g); err != nil || g["error"]["code"] != CodePolicyDenied {
		t.Errorf("generic body %s: %v", rec.Body, err)
	}
}

var extraConsent = map[string]string{"Do_Not_Sell__c": "sale_opt_out", "hs_do_not_sell": "sale_opt_out"}

// A Salesforce record's member holding an object is a parent record
// reached through a relationship, at any depth and whatever order its
// members come in; its attributes, compound addresses and custom compound
// fields are not.
func TestRecordAtParents(t *testing.T) {
	sf := Call{Operation: OpQuery, Collection: true, Parents: true}
	tests := []struct {
		p      path
		depth  int
		nested bool
	}{
		{path{"records", 0, "Contact", "Email"}, 3, true},
		{path{"records", 0, "Contact", "attributes", "type"}, 3, true},
		{path{"records", 0, "Contact", "Account", "Phone"}, 4, true},
		{path{"records", 0, "Contacts", "records", 2, "Email"}, 5, true},
		{path{"records", 0, "Contacts", "records", 2, "Owner", "Email"}, 6, true},
		{path{"records", 0, "attributes", "type"}, 2, false},
		{path{"records", 0, "MailingAddress", "street"}, 2, false},
		{path{"records", 0, "Location__c", "latitude"}, 2, false},
		{path{"records", 0, "Email"}, 2, false},
	}
	for _, tt := range tests {
		depth, _, nested := RecordAt(sf, tt.p)
		if depth != tt.depth || nested != tt.nested {
			t.Errorf("RecordAt(%v) = depth %d nested %v, want %d %v", tt.p, depth, nested, tt.depth, tt.nested)
		}
	}
	// HubSpot's properties are the record's own, not a parent.
	hs := Call{Operation: OpList, Collection: true}
	if depth, _, nested := RecordAt(hs, path{"results", 0, "properties", "email"}); depth != 2 || nested {
		t.Errorf("HubSpot properties: depth %d nested %v", depth, nested)
	}
	for _, name := range []string{"Contact", "Owner", "Account__r"} {
		if !IsParentMember([]byte(name)) {
			t.Errorf("%s is a relationship", name)
		}
	}
	for _, name := range []string{"attributes", "BillingAddress", "Geo__c"} {
		if IsParentMember([]byte(name)) {
			t.Errorf("%s is no relationship", name)
		}
	}
}
