package main

import (
	"bytes"
	"github.com/veil-proxy/veil/proxy/benchdata"
	"testing"
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
