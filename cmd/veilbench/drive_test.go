package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy/benchdata"
)

// countRewritten counts the personal values that differ from the CRM's,
// and refuses a page whose records are not the CRM's, in its order.
func TestCountRewritten(t *testing.T) {
	page := benchdata.QueryPage(3)
	if n, err := countRewritten(page, 3); err != nil || n != 0 {
		t.Fatalf("the CRM's own page: %d rewritten, %v", n, err)
	}
	masked := bytes.Replace(page, []byte(benchdata.Email(1)), []byte("a***@example.org"), 1)
	masked = bytes.Replace(masked, []byte(`"MailingStreet":"`+benchdata.Street(2)+`"`), []byte(`"MailingStreet":"[REDACTED:street_address]"`), 1)
	masked = bytes.Replace(masked, []byte(`"FirstName":"`+benchdata.FirstName(0)+`"`), []byte(`"FirstName":null`), 1)
	if n, err := countRewritten(masked, 3); err != nil || n != 3 {
		t.Fatalf("three values rewritten: counted %d, %v", n, err)
	}
	if _, err := countRewritten(page, 4); err == nil {
		t.Error("3 records where 4 were asked must be an error")
	}
	swapped := bytes.Replace(page, []byte(`"Id":"`+benchdata.ContactID(1)+`"`), []byte(`"Id":"`+benchdata.ContactID(2)+`"`), 1)
	if _, err := countRewritten(swapped, 3); err == nil {
		t.Error("a record out of place must be an error")
	}
	if _, err := countRewritten([]byte(`[{"errorCode":"policy_denied"}]`), 3); err == nil {
		t.Error("an error body must be an error")
	}
}

// countRewrittenXML reads a REST XML query result as countRewritten reads
// JSON: rewritten and nil values counted, records out of place or missing
// refused.
func TestCountRewrittenXML(t *testing.T) {
	page := benchdata.QueryPageXML(3)
	if n, err := countRewrittenXML(page, 3); err != nil || n != 0 {
		t.Fatalf("the CRM's own page: %d rewritten, %v", n, err)
	}
	masked := bytes.Replace(page, []byte(benchdata.Email(1)), []byte("a***@example.org"), 1)
	masked = bytes.Replace(masked, []byte("<MailingStreet>"+benchdata.Street(2)+"<"), []byte("<MailingStreet>[REDACTED:street_address]<"), 1)
	masked = bytes.Replace(masked, []byte("<FirstName>"+benchdata.FirstName(0)+"</FirstName>"), []byte(`<FirstName xsi:nil="true"/>`), 1)
	masked = bytes.Replace(masked, []byte("<Phone>"+benchdata.Phone(2)+"</Phone>"), []byte(`<Phone></Phone>`), 1)
	if n, err := countRewrittenXML(masked, 3); err != nil || n != 4 {
		t.Fatalf("four values rewritten: counted %d, %v", n, err)
	}
	// An escaped value read back is the CRM's: record 21's O'Connor, written O&#39;Connor.
	if n, err := countRewrittenXML(benchdata.QueryPageXML(22), 22); err != nil || n != 0 {
		t.Fatalf("22 records: %d rewritten, %v", n, err)
	}
	if _, err := countRewrittenXML(page, 4); err == nil {
		t.Error("3 records where 4 were asked must be an error")
	}
	total := bytes.Replace(page, []byte("<totalSize>3</totalSize>"), []byte("<totalSize>4</totalSize>"), 1)
	if _, err := countRewrittenXML(total, 3); err == nil {
		t.Error("a totalSize that is not the records' must be an error")
	}
	swapped := bytes.Replace(page, []byte("<Id>"+benchdata.ContactID(1)+"</Id>"), []byte("<Id>"+benchdata.ContactID(2)+"</Id>"), 1)
	if _, err := countRewrittenXML(swapped, 3); err == nil {
		t.Error("a record out of place must be an error")
	}
	for _, bad := range []string{
		`<?xml version="1.0"?><Errors><Error><errorCode>policy_denied</errorCode></Error></Errors>`,
		string(page[:len(page)-20]), // cut short
		string(benchdata.QueryPage(3)),
		"",
	} {
		if _, err := countRewrittenXML([]byte(bad), 3); err == nil {
			t.Errorf("%.60q: want an error", bad)
		}
	}
}

// leaked finds the e-mails, phones and streets the CRM sent in either
// format, and nothing in a page that holds none of them.
func TestLeaked(t *testing.T) {
	for _, page := range [][]byte{benchdata.QueryPage(8), benchdata.QueryPageXML(8)} {
		if got := leaked(page, 8); len(got) != 24 {
			t.Errorf("the CRM's page: %d values found, want 24", len(got))
		}
		masked := page
		for i := range 8 {
			for _, v := range []string{benchdata.Email(i), benchdata.Phone(i), benchdata.Street(i)} {
				masked = bytes.ReplaceAll(masked, []byte(v), []byte("***"))
			}
		}
		if got := leaked(masked, 8); len(got) != 0 {
			t.Errorf("masked: %q found", got)
		}
	}
	// None of these values holds a character JSON or XML escapes, so the
	// raw search is the whole search.
	for i := range 2000 {
		for _, v := range []string{benchdata.Email(i), benchdata.Phone(i), benchdata.Street(i)} {
			if strings.ContainsAny(v, "\"'&<>\\\t\r\n") {
				t.Fatalf("record %d: %q would be escaped", i, v)
			}
		}
	}
}
