package crm

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/config"
)

var fuzzDialects = []string{config.DialectSalesforce, config.DialectHubSpot, config.DialectGeneric}

// namesObject reports whether a segment of path names object, as written
// or by a name the dialects canonicalize to it (CoNtACt → Contact,
// 0-1 → contacts).
func namesObject(path, object string) bool {
	for _, seg := range strings.Split(path, "/") {
		if seg == object || salesforceObject(seg) == object || hubSpotObject(seg) == object {
			return true
		}
	}
	return false
}

// FuzzClassify: any method, path and query of a request classify without
// panicking into a known operation; the object is named by a segment of
// the path or an identifier of the SOQL (never invented); a token request is
// exactly a Salesforce path under /services/oauth2/; the operations whose
// bodies hold many records say so (Collection), those of one record do
// not; and a trailing slash changes nothing.
func FuzzClassify(f *testing.F) {
	for _, c := range []struct{ d, m, p, q string }{
		{"0", "GET", "/services/data/v62.0/query", "SELECT Id, (SELECT Id FROM Contacts) FROM Account WHERE Name = 'x'"},
		{"0", "PATCH", "/services/data/v62.0/sobjects/Contact/003A", ""},
		{"0", "POST", "/services/data/v62.0/composite/sobjects/Contact", ""},
		{"0", "POST", "/services/oauth2/token", ""},
		{"0", "GET", "/services/data/v62.0//query", "select id from Contact"},
		{"1", "POST", "/crm/v3/objects/contacts/batch/read", ""},
		{"1", "GET", "/crm/objects/2025-09/contacts/51", ""},
		{"1", "POST", "/crm/v3/objects/contacts/search", ""},
		{"2", "GET", "/anything", ""},
	} {
		f.Add(c.d[0], c.m, c.p, c.q)
	}
	ops := map[string]bool{OpQuery: true, OpRetrieve: true, OpCreate: true, OpUpdate: true, OpDelete: true, OpComposite: true,
		OpSearch: true, OpList: true, OpBatchRead: true, OpBatchCreate: true, OpBatchUpdate: true, OpBatchOther: true, OpToken: true, OpOther: true}
	f.Fuzz(func(t *testing.T, d byte, method, path, q string) {
		dialect := fuzzDialects[int(d)%len(fuzzDialects)]
		query := url.Values{"q": {q}}
		c := Classify(dialect, method, path, query)
		if !ops[c.Operation] {
			t.Fatalf("%s %s %q: operation %q", method, path, q, c.Operation)
		}
		if c2 := Classify(dialect, method, path, query); c2 != c {
			t.Fatalf("%s %s: %+v, then %+v", method, path, c, c2)
		}
		if c.Object != "" && !namesObject(path, c.Object) && !(c.Operation == OpQuery && strings.Contains(strings.ToLower(q), strings.ToLower(c.Object))) {
			t.Fatalf("%s %s %q: object %q is in neither", method, path, q, c.Object)
		}
		if c.Operation == OpQuery {
			for _, r := range c.Object {
				if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
					t.Fatalf("%q: object %q", q, c.Object)
				}
			}
		}
		if token := dialect == config.DialectSalesforce && strings.HasPrefix(path, "/services/oauth2/"); token != (c.Operation == OpToken) {
			t.Fatalf("%s %s: %+v", dialect, path, c)
		}
		switch c.Operation {
		case OpQuery, OpSearch, OpList, OpBatchRead, OpBatchCreate, OpBatchUpdate, OpBatchOther, OpComposite:
			if !c.Collection {
				t.Fatalf("%s %s %s: %+v is not a collection", dialect, method, path, c)
			}
		case OpRetrieve, OpCreate, OpUpdate, OpDelete, OpToken:
			if c.Collection {
				t.Fatalf("%s %s %s: %+v is a collection", dialect, method, path, c)
			}
		}
		// (/services/oauth2 itself is no token endpoint, /services/oauth2/ is
		// the prefix of them all.)
		if !strings.HasSuffix(path, "/") && dialect != config.DialectGeneric && path != "/services/oauth2" {
			if c2 := Classify(dialect, method, path+"/", query); c2 != c {
				t.Fatalf("%s %s: %+v, with a trailing slash %+v", method, path, c, c2)
			}
		}
	})
}

