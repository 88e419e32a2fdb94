package crm

import (
	"bytes"
	"strings"

	"github.com/veil-proxy/veil/proxy/config"
)

// Path is the location of a value in a JSON document: segment i is an
// object member name (index < 0) or an array index (key == nil).
type Path interface {
	Len() int
	Seg(i int) (key []byte, index int)
}

// Numberer numbers a message's nested records (Call.Records): a record
// inside another structure (a composite subresponse's query body, a
// parent-child subquery) is known by its path, but its index cannot be
// read off the path alone and still be unique. The pipeline sets one per
// message (its record table).
type Numberer interface {
	// Nested returns the index of the nested record whose object the
	// first depth segments of p lead to: the same index for every value
	// of that record, a different one for every other record.
	Nested(p Path, depth int) int
}

// RecordOf returns the record a value belongs to and how many leading path
// segments lead to that record's object; record is -1 for values outside
// any record (paging fields, totals). Collections keep their records under
// records[] (Salesforce query, composite), results[] (HubSpot list, search,
// batch) or inputs[] (HubSpot batch writes), or in a top-level array; a
// single-object body is record 0. Their index is their position there.
//
// Records nested deeper are records of their own (RecordAt), numbered by
// c.Records: a Salesforce composite's subresponse bodies
// (compositeResponse[i].body, graphs[g].graphResponse.compositeResponse[i].body,
// and their requests), a composite/batch result (results[i].result), a
// query body's records[] inside any of them, and a parent-child
// subquery's records (records[i].Contacts.records[j]), at any depth.
// A Salesforce search's records are under searchRecords[] (top level or
// in a composite subresponse's body).
// Without c.Records (nil) a nested record's values are its outermost
// record's, as a path alone can say.
func RecordOf(c Call, p Path) (record, depth int) {
	return SiteOf(c, p).Record(c, p)
}

// A Site is where a value's record sits on its path. It is read from the
// names on the path and from which segments are array indices, never
// from the indices themselves, so it is the same for every value of one
// key path (body.Value.Shape) in one message: worked out once, it gives
// each value's record through Record.
type Site struct {
	depth   int  // as RecordAt's
	indexAt int  // the segment holding the record's index; -1: index 0; -2: none (nested)
	nested  bool // as RecordAt's
}

// SiteOf is the site of the value at p.
func SiteOf(c Call, p Path) Site {
	depth, indexAt, nested := recordSite(c, p)
	return Site{depth: depth, indexAt: indexAt, nested: nested}
}

// Depth is the depth Record returns for every value of the site, or -1
// for a site in no record (whose values Record gives depth 0).
func (s Site) Depth() int { return max(s.depth, -1) }

// Record is RecordOf for a value at p, whose site s is.
func (s Site) Record(c Call, p Path) (record, depth int) {
	if s.depth < 0 {
		return -1, 0
	}
	if !s.nested {
		return s.index(p), s.depth
	}
	depth = s.depth
	if c.Records != nil {
		return c.Records.Nested(p, depth), depth
	}
	return outer(c, p)
}

// outer is the outermost record of a value: top-level records only.
func outer(c Call, p Path) (record, depth int) {
	k0, i0 := p.Seg(0)
	if k0 == nil { // top-level array
		return i0, 1
	}
	if !c.Collection {
		return 0, 0
	}
	switch string(k0) {
	case "records", "results", "inputs":
		if i, ok := index(p, 1); ok {
			return i, 2
		}
	case "compositeResponse", "compositeRequest":
		if i, ok := index(p, 1); ok && c.Operation == OpComposite && isKey(p, 2, "body") {
			return i, 3
		}
	}
	return -1, 0
}

// RecordAt locates the innermost record holding the value at p: depth is
// how many leading segments lead to its object (-1: in no record); a
// record of the body's own list (or a single-object body, or a composite
// subresponse's body) has its index there, and nested is false; a record
// found inside one of those, or in a composite graph, is nested, and its
// index is for a Numberer to give.
func RecordAt(c Call, p Path) (depth, idx int, nested bool) {
	s := SiteOf(c, p)
	if s.depth < 0 {
		return -1, -1, false
	}
	return s.depth, s.index(p), s.nested
}

func (s Site) index(p Path) int {
	switch s.indexAt {
	case -1:
		return 0
	case -2:
		return -1
	}
	_, i := p.Seg(s.indexAt)
	return i
}

