package body

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"testing"
)

// salesforceXMLPage is salesforcePage(n) as the REST API writes it in
// XML: the same records and values, attributes as attributes, nulls as
// xsi:nil, the JSON escapes as references or characters.
func salesforceXMLPage(n int) []byte {
	b := []byte(`<?xml version="1.0" encoding="UTF-8"?><QueryResult xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		`<done>false</done><nextRecordsUrl>/services/data/v62.0/query/01gD0000002HU6KIAW-2000</nextRecordsUrl>`)
	for i := range n {
		b = fmt.Appendf(b, `<records type="Contact" url="/services/data/v62.0/sobjects/Contact/003D000000Qx%05dAAA">`+
			`<Id>003D000000Qx%05dAAA</Id><FirstName>Ana</FirstName><LastName>O&#x2019;Brien-%d</LastName><Email>ana.obrien%d@example.com</Email>`+
			`<Phone>+1 (415) 555-%04d</Phone><MobilePhone xsi:nil="true"/><Birthdate>1984-03-%02d</Birthdate><HasOptedOutOfEmail>%t</HasOptedOutOfEmail><DoNotCall>false</DoNotCall>`+
			`<MailingStreet>%d Market St`+"\n"+`Suite 400</MailingStreet><MailingCity>San Francisco</MailingCity><MailingPostalCode>94105</MailingPostalCode>`+
			`<MailingCountry>United States</MailingCountry><AccountId>001D000000IRFmaIAH</AccountId><Title>VP, &quot;Customer&quot; Success</Title>`+
			`<AnnualRevenue__c>1250000.50</AnnualRevenue__c><NumberOfEmployees>%d</NumberOfEmployees><Description>Met at Dreamforce; prefers email.</Description></records>`,
			i, i, i, i, i%10000, i%28+1, i%2 == 0, 100+i, 40+i)
	}
	return append(b, `<totalSize>`+strconv.Itoa(n)+`</totalSize></QueryResult>`...)
}

// The XML benchmarks run on the pages of benchSizes, named by the size of
// the JSON page: the XML one holds the same records in about 1.3 times
// the bytes, so compare ns/op with BenchmarkWalkJSON, not MB/s.

func BenchmarkParseXML(b *testing.B) {
	for _, sz := range benchSizes {
		doc := salesforceXMLPage(sz.records)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseXML(doc, sfLists); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWalkXML parses and walks, what BenchmarkWalkJSON measures.
func BenchmarkWalkXML(b *testing.B) {
	for _, sz := range benchSizes {
		doc := salesforceXMLPage(sz.records)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			n := 0
			fn := func(v *XMLValue) error {
				n += len(v.Text)
				return nil
			}
			for b.Loop() {
				d, err := ParseXML(doc, sfLists)
				if err != nil {
					b.Fatal(err)
				}
				if err := d.Walk(fn); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWalkXMLPointers also makes every value's pointer, as the
// detectors' audit does for the values it reports.
func BenchmarkWalkXMLPointers(b *testing.B) {
	doc := salesforceXMLPage(160)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	var buf []byte
	d, err := ParseXML(doc, sfLists)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		d.Walk(func(v *XMLValue) error {
			buf = v.AppendPointer(buf[:0])
			return nil
		})
	}
}

// BenchmarkXMLTokens is the yardstick: encoding/xml's tokenizer alone,
// with no index, no spans and none of the checks.
func BenchmarkXMLTokens(b *testing.B) {
	for _, sz := range benchSizes {
		doc := salesforceXMLPage(sz.records)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				dec := xml.NewDecoder(bytes.NewReader(doc))
				for {
					if _, err := dec.RawToken(); err == io.EOF {
						break
					} else if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkRewriteXML masks every Email and drops every Birthdate, as
// BenchmarkRewriteJSON does.
func BenchmarkRewriteXML(b *testing.B) {
	for _, sz := range benchSizes {
		doc := salesforceXMLPage(sz.records)
		d, err := ParseXML(doc, sfLists)
		if err != nil {
			b.Fatal(err)
		}
		e := &XMLEdits{Replace: map[int][]byte{}, Drop: map[int]bool{}}
		d.Walk(func(v *XMLValue) error {
			switch string(v.Name) {
			case "Email":
				e.Replace[v.Start] = []byte("a***@example.com")
			case "Birthdate":
				e.Drop[v.Start] = true
			}
			return nil
		})
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			buf := make([]byte, 0, len(doc))
			for b.Loop() {
				out, err := RewriteXML(buf[:0], doc, d, e)
				if err != nil {
					b.Fatal(err)
				}
				buf = out
			}
		})
	}
}
