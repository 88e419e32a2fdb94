package benchdata

// The same Contacts as a Salesforce Bulk API 1.0 query result in XML, the
// answer to GET /services/async/<ver>/job/<job>/batch/<batch>/result/<result>
// of a job whose contentType is XML:
//
//	<?xml version="1.0" encoding="UTF-8"?><queryResult xmlns="http://www.force.com/2009/06/asyncapi/dataload"
//	  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><records xsi:type="sObject"><type>Contact</type>
//	  <Id>003…</Id><AccountId>001…</AccountId>…<MasterRecordId xsi:nil="true"/>…</records>…</queryResult>
//
// Each record is the type element, then the fields of AppendContact in its
// order with its values (a null an empty element with xsi:nil="true", a
// boolean its JSON literal, text escaped as encoding/xml escapes it), about
// 1.5 KB; there is no done or totalSize. TestBulkXMLMatchesJSON holds the
// records to the JSON and CSV ones.

// BulkXMLHead and BulkXMLTail frame a Bulk API 1.0 XML query result: the
// records go between them.
const (
	BulkXMLHead = `<?xml version="1.0" encoding="UTF-8"?><queryResult xmlns="http://www.force.com/2009/06/asyncapi/dataload" ` +
		`xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`
	BulkXMLTail = `</queryResult>`
)

var salutations, levels = []string{"Ms.", "Mr.", "Dr.", "Mx."}, []string{"Primary", "Secondary", "Tertiary"}

// AppendContactBulkXML appends record i of a Bulk API 1.0 XML query
// result: the Contact AppendContact writes in JSON and AppendCSVRow in
// CSV. It does not allocate: the bench CRM writes a gigabyte of these.
func AppendContactBulkXML(dst []byte, i int) []byte {
	day := 1 + i%28
	dst = append(dst, `<records xsi:type="sObject"><type>Contact</type><Id>`...)
	dst = AppendContactID(dst, i)
	dst = append(dst, `</Id><AccountId>`...)
	dst = appendID(dst, "001Dn", i/4)
	dst = append(dst, `</AccountId><OwnerId>`...)
	dst = append(dst, ownerID...)
	dst = append(dst, `</OwnerId><Salutation>`...)
	dst = append(dst, salutations[i%4]...)
	dst = append(dst, `</Salutation><FirstName>`...)
	dst = appendText(dst, FirstName(i))
	dst = append(dst, `</FirstName><LastName>`...)
	dst = appendText(dst, LastName(i)) // O'Connor
	dst = append(dst, `</LastName><Title>`...)
	dst = appendText(dst, titles[i%len(titles)])
	dst = append(dst, `</Title><Department>`...)
	dst = appendText(dst, departments[i%len(departments)])
	dst = append(dst, `</Department><Email>`...)
	dst = AppendEmail(dst, i)
	dst = append(dst, `</Email><Phone>`...)
	dst = appendText(dst, Phone(i))
	dst = append(dst, `</Phone><MailingStreet>`...)
	dst = AppendStreet(dst, i)
	dst = append(dst, `</MailingStreet><MailingCity>`...)
	dst = appendText(dst, cities[i%len(cities)])
	dst = append(dst, `</MailingCity><MailingState>`...)
	dst = append(dst, states[i%len(states)]...)
	dst = append(dst, `</MailingState><MailingCountry>United States</MailingCountry><LeadSource>`...)
	dst = appendText(dst, sources[i%len(sources)])
	dst = append(dst, `</LeadSource><HasOptedOutOfEmail>false</HasOptedOutOfEmail><DoNotCall>false</DoNotCall>`+
		`<IsDeleted>false</IsDeleted><IsEmailBounced>false</IsEmailBounced>`+
		`<MasterRecordId xsi:nil="true"/><ReportsToId xsi:nil="true"/><IndividualId xsi:nil="true"/><Jigsaw xsi:nil="true"/>`+
		`<CleanStatus>Pending</CleanStatus><PhotoUrl>/services/images/photo/`...)
	dst = AppendContactID(dst, i)
	dst = append(dst, `</PhotoUrl><Level__c>`...)
	dst = append(dst, levels[i%3]...)
	dst = append(dst, `</Level__c><Languages__c>English;Spanish</Languages__c><CreatedDate>2024-03-`...)
	dst = appendPadded(dst, day, 2)
	dst = append(dst, `T09:21:44.000+0000</CreatedDate><CreatedById>`...)
	dst = append(dst, ownerID...)
	dst = append(dst, `</CreatedById><LastModifiedDate>2025-06-`...)
	dst = appendPadded(dst, day, 2)
	dst = append(dst, `T21:14:02.000+0000</LastModifiedDate><LastModifiedById>`...)
	dst = append(dst, ownerID...)
	dst = append(dst, `</LastModifiedById><SystemModstamp>2025-06-`...)
	dst = appendPadded(dst, day, 2)
	dst = append(dst, `T21:14:02.000+0000</SystemModstamp><LastActivityDate>2025-07-`...)
	dst = appendPadded(dst, day, 2)
	dst = append(dst, `</LastActivityDate><LastViewedDate>2025-08-`...)
	dst = appendPadded(dst, day, 2)
	dst = append(dst, `T16:40:12.000+0000</LastViewedDate><LastReferencedDate>2025-08-`...)
	dst = appendPadded(dst, day, 2)
	dst = append(dst, `T16:40:12.000+0000</LastReferencedDate><Description>`...)
	dst = appendText(dst, notes[i%len(notes)])
	return append(dst, `</Description></records>`...)
}

// BulkXMLResult returns the Bulk API 1.0 XML query result of Contacts
// 0..n-1.
func BulkXMLResult(n int) []byte {
	doc := []byte(BulkXMLHead)
	for i := range n {
		doc = AppendContactBulkXML(doc, i)
	}
	return append(doc, BulkXMLTail...)
}

// appendText appends s escaped as appendEscaped (encoding/xml's
// EscapeText) escapes it, without allocating, for text that is valid
// UTF-8 of XML characters (every generated value is).
func appendText(dst []byte, s string) []byte {
	for k := 0; k < len(s); k++ {
		switch c := s[k]; c {
		case '"':
			dst = append(dst, "&#34;"...)
		case '\'':
			dst = append(dst, "&#39;"...)
		case '&':
			dst = append(dst, "&amp;"...)
		case '<':
			dst = append(dst, "&lt;"...)
		case '>':
			dst = append(dst, "&gt;"...)
		case '\t':
			dst = append(dst, "&#x9;"...)
		case '\n':
			dst = append(dst, "&#xA;"...)
		case '\r':
			dst = append(dst, "&#xD;"...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
