package crm

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/veil-proxy/veil/proxy/config"
)

// Operations (the policy input's "operation").
const (
	OpQuery       = "query"
	OpRetrieve    = "retrieve"
	OpCreate      = "create"
	OpUpdate      = "update"
	OpDelete      = "delete"
	OpComposite   = "composite"
	OpSearch      = "search"
	OpList        = "list"
	OpBatchRead   = "batch_read"
	OpBatchCreate = "batch_create"
	OpBatchUpdate = "batch_update"
	OpBatchOther  = "batch_other"
	OpToken       = "token"
	OpLogin       = "login" // a login through Veil (an OAuth token request, a SOAP login()): the audit trail's word
	OpOther       = "other"
)

// Call is what a request means in its CRM's terms.
type Call struct {
	Operation string
	Object    string // Contact, Lead, contacts, ... ("" when unknown)
	// Collection is true when bodies carry many records (under records[],
	// results[], inputs[] or a top-level array) rather than one object.
	Collection bool
	// Records numbers the nested records of the body being walked
	// (RecordOf); nil outside a walk.
	Records Numberer
	// Parents: a record's member that is an object is a record of its
	// own, a parent reached through a relationship (Salesforce
	// SELECT Contact.Email FROM Case: records[i].Contact).
	Parents bool
}

// Classify names the operation and object of a request. It reads the SOQL
// of a query only to find its FROM object; the query is never kept.
func Classify(dialect, method, path string, query url.Values) Call {
	switch dialect {
	case config.DialectSalesforce:
		c := classifySalesforce(method, path, query)
		c.Parents = true
		return c
	case config.DialectHubSpot:
		return classifyHubSpot(method, path)
	}
	return Call{Operation: OpOther, Collection: true}
}

func classifySalesforce(method, path string, query url.Values) Call {
	if strings.HasPrefix(path, "/services/oauth2/") {
		return Call{Operation: OpToken}
	}
	seg := salesforcePath(path)
	if seg == nil {
		return Call{Operation: OpOther}
	}
	switch seg[0] {
	case "query", "queryAll":
		return Call{Operation: OpQuery, Object: salesforceObject(soqlObject(query.Get("q"))), Collection: true}
	case "search", "parameterizedSearch":
		// SOSL (search?q=FIND…) and parameterized search: their records
		// are under searchRecords[] (RecordAt; in XML, searchRecords
		// elements). Not a Collection: a body without searchRecords (a
		// POST parameterizedSearch's request) is one record.
		if len(seg) == 1 {
			return Call{Operation: OpSearch}
		}
		return Call{Operation: OpOther}
	case "composite":
		if len(seg) >= 2 && seg[1] == "sobjects" {
			c := Call{Operation: OpComposite, Collection: true}
			if len(seg) >= 3 {
				c.Object = salesforceObject(seg[2])
			}
			return c
		}
		return Call{Operation: OpComposite, Collection: true}
	case "sobjects":
		if len(seg) < 2 {
			return Call{Operation: OpOther}
		}
		c := Call{Object: salesforceObject(seg[1])}
		switch {
		case len(seg) == 2 && method == "POST":
			c.Operation = OpCreate
		case len(seg) == 3 && seg[2] != "describe":
			switch method {
			case "GET", "HEAD":
				c.Operation = OpRetrieve
			case "PATCH":
				c.Operation = OpUpdate
			case "DELETE":
				c.Operation = OpDelete
			default:
				c.Operation = OpOther
			}
		default:
			c.Operation = OpOther
		}
		return c
	}
	return Call{Operation: OpOther}
}

