// Package benchdata generates the Salesforce payloads Veil's benchmarks
// send through it: query results of Contacts as the REST API returns
// them, at a chosen size, with the personal data of a real page (a name,
// an e-mail address and a phone number per record, among ids, dates,
// picklists and free text without personal data), and Bulk API 2.0 CSV
// rows of the same contacts. Deterministic: record i is always the same.
package benchdata

import (
	"fmt"
	"strconv"
)

var (
	firsts = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Frances", "John", "Radia", "Tim"}
	lasts  = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson", "Allen", "Backus", "Perlman", "Berners-Lee"}
	cities = []string{"San Francisco", "Austin", "Chicago", "Boston", "Seattle", "Denver"}
	titles = []string{"VP Engineering", "Head of Sales", "Procurement Manager", "CTO", "Operations Lead"}
	// Area codes and exchanges libphonenumber holds valid for the US.
	areas = []string{"415", "512", "312", "617", "206", "303"}
)

// PIIPerRecord is how many personal values each record holds (Name,
// Email, Phone).
const PIIPerRecord = 3

// Contact appends record i of a query result: about 730 bytes of JSON.
func Contact(dst []byte, i int) []byte {
	id := fmt.Sprintf("003Dn%010dAAA", i)
	f, l := firsts[i%len(firsts)], lasts[(i/len(firsts))%len(lasts)]
	return fmt.Appendf(dst, `{"attributes":{"type":"Contact","url":"/services/data/v62.0/sobjects/Contact/%s"},`+
		`"Id":"%s","Name":"%s %s","Email":"%s.%s%d@example.com","Phone":"(%s) %03d-%04d",`+
		`"Title":"%s","Department":"Engineering","MailingCity":"%s","MailingState":"CA","MailingCountry":"United States",`+
		`"AccountId":"001Dn%010dAAA","OwnerId":"005Dn0000001AAAAA3","LeadSource":"Web","HasOptedOutOfEmail":false,"DoNotCall":false,`+
		`"CreatedDate":"2024-03-11T09:21:44.000+0000","LastModifiedDate":"2025-06-08T21:14:02.000+0000",`+
		`"Description":"Met at the 2024 conference; interested in the enterprise plan and a pilot in the third quarter."}`,
		id, id, f, l, f, l, i, areas[i%len(areas)], 200+i%700, 1000+(i*7919)%9000,
		titles[i%len(titles)], cities[i%len(cities)], i/4)
}

// QueryPage returns a query result holding as many records as bring it to
// at least size bytes, and how many that is.
func QueryPage(size int) ([]byte, int) {
	doc := []byte(`{"totalSize":       ,"done":true,"records":[`)
	n := 0
	for len(doc)+2 < size || n == 0 {
		if n > 0 {
			doc = append(doc, ',')
		}
		doc = Contact(doc, n)
		n++
	}
	doc = append(doc, "]}"...)
	total := fmt.Sprintf("%7d", n) // fixed width, padded with spaces: the size does not move
	copy(doc[len(`{"totalSize":`):], total)
	return doc, n
}

// CSVHeader is the header line of the Bulk API 2.0 rows CSVRow writes.
const CSVHeader = `"Id","Name","Email","Phone","Title","MailingCity"` + "\n"

// CSVRow appends row i (about 110 bytes, three personal values).
func CSVRow(dst []byte, i int) []byte {
	f, l := firsts[i%len(firsts)], lasts[(i/len(firsts))%len(lasts)]
	dst = append(dst, `"003Dn`...)
	dst = appendPadded(dst, i, 10)
	dst = append(dst, `AAA","`...)
	dst = append(append(append(append(dst, f...), ' '), l...), `","`...)
	dst = append(append(append(append(dst, f...), '.'), l...), strconv.Itoa(i)...)
	dst = append(dst, `@example.com","(`...)
	dst = append(append(dst, areas[i%len(areas)]...), ") "...)
	dst = appendPadded(dst, 200+i%700, 3)
	dst = append(dst, '-')
	dst = appendPadded(dst, 1000+(i*7919)%9000, 4)
	dst = append(append(append(dst, `","`...), titles[i%len(titles)]...), `","`...)
	return append(append(dst, cities[i%len(cities)]...), "\"\n"...)
}

func appendPadded(dst []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for k := len(s); k < width; k++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}
