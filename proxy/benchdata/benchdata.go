// Package benchdata generates the Salesforce payloads Veil's benchmarks
// send through it (cmd/veilbench, BenchmarkProxySizes): deterministic query
// pages of Contacts in JSON and REST XML, and Bulk API 2.0 CSV rows.
package benchdata

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"

	"github.com/veil-proxy/veil/detectors"
)

// PIIPerRecord is how many personal values each generated Contact holds.
const PIIPerRecord = 5

// PIIFields are the fields of a Contact holding personal data, with the
// value each has in record i.
var PIIFields = []struct {
	Name  string
	Value func(i int) string
}{
	{"FirstName", FirstName}, {"LastName", LastName}, {"Email", Email}, {"Phone", Phone}, {"MailingStreet", Street},
}

var (
	firstNames = []string{
		"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken",
		"Frances", "John", "Radia", "Tim", "Sofia", "Ahmed", "Mei", "Carlos",
		"Priya", "Oluwaseun", "Ingrid", "Mateo", "Yuki", "Fatima", "Lars", "Chloé",
	}
	lastNames = []string{
		"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson",
		"Allen", "Backus", "Perlman", "Berners-Lee", "Silva", "Kowalski", "Nakamura", "García",
		"Okafor", "Lindqvist", "Moreau", "Fernández", "Rahman", "O'Connor", "Schmidt", "Rossi",
	}
	domains     = []string{"example.com", "example.org", "example.net", "corp.example.com", "mail.example.org"}
	streets     = []string{"Market Street", "Congress Avenue", "Michigan Avenue", "Boylston Street", "Pike Street", "Larimer Street", "Broadway", "Peachtree Road"}
	cities      = []string{"San Francisco", "Austin", "Chicago", "Boston", "Seattle", "Denver", "New York", "Atlanta"}
	states      = []string{"CA", "TX", "IL", "MA", "WA", "CO", "NY", "GA"}
	titles      = []string{"VP Engineering", "Head of Sales", "Procurement Manager", "CTO", "Operations Lead", "Account Director"}
	departments = []string{"Engineering", "Sales", "Procurement", "Operations", "Finance"}
	sources     = []string{"Web", "Partner Referral", "Trade Show", "Advertisement"}
	notes       = []string{
		"Met at the 2024 conference; interested in the enterprise plan and a pilot in the third quarter.",
		"Evaluating the analytics add-on; asked for the security questionnaire and a reference customer.",
		"Renewal owner for the platform contract; prefers written summaries after each review meeting.",
	}
)

// ContactID is the 18-character Salesforce id of Contact i.
func ContactID(i int) string { return string(AppendContactID(nil, i)) }

// AppendContactID appends ContactID(i) without allocating.
func AppendContactID(dst []byte, i int) []byte { return appendID(dst, "003Dn", i) }

// appendID appends the 18-character id of record i of the object whose
// key prefix and pod are prefix ("003Dn"), its checksum right: the form
// the REST API writes.
func appendID(dst []byte, prefix string, i int) []byte {
	var id [15]byte
	return detectors.AppendSalesforceID(dst, appendPadded(append(id[:0], prefix...), i, 10))
}

var ownerID = string(appendID(nil, "005Dn", 1))

// FirstName and LastName of record i: 24 × 24 combinations.
func FirstName(i int) string { return firstNames[i%len(firstNames)] }
func LastName(i int) string  { return lastNames[(i/len(firstNames)+i)%len(lastNames)] }

// Email of record i: ASCII, unique per record.
func Email(i int) string { return string(AppendEmail(nil, i)) }

// AppendEmail appends Email(i) without allocating.
func AppendEmail(dst []byte, i int) []byte {
	dst = append(dst, localFirst[i%len(firstNames)]...)
	dst = append(dst, '.')
	dst = append(dst, localLast[(i/len(firstNames)+i)%len(lastNames)]...)
	dst = strconv.AppendInt(dst, int64(i), 10)
	dst = append(dst, '@')
	return append(dst, domains[i%len(domains)]...)
}

// localFirst and localLast are the names as e-mail local parts.
var localFirst, localLast = localParts(firstNames), localParts(lastNames)

func localParts(names []string) []string {
	out := make([]string, len(names))
	for k, n := range names {
		out[k] = strings.ToLower(asciiOnly(n))
	}
	return out
}