// recordSite is RecordAt with at, the segment the index is read from
// (Site.indexAt), in place of the index.
func recordSite(c Call, p Path) (depth, at int, nested bool) {
	n := p.Len()
	if n == 0 {
		return -1, -2, false
	}
	depth, at = -1, -2
	body := false // the record found is a composite subresponse's body, which may hold records
	k0, _ := p.Seg(0)
	switch {
	case k0 == nil: // top-level array
		depth, at = 1, 0
	case c.Operation == OpSearch && !c.Collection:
		// Salesforce SOSL and parameterized search:
		// {"searchRecords":[{"attributes":{"type":…},"Id":…}],"metadata":{…}}.
		// Any other body (a POST parameterizedSearch's request) is the
		// single object it was before.
		if string(k0) == "searchRecords" {
			if _, ok := index(p, 1); ok {
				depth, at = 2, 1
			}
		} else {
			depth, at = 0, -1
		}
	case !c.Collection:
		depth, at = 0, -1
	default:
		switch string(k0) {
		case "records", "inputs":
			if _, ok := index(p, 1); ok {
				depth, at = 2, 1
			}
		case "results":
			if _, ok := index(p, 1); ok {
				depth, at = 2, 1
				if c.Operation == OpComposite && isKey(p, 2, "result") {
					// composite/batch: {"results":[{"statusCode":200,"result":{…}}]}
					depth, body = 3, true
				}
			}
		case "compositeResponse", "compositeRequest":
			if _, ok := index(p, 1); ok && c.Operation == OpComposite && isKey(p, 2, "body") {
				depth, at, body = 3, 1, true
			}
		case "graphs":
			// composite/graph: graphs[g].graphResponse.compositeResponse[i].body
			// (and the request's graphs[g].compositeRequest[i].body).
			if _, ok := index(p, 1); ok && c.Operation == OpComposite {
				at := 2
				if isKey(p, 2, "graphResponse") {
					at = 3
				}
				if isKey(p, at, "compositeResponse") || isKey(p, at, "compositeRequest") {
					if _, ok := index(p, at+1); ok && isKey(p, at+2, "body") {
						depth, body, nested = at+3, true, true
					}
				}
			}
		}
	}
	if depth < 0 {
		return -1, -2, false
	}
	if body {
		// A subresponse's body: a record, a list of records (sObject
		// Collections) or a query's result with records[].
		if _, ok := index(p, depth); ok {
			depth, nested = depth+1, true
		} else if isKey(p, depth, "records") || isKey(p, depth, "searchRecords") {
			if _, ok := index(p, depth+1); ok {
				depth, nested = depth+2, true
			}
		}
	}
	// Parent-child subqueries (and composite/tree children): a record's
	// member holding {"records":[…]} holds records of their own. With
	// c.Parents, a member that is an object is a parent record
	// (records[i].Contact.Email), whatever order its members come in.
	for depth+1 < n {
		k, _ := p.Seg(depth)
		if k == nil {
			break
		}
		if isKey(p, depth+1, "records") {
			if _, ok := index(p, depth+2); ok {
				depth, nested = depth+3, true
				continue
			}
		}
		if c.Parents && IsParentMember(k) {
			if k1, _ := p.Seg(depth + 1); k1 != nil {
				depth, nested = depth+1, true
				continue
			}
		}
		break
	}
	return depth, at, nested
}

// IsParentMember reports whether a Salesforce record's member (or XML
// child element) that holds an object is a relationship to another
// record, rather than the record's attributes, a compound address
// (MailingAddress) or a custom compound field (a geolocation,
// Location__c).
func IsParentMember(member []byte) bool {
	s := string(member)
	return s != "attributes" && !strings.HasSuffix(s, "Address") && !strings.HasSuffix(s, "__c")
}

// index returns segment i of p when it is an array index.
func index(p Path, i int) (int, bool) {
	if i >= p.Len() {
		return 0, false
	}
	k, idx := p.Seg(i)
	return idx, k == nil
}

// isKey reports whether segment i of p is the member name.
func isKey(p Path, i int, name string) bool {
	if i >= p.Len() {
		return false
	}
	k, _ := p.Seg(i)
	return k != nil && string(k) == name
}

