package crm

import "github.com/veil-proxy/veil/proxy/config"

// Path is the location of a value in a JSON document: segment i is an
// object member name (index < 0) or an array index (key == nil).
type Path interface {
	Len() int
	Seg(i int) (key []byte, index int)
}

// RecordOf returns the record a value belongs to and how many leading path
// segments lead to that record's object; record is -1 for values outside
// any record (paging fields, totals). Collections keep their records under
// records[] (Salesforce query, composite), results[] (HubSpot list, search,
// batch) or inputs[] (HubSpot batch writes), or in a top-level array; a
// single-object body is record 0.
func RecordOf(c Call, p Path) (record, depth int) {
	if p.Len() == 0 {
		return -1, 0
	}
	k0, i0 := p.Seg(0)
	if k0 == nil { // top-level array
		return i0, 1
	}
	if !c.Collection {
		return 0, 0
	}
	switch string(k0) {
	case "records", "results", "inputs":
		if p.Len() >= 2 {
			if k1, i1 := p.Seg(1); k1 == nil {
				return i1, 2
			}
		}
	}
	return -1, 0
}

// Record-level meaning of a member.
const (
	RoleNone    = iota
	RoleID      // the record's id
	RoleObject  // the record's object type (Salesforce attributes.type)
	RoleConsent // a consent flag; see ConsentKey
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
			if k2, _ := p.Seg(depth + 1); string(k2) == "type" {
				return RoleObject, ""
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