func classifyHubSpot(method, path string) Call {
	seg := splitPath(strings.TrimPrefix(path, "/"))
	// /crm/v3/objects/{object}/... or the date-versioned /crm/objects/{yyyy-mm}/{object}/...
	switch {
	case len(seg) >= 4 && seg[0] == "crm" && seg[1] == "v3" && seg[2] == "objects":
		seg = seg[3:]
	case len(seg) >= 4 && seg[0] == "crm" && seg[1] == "objects" && isDateVersion(seg[2]):
		seg = seg[3:]
	default:
		return Call{Operation: OpOther}
	}
	c := Call{Object: hubSpotObject(seg[0])}
	switch {
	case len(seg) == 1 && method == "GET":
		c.Operation, c.Collection = OpList, true
	case len(seg) == 1 && method == "POST":
		c.Operation = OpCreate
	case len(seg) == 2 && seg[1] == "search" && method == "POST":
		c.Operation, c.Collection = OpSearch, true
	case len(seg) == 3 && seg[1] == "batch":
		c.Collection = true
		switch seg[2] {
		case "read":
			c.Operation = OpBatchRead
		case "create":
			c.Operation = OpBatchCreate
		case "update":
			c.Operation = OpBatchUpdate
		default:
			c.Operation = OpBatchOther
		}
	case len(seg) == 2:
		switch method {
		case "GET", "HEAD":
			c.Operation = OpRetrieve
		case "PATCH":
			c.Operation = OpUpdate
		case "DELETE":
			c.Operation = OpDelete
		default:
			c.Operation = OpOther
		}
	default:
		c.Operation = OpOther
	}
	return c
}