// asciiOnly keeps the letters of s an e-mail local part may hold plainly.
func asciiOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r == 'é':
			b.WriteByte('e')
		case r == 'í':
			b.WriteByte('i')
		}
	}
	return b.String()
}

// Phone of record i, from a pool of numbers libphonenumber holds valid.
func Phone(i int) string {
	p := phonePool()
	return p[i%len(p)]
}

// Street of record i.
func Street(i int) string { return string(AppendStreet(nil, i)) }

// AppendStreet appends Street(i) without allocating.
func AppendStreet(dst []byte, i int) []byte {
	dst = strconv.AppendInt(dst, int64(100+(i*37)%9800), 10)
	dst = append(dst, ' ')
	return append(dst, streets[i%len(streets)]...)
}

// phonePool is built once: three US numbers for each international one,
// in the formats CRMs hold them, each checked with libphonenumber (the
// rules Veil's phone detector validates with), so every one is a finding.
var phonePool = sync.OnceValue(func() []string {
	us := validNumbers(48, "US", func(k int) string {
		areas := []string{"415", "512", "312", "617", "206", "303", "212", "404"}
		a, ex, line := areas[k%len(areas)], 234+(k*37)%700, (k*7919+1234)%10000
		if k%2 == 0 {
			return fmt.Sprintf("(%s) %03d-%04d", a, ex, line)
		}
		return fmt.Sprintf("+1 %s-%03d-%04d", a, ex, line)
	})
	intl := validNumbers(16, "", func(k int) string {
		switch k % 4 {
		case 0:
			return fmt.Sprintf("+44 20 7946 %04d", (k*331)%1000)
		case 1:
			return fmt.Sprintf("+33 1 42 68 %02d %02d", (k*7)%100, (k*13)%100)
		case 2:
			return fmt.Sprintf("+49 30 %04d %04d", 2000+(k*71)%7000, (k*97)%10000)
		default:
			return fmt.Sprintf("+61 2 9%03d %04d", (k*53)%1000, (k*211)%10000)
		}
	})
	pool := make([]string, 0, len(us)+len(intl))
	for i := range us {
		pool = append(pool, us[i])
		if i%3 == 2 {
			pool = append(pool, intl[i/3])
		}
	}
	return pool
})

// validNumbers returns the first n candidates gen makes that
// libphonenumber parses (in region, or from their '+') as valid numbers.
func validNumbers(n int, region string, gen func(k int) string) []string {
	var out []string
	for k := 0; len(out) < n; k++ {
		if k > 100*n {
			panic(fmt.Sprintf("benchdata: fewer than %d valid phone numbers among %d candidates", n, k))
		}
		s := gen(k)
		if num, err := phonenumbers.Parse(s, region); err == nil && phonenumbers.IsValidNumber(num) {
			out = append(out, s)
		}
	}
	return out
}

// AppendContact appends record i of a query result as Salesforce returns
// it: about 1.3 KB of JSON holding PIIPerRecord personal values.
func AppendContact(dst []byte, i int) []byte {
	id := ContactID(i)
	day := 1 + i%28
	return fmt.Appendf(dst, `{"attributes":{"type":"Contact","url":"/services/data/v62.0/sobjects/Contact/%s"},`+
		`"Id":"%s","AccountId":"%s","OwnerId":"%s","Salutation":"%s",`+
		`"FirstName":"%s","LastName":"%s","Title":"%s","Department":"%s",`+
		`"Email":"%s","Phone":"%s","MailingStreet":"%s","MailingCity":"%s","MailingState":"%s","MailingCountry":"United States",`+
		`"LeadSource":"%s","HasOptedOutOfEmail":false,"DoNotCall":false,"IsDeleted":false,"IsEmailBounced":false,`+
		`"MasterRecordId":null,"ReportsToId":null,"IndividualId":null,"Jigsaw":null,"CleanStatus":"Pending",`+
		`"PhotoUrl":"/services/images/photo/%s","Level__c":"%s","Languages__c":"English;Spanish",`+
		`"CreatedDate":"2024-03-%02dT09:21:44.000+0000","CreatedById":"%s",`+
		`"LastModifiedDate":"2025-06-%02dT21:14:02.000+0000","LastModifiedById":"%s",`+
		`"SystemModstamp":"2025-06-%02dT21:14:02.000+0000","LastActivityDate":"2025-07-%02d",`+
		`"LastViewedDate":"2025-08-%02dT16:40:12.000+0000","LastReferencedDate":"2025-08-%02dT16:40:12.000+0000",`+
		`"Description":"%s"}`,
		id, id, appendID(nil, "001Dn", i/4), ownerID, []string{"Ms.", "Mr.", "Dr.", "Mx."}[i%4],
		FirstName(i), LastName(i), titles[i%len(titles)], departments[i%len(departments)],
		Email(i), Phone(i), Street(i), cities[i%len(cities)], states[i%len(states)],
		sources[i%len(sources)], id, []string{"Primary", "Secondary", "Tertiary"}[i%3],
		day, ownerID, day, ownerID, day, day, day, day, notes[i%len(notes)])
}