// Record-level meaning of a member.
const (
	RoleNone    = iota
	RoleID      // the record's id
	RoleObject  // the record's object type (Salesforce attributes.type)
	RoleConsent // a consent flag; see ConsentKey
	RoleURL     // the record's own URL (Salesforce attributes.url), which ends in its id
)

// Consent keys in the policy input's records[].consent.
const (
	ConsentEmailOptOut = "email_opt_out"
	ConsentCallOptOut  = "call_opt_out"
	ConsentFaxOptOut   = "fax_opt_out"
)

// salesforceConsent and hubspotConsent are the built-in flags: a switch,
// since every value of every record is looked up here.
func salesforceConsent(name []byte) (string, bool) {
	switch string(name) {
	case "HasOptedOutOfEmail":
		return ConsentEmailOptOut, true
	case "DoNotCall":
		return ConsentCallOptOut, true
	case "HasOptedOutOfFax":
		return ConsentFaxOptOut, true
	}
	return "", false
}

func hubspotConsent(name []byte) (string, bool) {
	if string(name) == "hs_email_optout" {
		return ConsentEmailOptOut, true
	}
	return "", false
}

// Describe says what the value at p (inside the record whose object starts
// after depth segments) means for its record, and the consent key for
// RoleConsent. extra maps more field names to consent keys (configured,
// e.g. Do_Not_Sell__c: sale_opt_out); it is read where the built-in flags
// are and never overrides them.
func Describe(dialect string, p Path, depth int, extra map[string]string) (role int, consentKey string) {
	rel := p.Len() - depth
	if rel < 1 {
		// The record itself, not a member of it: an element of a
		// top-level array that is no object (["x"]).
		return RoleNone, ""
	}
	switch dialect {
	case config.DialectSalesforce:
		k, _ := p.Seg(depth)
		if k == nil {
			return RoleNone, ""
		}
		if rel == 1 {
			return DescribeColumn(dialect, k, extra)
		}
		if rel == 2 && string(k) == "attributes" {
			switch k2, _ := p.Seg(depth + 1); string(k2) {
			case "type":
				return RoleObject, ""
			case "url":
				return RoleURL, ""
			}
		}
	case config.DialectHubSpot:
		k, _ := p.Seg(depth)
		if rel == 1 && string(k) == "id" {
			return RoleID, ""
		}
		if rel == 2 && string(k) == "properties" {
			k2, _ := p.Seg(depth + 1)
			if ck, ok := hubspotConsent(k2); ok {
				return RoleConsent, ck
			}
			if ck, ok := extra[string(k2)]; ok {
				return RoleConsent, ck
			}
		}
	}
	return RoleNone, ""
}

// DescribeColumn says what a field of a flat record (a column of a Bulk
// API CSV, where every data row is a record) means for its record: its id
// or a consent flag, with the consent key. HubSpot exports name its
// properties as columns.
func DescribeColumn(dialect string, name []byte, extra map[string]string) (role int, consentKey string) {
	consent, id := salesforceConsent, "Id"
	if dialect == config.DialectHubSpot {
		consent, id = hubspotConsent, "id"
	}
	if string(name) == id {
		return RoleID, ""
	}
	if ck, ok := consent(name); ok {
		return RoleConsent, ck
	}
	if ck, ok := extra[string(name)]; ok {
		return RoleConsent, ck
	}
	return RoleNone, ""
}

// Truthy reads a consent flag: JSON true (Salesforce) or the string "true"
// (HubSpot stores booleans as strings).
func Truthy(isBool bool, raw []byte) bool {
	if isBool {
		return string(raw) == "true"
	}
	return len(raw) == 4 && (raw[0]|0x20) == 't' && (raw[1]|0x20) == 'r' && (raw[2]|0x20) == 'u' && (raw[3]|0x20) == 'e'
}

// IDFromURL is the record id a Salesforce record URL ends in
// (/services/data/v62.0/sobjects/Contact/003…), or nil: a query that
// does not select Id still names each record there.
func IDFromURL(u []byte) []byte {
	i := bytes.LastIndexByte(u, '/')
	if i < 0 || i == len(u)-1 || !bytes.Contains(u[:i], []byte("/sobjects/")) {
		return nil
	}
	id := u[i+1:]
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return nil
		}
	}
	return id
}
