package pipeline

import (
	"strings"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
)

// SegmentPlaceholder stands, in an audit event's path, for a segment Veil
// does not know to be safe to keep.
const SegmentPlaceholder = "[segment]"

// auditPath is a request path as the audit trail keeps it: only the
// segments known to be the route's own survive (its configured prefix,
// API versions, the CRMs' resource names, an object name where the API
// names an object, a Salesforce id by its shape). A segment holding a
// finding becomes "[category]", and every other one "[segment]", whether
// or not a detector fired: a HubSpot record id may be an e-mail address,
// a name, or anything a client chose (idProperty).
func auditPath(route *config.Route, path string, urls []urlFind) string {
	var cats map[int]string
	for _, u := range urls {
		if u.v.in == InPath {
			if cats == nil {
				cats = map[int]string{}
			}
			cats[u.v.index] = u.category
		}
	}
	prefix := 0 // leading segments of the route's configured prefix
	if route != nil && strings.HasPrefix(path, route.Prefix) {
		prefix = strings.Count(strings.TrimSuffix(route.Prefix, "/"), "/")
	}
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/") // as urlValues numbers them
	object := false                                           // the segment names an object
	for i, s := range segs {
		keep := s == "" || i < prefix || knownSegment(s) ||
			object && isObjectName(s) || isSalesforceID(s) || isQueryLocator(s)
		object = objectBefore[s]
		if c, ok := cats[i]; ok {
			segs[i] = "[" + c + "]"
			continue
		}
		if !keep {
			segs[i] = SegmentPlaceholder
		}
	}
	return "/" + strings.Join(segs, "/")
}

// knownSegment reports whether s is an API version or a resource name of
// Salesforce's or HubSpot's APIs.
func knownSegment(s string) bool {
	return resourceNames[s] || crm.IsAPIVersion(s)
}

// isObjectName matches an object's API name (Contact, Custom__c,
// contacts) or a HubSpot object type id (0-1, 2-12345).
func isObjectName(s string) bool {
	if s == "" || len(s) > 80 {
		return false
	}
	if a, b, ok := strings.Cut(s, "-"); ok {
		return crm.AllDigits(a) && len(a) == 1 && crm.AllDigits(b) && len(b) <= 12
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c|0x20 >= 'a' && c|0x20 <= 'z'
		if !letter && (i == 0 || c != '_' && (c < '0' || c > '9')) {
			return false
		}
	}
	return true
}

// isSalesforceID matches a Salesforce record id by its shape: 15 or 18
// alphanumeric characters, at least three of them digits, starting with a
// key prefix as Salesforce writes them (a digit: 001, 003, 00Q, 500, …;
// or a custom object's a and a digit: a0X). A word or a name rarely has
// that shape.
func isSalesforceID(s string) bool {
	if len(s) != 15 && len(s) != 18 {
		return false
	}
	if !isDigit(s[0]) && (s[0] != 'a' || !isDigit(s[1])) {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			n++
		case c|0x20 >= 'a' && c|0x20 <= 'z':
		default:
			return false
		}
	}
	return n >= 3
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isQueryLocator matches a Salesforce query locator (nextRecordsUrl's
// last segment): an id, a dash, a row number.
func isQueryLocator(s string) bool {
	id, n, ok := strings.Cut(s, "-")
	return ok && isSalesforceID(id) && crm.AllDigits(n) && len(n) <= 9
}

// objectBefore are the resource names an object name follows.
var objectBefore = map[string]bool{
	"sobjects": true, "objects": true, "object-info": true, "associations": true,
	"properties": true, "schemas": true, "pipelines": true, "sobject": true,
}

// resourceNames are the fixed segments of the Salesforce REST, SOAP, Bulk
// and Connect APIs and of HubSpot's CRM APIs that Veil routes.
var resourceNames = map[string]bool{
	// Salesforce
	"services": true, "data": true, "oauth2": true, "token": true, "revoke": true, "introspect": true,
	"userinfo": true, "authorize": true, "Soap": true, "u": true, "c": true, "T": true, "async": true,
	"sobjects": true, "query": true, "queryAll": true, "search": true, "parameterizedSearch": true,
	"composite": true, "batch": true, "graph": true, "tree": true, "describe": true, "limits": true,
	"recent": true, "updated": true, "deleted": true, "listviews": true, "results": true, "quickActions": true,
	"layouts": true, "compactLayouts": true, "tabs": true, "theme": true, "appMenu": true, "jobs": true,
	"ingest": true, "successfulResults": true, "failedResults": true, "unprocessedrecords": true,
	"job": true, "result": true, "request": true, "connect": true, "files": true, "content": true,
	"chatter": true, "feeds": true, "feed-elements": true, "users": true, "me": true, "actions": true,
	"standard": true, "custom": true, "process": true, "approvals": true, "rules": true, "tooling": true,
	"analytics": true, "reports": true, "dashboards": true, "ui-api": true, "records": true, "record-ui": true,
	"object-info": true, "list-ui": true, "apexrest": true, "VersionData": true, "Body": true,
	"sobject": true, "relationships": true, "blob": true, "rows": true, "versions": true,
	// HubSpot
	"crm": true, "objects": true, "properties": true, "associations": true, "schemas": true,
	"pipelines": true, "owners": true, "imports": true, "exports": true, "lists": true, "read": true,
	"create": true, "update": true, "archive": true, "upsert": true, "merge": true, "gdpr-delete": true,
	"download": true, "oauth": true, "access-tokens": true, "refresh-tokens": true, "labels": true,
	"default": true, "stages": true, "audit": true, "marketing": true, "events": true, "forms": true,
	"contacts": true, "companies": true, "deals": true, "tickets": true, "products": true,
	"line_items": true, "quotes": true, "calls": true, "emails": true, "meetings": true, "notes": true,
	"tasks": true, "communications": true, "postal_mail": true, "signed-url": true, "folders": true,
}