// ContactSOQL is the query the benchmark sends, without its LIMIT.
const ContactSOQL = "SELECT Id, AccountId, OwnerId, Salutation, FirstName, LastName, Title, Department, Email, Phone, " +
	"MailingStreet, MailingCity, MailingState, MailingCountry, LeadSource, HasOptedOutOfEmail, DoNotCall, IsDeleted, " +
	"IsEmailBounced, MasterRecordId, ReportsToId, IndividualId, Jigsaw, CleanStatus, PhotoUrl, Level__c, Languages__c, " +
	"CreatedDate, CreatedById, LastModifiedDate, LastModifiedById, SystemModstamp, LastActivityDate, LastViewedDate, " +
	"LastReferencedDate, Description FROM Contact ORDER BY LastModifiedDate DESC"

// ContactQuery is the SOQL of the first n Contacts, as the benchmarks send
// it: every field of the page named, as clients that list fields write it.
func ContactQuery(n int) string { return ContactSOQL + " LIMIT " + strconv.Itoa(n) }

// QueryPage returns the query result of Contacts 0..n-1 as the REST API
// returns them (about 1.26 KB of JSON each; the same records in REST XML,
// about 1.6 KB each, in xml.go; as Bulk API 2.0 CSV rows, about 100
// bytes). Record i is always the same, with PIIPerRecord personal values
// Veil detects: FirstName, LastName (field hints), Email, Phone (a number
// libphonenumber holds valid) and MailingStreet (field hint), among ids,
// dates, picklists, a city and free text that hold none.
func QueryPage(n int) []byte {
	doc := fmt.Appendf(nil, `{"totalSize":%d,"done":true,"records":[`, n)
	for i := range n {
		if i > 0 {
			doc = append(doc, ',')
		}
		doc = AppendContact(doc, i)
	}
	return append(doc, "]}"...)
}

// RecordsFor is how many Contacts bring a query result closest to size
// bytes (at least one).
func RecordsFor(size int) int {
	total := len(QueryPage(0))
	var rec []byte
	for n := 0; ; n++ {
		rec = AppendContact(rec[:0], n)
		next := total + len(rec)
		if n > 0 {
			next++ // the comma
		}
		if n > 0 && next-size > size-total {
			return n
		}
		total = next
	}
}

// CSVHeader is the header line of the Bulk API 2.0 results the bench CRM
// streams.
const CSVHeader = `"Id","FirstName","LastName","Email","Phone","MailingStreet"` + "\n"

// AppendCSVRow appends the Bulk API 2.0 row of Contact i (about 100
// bytes): the same contact as in a query result. It does not allocate:
// the bench CRM writes a gigabyte of these.
func AppendCSVRow(dst []byte, i int) []byte {
	dst = AppendContactID(append(dst, '"'), i)
	dst = append(dst, `","`...)
	dst = append(dst, FirstName(i)...)
	dst = append(dst, `","`...)
	dst = append(dst, LastName(i)...) // no name holds a quote
	dst = append(dst, `","`...)
	dst = AppendEmail(dst, i)
	dst = append(dst, `","`...)
	dst = append(dst, Phone(i)...)
	dst = append(dst, `","`...)
	dst = AppendStreet(dst, i)
	return append(dst, "\"\n"...)
}

// appendPadded appends n in decimal, zero-padded to width digits.
func appendPadded(dst []byte, n, width int) []byte {
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], int64(n), 10)
	for k := len(s); k < width; k++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}