// salesforcePath is the path of a Salesforce REST resource after
// /services/data/vNN.N/, split; nil for another path. Up to API v57 a
// .xml (or .json) suffix chose the format of the same resource: it is cut.
func salesforcePath(path string) []string {
	rest, ok := strings.CutPrefix(path, "/services/data/")
	if !ok {
		return nil
	}
	if r, ok := strings.CutSuffix(rest, ".xml"); ok {
		rest = r
	} else {
		rest = strings.TrimSuffix(rest, ".json")
	}
	seg := splitPath(rest)
	if len(seg) < 2 || !isSalesforceVersion(seg[0]) {
		return nil
	}
	return seg[1:]
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// isSalesforceVersion matches vNN.N.
func isSalesforceVersion(s string) bool {
	v, ok := strings.CutPrefix(s, "v")
	if !ok {
		return false
	}
	major, minor, ok := strings.Cut(v, ".")
	return ok && allDigits(major) && allDigits(minor)
}

// isDateVersion matches yyyy-mm.
func isDateVersion(s string) bool {
	y, m, ok := strings.Cut(s, "-")
	return ok && len(y) == 4 && len(m) == 2 && allDigits(y) && allDigits(m)
}

// hubSpotObjects are the standard objects' canonical names by every name
// HubSpot's API takes for them: any case, singular, the object type id.
var hubSpotObjects = func() map[string]string {
	m := map[string]string{}
	for _, o := range []struct{ name, singular, id string }{
		{"contacts", "contact", "0-1"}, {"companies", "company", "0-2"}, {"deals", "deal", "0-3"},
		{"tickets", "ticket", "0-5"}, {"products", "product", "0-7"}, {"line_items", "line_item", "0-8"},
		{"quotes", "quote", "0-14"}, {"communications", "communication", "0-18"},
		{"feedback_submissions", "feedback_submission", "0-19"}, {"tasks", "task", "0-27"},
		{"notes", "note", "0-46"}, {"meetings", "meeting", "0-47"}, {"calls", "call", "0-48"},
		{"emails", "email", "0-49"}, {"invoices", "invoice", "0-53"}, {"subscriptions", "subscription", "0-69"},
		{"payments", "payment", "0-101"}, {"postal_mail", "postal_mail", "0-116"}, {"orders", "order", "0-123"},
		{"leads", "lead", "0-136"}, {"carts", "cart", "0-142"}, {"users", "user", "0-115"},
		{"appointments", "appointment", "0-421"}, {"courses", "course", "0-410"}, {"listings", "listing", "0-420"},
		{"services", "service", "0-162"},
	} {
		m[o.name], m[o.singular], m[o.id] = o.name, o.name, o.name
	}
	return m
}()

// hubSpotObject is the canonical name of a HubSpot object named in a path
// (Contacts, contact, 0-1 → contacts), so that what the policy binds to
// an object (consent) holds however the client spells it. A custom
// object's type id (2-123456) or fully qualified name (p_cars,
// p123456_cars) is kept as written. Any other name is unknown (""): the
// policy cannot tell it is not a contact, so consent treats its records
// as carrying every flag.
func hubSpotObject(name string) string {
	if c, ok := hubSpotObjects[strings.ToLower(name)]; ok {
		return c
	}
	if isHubSpotCustomObject(name) {
		return name
	}
	return ""
}

// isHubSpotCustomObject matches a custom object's type id (2-<digits>)
// and fully qualified name (p_<name>, p<portal id>_<name>).
func isHubSpotCustomObject(name string) bool {
	if id, ok := strings.CutPrefix(name, "2-"); ok {
		return allDigits(id)
	}
	rest, ok := strings.CutPrefix(name, "p")
	if !ok {
		return false
	}
	portal, label, ok := strings.Cut(rest, "_")
	if !ok || label == "" || (portal != "" && !allDigits(portal)) {
		return false
	}
	for i := 0; i < len(label); i++ {
		c := label[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// salesforceObjects are the standard objects the policy names, by their
// lower-cased API names: Salesforce reads sObject names in any case.
var salesforceObjects = map[string]string{
	"contact": "Contact", "lead": "Lead", "account": "Account", "case": "Case",
	"user": "User", "individual": "Individual", "opportunity": "Opportunity",
	"contentversion": "ContentVersion", "personaccount": "PersonAccount",
}

// salesforceObject is an sObject name in its canonical case (contact →
// Contact); another name is kept as written.
func salesforceObject(name string) string {
	if c, ok := salesforceObjects[strings.ToLower(name)]; ok {
		return c
	}
	return name
}

// IsAPIVersion matches the versions the CRMs put in their paths: v62.0,
// 62.0 (SOAP, Bulk API 1.0), v3 and 2026-03.
func IsAPIVersion(s string) bool {
	v := strings.TrimPrefix(s, "v")
	if major, minor, ok := strings.Cut(v, "."); ok {
		return allDigits(major) && allDigits(minor) && len(v) <= 6
	}
	if v != s && allDigits(v) && len(v) <= 2 {
		return true
	}
	return isDateVersion(s)
}

// AllDigits reports whether s is one or more ASCII digits.
func AllDigits(s string) bool { return allDigits(s) }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// soqlObject returns the identifier after the first FROM outside any
// parenthesised sub-query.
// Words are as strings.Fields splits them (Unicode spaces included). The
// query is not read a word at a time: each 'F' or 'f' is found by
// IndexByte, and one that starts the word FROM, with a word after it, at
// depth 0 (the parentheses before it counted by strings.Count) gives the
// object (TestSOQLObjectMatchesFields, FuzzSOQLObject).
func soqlObject(q string) string {
	depth, counted := 0, 0 // the parentheses of q[:counted]
	nextF, nextf := indexFrom(q, 'F', 0), indexFrom(q, 'f', 0)
	for {
		p := min(nextF, nextf)
		if p < 0 {
			p = max(nextF, nextf)
		}
		if p < 0 {
			return ""
		}
		if p == nextF {
			nextF = indexFrom(q, 'F', p+1)
		} else {
			nextf = indexFrom(q, 'f', p+1)
		}
		if p+4 > len(q) || !word(q[p:p+4], "FROM") || !spaceBefore(q, p) {
			continue
		}
		rest := q[p+4:]
		w := strings.TrimLeftFunc(rest, unicode.IsSpace)
		if len(w) == len(rest) { // FROMx: not the word
			continue
		}
		depth += strings.Count(q[counted:p], "(") - strings.Count(q[counted:p], ")")
		counted = p
		if depth != 0 {
			continue
		}
		if w == "" {
			return ""
		}
		if i := strings.IndexFunc(w, unicode.IsSpace); i >= 0 {
			w = w[:i]
		}
		return identPrefix(w)
	}
}

// indexFrom is the index of c in q at or after from, or -1.
func indexFrom(q string, c byte, from int) int {
	if i := strings.IndexByte(q[from:], c); i >= 0 {
		return from + i
	}
	return -1
}

// spaceBefore reports whether a word starts at q[p]: p is 0 or a space,
// as strings.Fields sees one, ends there.
func spaceBefore(q string, p int) bool {
	if p == 0 {
		return true
	}
	if c := q[p-1]; c < utf8.RuneSelf {
		return asciiSpace[c]
	}
	r, _ := utf8.DecodeLastRuneInString(q[:p])
	return unicode.IsSpace(r)
}

// asciiSpace is what strings.Fields splits on below utf8.RuneSelf.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

func identPrefix(s string) string {
	for j := 0; j < len(s); j++ {
		c := s[j]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return s[:j]
		}
	}
	return s
}