// FuzzErrorBody: whatever its message, code and ids, a refusal renders as
// the dialect's own error shape (Salesforce's [{message, errorCode,
// fields}], HubSpot's {status, message, correlationId, category},
// Veil's {error: {code, message}}), valid JSON that carries the code and
// the message as given (invalid UTF-8 read as U+FFFD, as encoding/json
// writes it).
func FuzzErrorBody(f *testing.F) {
	f.Add(byte(0), "Blocked by Veil privacy policy: pci_card_in_free_text", CodePolicyDenied, "f8ba711cef17896432692593663c1c32", "req-1")
	f.Add(byte(1), "the caller is not a known Veil principal", CodeUnknownPrincipal, "", "3aeb699f7af4059e364d51c1")
	f.Add(byte(2), "\"quoted\" \\ \x00 \xff \u2028", "code</script>", "<b>", "")
	f.Fuzz(func(t *testing.T, d byte, msg, code, decision, request string) {
		dialect := fuzzDialects[int(d)%len(fuzzDialects)]
		e := &Error{Status: 403, Code: code, Message: msg, DecisionID: decision, RequestID: request}
		b := e.Body(dialect)
		wantMsg := msg
		if decision != "" {
			wantMsg += " (decision " + decision + ")"
		}
		wantMsg, code = asJSON(wantMsg), asJSON(code)
		switch dialect {
		case config.DialectSalesforce:
			var v []struct {
				Message   string   `json:"message"`
				ErrorCode string   `json:"errorCode"`
				Fields    []string `json:"fields"`
			}
			if err := json.Unmarshal(b, &v); err != nil || len(v) != 1 || v[0].Message != wantMsg || v[0].ErrorCode != code || v[0].Fields == nil {
				t.Fatalf("Salesforce error %s (%v)", b, err)
			}
		case config.DialectHubSpot:
			var v struct {
				Status        string              `json:"status"`
				Message       string              `json:"message"`
				CorrelationID string              `json:"correlationId"`
				Category      string              `json:"category"`
				Context       map[string][]string `json:"context"`
			}
			if err := json.Unmarshal(b, &v); err != nil || v.Status != "error" || v.Message != wantMsg || v.Category != code || v.CorrelationID != asJSON(request) ||
				(decision != "") != (len(v.Context["decisionId"]) == 1) {
				t.Fatalf("HubSpot error %s (%v)", b, err)
			}
		default:
			var v struct {
				Error struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal(b, &v); err != nil || v.Error.Code != code || v.Error.Message != wantMsg {
				t.Fatalf("generic error %s (%v)", b, err)
			}
		}
	})
}

// asJSON is s as encoding/json writes and reads it back.
func asJSON(s string) string {
	b, _ := json.Marshal(s)
	var out string
	_ = json.Unmarshal(b, &out)
	return out
}

// valuePath adapts a body.Value to Path, as the pipeline does.
type valuePath struct{ v *body.Value }

func (p valuePath) Len() int                { return p.v.Segments() }
func (p valuePath) Seg(i int) ([]byte, int) { return p.v.Segment(i) }

// FuzzRecordOf walks any JSON body as the pipeline does for every call
// shape: RecordOf and Describe never fail on a value of it (a top-level
// array of scalars panicked Describe, and with it the whole process in
// forward mode), a record's prefix is a prefix of the value's path, and
// Describe names a record's id, object or consent flag only where its
// dialect keeps them.
func FuzzRecordOf(f *testing.F) {
	for _, s := range []string{
		`{"records":[{"attributes":{"type":"Contact"},"Id":"003A","HasOptedOutOfEmail":true,"Email":"a@b.c"}]}`,
		`{"results":[{"id":"1","properties":{"hs_email_optout":"true","email":"a@b.c"}}]}`,
		`[{"Id":"1"},"x",2,null,["y"]]`, `["x"]`, `"x"`, `{"Id":"1","attributes":{"type":"Lead"}}`, `{"inputs":["x",{"id":1}]}`,
	} {
		f.Add([]byte(s), byte(0))
	}
	calls := []Call{{OpQuery, "Contact", true, nil, true}, {OpRetrieve, "Contact", false, nil, true}, {OpList, "contacts", true, nil, false}, {OpOther, "", false, nil, false}, {OpComposite, "", true, nil, true}}
	extra := map[string]string{"Do_Not_Sell__c": "sale_opt_out", "do_not_sell": "sale_opt_out"}
	f.Fuzz(func(t *testing.T, doc []byte, sel byte) {
		dialect := fuzzDialects[int(sel)%len(fuzzDialects)]
		c := calls[int(sel/3)%len(calls)]
		_ = body.WalkJSON(doc, body.Limits{}, func(v *body.Value) error {
			p := valuePath{v}
			rec, depth := RecordOf(c, p)
			if rec < 0 {
				return nil
			}
			if depth < 0 || depth > p.Len() {
				t.Fatalf("%s: record %d at depth %d of a path of %d", v.Pointer(), rec, depth, p.Len())
			}
			role, ck := Describe(dialect, p, depth, extra)
			if role == RoleNone {
				return nil
			}
			k, _ := p.Seg(depth)
			switch {
			case role == RoleID && (p.Len()-depth != 1 || string(k) != "Id" && string(k) != "id"),
				role == RoleObject && (p.Len()-depth != 2 || string(k) != "attributes"),
				role == RoleConsent && ck == "":
				t.Fatalf("%s %s: role %d (%q) at depth %d", dialect, v.Pointer(), role, ck, depth)
			}
			return nil
		})
	})
}

// TestDescribeTopLevelScalars: found by FuzzInspectRequest. An element
// of a top-level array that is no object is a record with no members;
// Describe indexed past its path. Each element is its own record (its
// index, one segment deep); a scalar element, like the object element
// itself, has no role; only the object's members do: its id, under each
// dialect's spelling (Salesforce's Id, HubSpot's id; none for generic).
func TestDescribeTopLevelScalars(t *testing.T) {
	type got struct {
		pointer       string
		record, depth int
		role          int
		consentKey    string
	}
	elements := []got{{"/0", 0, 1, RoleNone, ""}, {"/1", 1, 1, RoleNone, ""}, {"/2", 2, 1, RoleNone, ""}, {"/3", 3, 1, RoleNone, ""}}
	for _, c := range []struct {
		dialect string
		members []got
	}{
		{config.DialectSalesforce, []got{{"/3/Id", 3, 1, RoleID, ""}, {"/3/id", 3, 1, RoleNone, ""}}},
		{config.DialectHubSpot, []got{{"/3/Id", 3, 1, RoleNone, ""}, {"/3/id", 3, 1, RoleID, ""}}},
		{config.DialectGeneric, []got{{"/3/Id", 3, 1, RoleNone, ""}, {"/3/id", 3, 1, RoleNone, ""}}},
	} {
		var seen []got
		err := body.WalkJSON([]byte(`["x",1,true,{"Id":"1","id":"2"}]`), body.Limits{}, func(v *body.Value) error {
			if rec, depth := RecordOf(Call{Collection: true}, valuePath{v}); rec >= 0 {
				role, ck := Describe(c.dialect, valuePath{v}, depth, nil)
				seen = append(seen, got{v.Pointer(), rec, depth, role, ck})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := append(append([]got(nil), elements...), c.members...)
		if !slices.Equal(seen, want) {
			t.Errorf("%s:\n got %v\nwant %v", c.dialect, seen, want)
		}
	}
}
