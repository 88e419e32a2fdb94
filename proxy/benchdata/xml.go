package benchdata

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
)

// The same Contacts in Salesforce's REST XML, as the API answers a query
// asked with Accept: application/xml (and as cmd/fakecrm writes it):
//
//	<?xml version="1.0" encoding="UTF-8"?><QueryResult xmlns="http://www.force.com/2009/06/asyncapi/dataload"
//	  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><done>true</done>
//	  <records type="Contact" url="/services/data/v62.0/sobjects/Contact/003…"><Id>003…</Id>…</records>…
//	  <totalSize>8</totalSize></QueryResult>
//
// The attributes object becomes the record element's type and url
// attributes, every other field an element in the JSON's order, a null an
// empty element with xsi:nil="true", a boolean its JSON literal, and text
// is escaped as encoding/xml escapes it (O'Connor is O&#39;Connor).

// xmlPageHead and xmlPageTail frame a query result in XML.
const (
	xmlPageHead = `<?xml version="1.0" encoding="UTF-8"?><QueryResult xmlns="http://www.force.com/2009/06/asyncapi/dataload" ` +
		`xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><done>true</done>`
	xmlPageTail = `</QueryResult>`
)

// contactField is one field of a generated Contact: its name and value,
// or null.
type contactField struct {
	name, value string
	null        bool
}

// contactFields are the fields of Contact i, attributes aside, in the
// order and with the values AppendContact writes (TestXMLPageMatchesJSON
// holds the two to each other).
func contactFields(i int) []contactField {
	id := ContactID(i)
	day := 1 + i%28
	ts := func(format string) string { return fmt.Sprintf(format, day) }
	f := func(name, value string) contactField { return contactField{name: name, value: value} }
	null := func(name string) contactField { return contactField{name: name, null: true} }
	return []contactField{
		f("Id", id), f("AccountId", string(appendID(nil, "001Dn", i/4))), f("OwnerId", ownerID),
		f("Salutation", []string{"Ms.", "Mr.", "Dr.", "Mx."}[i%4]),
		f("FirstName", FirstName(i)), f("LastName", LastName(i)),
		f("Title", titles[i%len(titles)]), f("Department", departments[i%len(departments)]),
		f("Email", Email(i)), f("Phone", Phone(i)), f("MailingStreet", Street(i)),
		f("MailingCity", cities[i%len(cities)]), f("MailingState", states[i%len(states)]), f("MailingCountry", "United States"),
		f("LeadSource", sources[i%len(sources)]),
		f("HasOptedOutOfEmail", "false"), f("DoNotCall", "false"), f("IsDeleted", "false"), f("IsEmailBounced", "false"),
		null("MasterRecordId"), null("ReportsToId"), null("IndividualId"), null("Jigsaw"),
		f("CleanStatus", "Pending"), f("PhotoUrl", "/services/images/photo/"+id),
		f("Level__c", []string{"Primary", "Secondary", "Tertiary"}[i%3]), f("Languages__c", "English;Spanish"),
		f("CreatedDate", ts("2024-03-%02dT09:21:44.000+0000")), f("CreatedById", ownerID),
		f("LastModifiedDate", ts("2025-06-%02dT21:14:02.000+0000")), f("LastModifiedById", ownerID),
		f("SystemModstamp", ts("2025-06-%02dT21:14:02.000+0000")), f("LastActivityDate", ts("2025-07-%02d")),
		f("LastViewedDate", ts("2025-08-%02dT16:40:12.000+0000")), f("LastReferencedDate", ts("2025-08-%02dT16:40:12.000+0000")),
		f("Description", notes[i%len(notes)]),
	}
}

// AppendContactXML appends record i of a query result as Salesforce's
// REST XML writes it: the Contact AppendContact writes in JSON, about
// 1.6 KB.
func AppendContactXML(dst []byte, i int) []byte {
	id := ContactID(i)
	dst = append(dst, `<records type="Contact" url="/services/data/v62.0/sobjects/Contact/`...)
	dst = appendEscaped(dst, id)
	dst = append(dst, `">`...)
	for _, f := range contactFields(i) {
		dst = append(dst, '<')
		dst = append(dst, f.name...)
		if f.null {
			dst = append(dst, ` xsi:nil="true"/>`...)
			continue
		}
		dst = append(dst, '>')
		dst = appendEscaped(dst, f.value)
		dst = append(dst, "</"...)
		dst = append(dst, f.name...)
		dst = append(dst, '>')
	}
	return append(dst, `</records>`...)
}

// appendEscaped appends s escaped as encoding/xml's EscapeText escapes
// text (and attribute values): &, <, >, both quotes, tab, newline and
// carriage return.
func appendEscaped(dst []byte, s string) []byte {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) // a bytes.Buffer does not fail
	return append(dst, b.Bytes()...)
}

// QueryPageXML returns the query result of Contacts 0..n-1 in REST XML:
// the records and values of QueryPage(n).
func QueryPageXML(n int) []byte {
	doc := []byte(xmlPageHead)
	for i := range n {
		doc = AppendContactXML(doc, i)
	}
	return appendXMLTail(doc, n)
}

// appendXMLTail closes a page of n records.
func appendXMLTail(doc []byte, n int) []byte {
	doc = append(doc, "<totalSize>"...)
	doc = strconv.AppendInt(doc, int64(n), 10)
	doc = append(doc, "</totalSize>"...)
	return append(doc, xmlPageTail...)
}

// RecordsForXML is how many Contacts bring a query result in XML closest
// to size bytes (at least one). The XML of a record is about 1.3 times its
// JSON, so an XML page of a size holds fewer records than RecordsFor's:
// the benchmarks compare the two formats on the same records
// (QueryPageXML(RecordsFor(size))) and name the XML page by the JSON
// page's size.
func RecordsForXML(size int) int {
	var rec []byte
	total := len(QueryPageXML(0))
	for n := 0; ; n++ {
		rec = AppendContactXML(rec[:0], n)
		next := total + len(rec) + len(strconv.Itoa(n+1)) - len(strconv.Itoa(n))
		if n > 0 && next-size > size-total {
			return n
		}
		total = next
	}
}
