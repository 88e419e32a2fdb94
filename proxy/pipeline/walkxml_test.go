package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/proxy/crm"
)

const xmlPage = `<?xml version="1.0" encoding="UTF-8"?><QueryResult xmlns="http://www.force.com/2009/06/asyncapi/dataload"><done>true</done>` +
	`<records type="Contact" url="/services/data/v62.0/sobjects/Contact/003A"><Id>003A</Id><Email>jane@example.com</Email><HasOptedOutOfEmail>true</HasOptedOutOfEmail>` +
	`<Account type="Account"><Name>Acme</Name></Account><Contacts><records type="Contact"><Id>003C</Id><Email>kid@example.com</Email></records></Contacts></records>` +
	`<records type="Lead" url="/services/data/v62.0/sobjects/Lead/00QB"><Id>00QB</Id><Email>joe@example.com</Email><HasOptedOutOfEmail>false</HasOptedOutOfEmail></records>` +
	`<totalSize>2</totalSize></QueryResult>`

const soapPage = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:sf="urn:sobject.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
	`<soapenv:Header><SessionHeader><sessionId>x</sessionId></SessionHeader></soapenv:Header><soapenv:Body><queryResponse><result>` +
	`<records xsi:type="sf:sObject"><sf:type>Contact</sf:type><sf:Id>003A</sf:Id><sf:Email>jane@example.com</sf:Email><sf:HasOptedOutOfEmail>true</sf:HasOptedOutOfEmail></records>` +
	`<records xsi:type="sf:sObject"><sf:type>Contact</sf:type><sf:Id>003B</sf:Id><sf:Email>joe@example.com</sf:Email><sf:Fax xsi:nil="true"/></records>` +
	`</result></queryResponse></soapenv:Body></soapenv:Envelope>`

// An XML page's records reach the policy as a JSON page's do: ids,
// objects, consent flags and pointers, a subquery's records as their own.
func TestXMLRecordsReachThePolicy(t *testing.T) {
	d := &decider{make: func(*policy.Input) (*policy.Decision, error) { return &policy.Decision{ID: "d", Allow: true}, nil }}
	m := message()
	m.Format, m.Body = FormatXML, []byte(xmlPage)
	if res := pipe(d).Process(context.Background(), m); res.Err != nil {
		t.Fatal(res.Err)
	}
	in := d.seen
	type rec struct {
		id, object, pointer string
		optOut              bool
	}
	var got []rec
	for _, r := range in.Records {
		got = append(got, rec{r.ID, r.Object, r.Pointer, r.Consent["email_opt_out"]})
	}
	want := []rec{
		{"003A", "Contact", "/QueryResult/records/0", true},
		{"003C", "Contact", "/QueryResult/records/0/Contacts/records/0", false},
		{"00QB", "Lead", "/QueryResult/records/1", false},
	}
	if len(got) != len(want) {
		t.Fatalf("records %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	emails := map[string]bool{}
	for _, f := range in.Findings {
		if f.Category == "email" {
			emails[f.Pointer] = true
			if f.Field != "Email" {
				t.Errorf("field %q", f.Field)
			}
		}
	}
	for _, p := range []string{"/QueryResult/records/0/Email", "/QueryResult/records/0/Contacts/records/0/Email", "/QueryResult/records/1/Email"} {
		if !emails[p] {
			t.Errorf("no e-mail finding at %s: %v", p, emails)
		}
	}
	if in.Body.Format != FormatXML || !in.Body.Inspected {
		t.Errorf("body %+v", in.Body)
	}
}

// A SOAP envelope is read as the call it carries: its operation, its
// records' object, ids and flags; a dropped field's element goes.
func TestSOAPCallsAreClassified(t *testing.T) {
	d := &decider{make: func(in *policy.Input) (*policy.Decision, error) {
		dec := &policy.Decision{ID: "d", Allow: true, Default: map[string]string{"email": "mask"}}
		for _, f := range in.Findings {
			if f.Record == 1 {
				dec.Drop = append(dec.Drop, f.Pointer)
			}
		}
		return dec, nil
	}}
	m := message()
	m.Call = crm.Call{Operation: crm.OpOther}
	m.Format, m.Body = FormatXML, []byte(soapPage)
	res := pipe(d).Process(context.Background(), m)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	in := d.seen
	if in.Operation != crm.OpQuery || in.Object != "Contact" || in.Body.Format != FormatSOAP {
		t.Errorf("operation %q object %q body %+v", in.Operation, in.Object, in.Body)
	}
	if len(in.Records) != 2 || in.Records[0].ID != "003A" || !in.Records[0].Consent["email_opt_out"] || in.Records[1].ID != "003B" {
		t.Errorf("records %+v", in.Records)
	}
	out := string(res.Body)
	if strings.Contains(out, "jane@example.com") || strings.Contains(out, "joe@example.com") || strings.Contains(out, "<sf:Email>joe") {
		t.Errorf("not rewritten: %s", out)
	}
	if !strings.Contains(out, `<sf:Fax xsi:nil="true"/>`) || !strings.Contains(out, `<records xsi:type="sf:sObject"><sf:type>Contact</sf:type><sf:Id>003B</sf:Id>`) {
		t.Errorf("the envelope lost its shape: %s", out)
	}
}

const xmlLeafPage = `<?xml version="1.0" encoding="UTF-8"?><QueryResult xmlns="http://www.force.com/2009/06/asyncapi/dataload" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
	`<records type="Contact" url="/services/data/v62.0/sobjects/Contact/003A"><Id>003A</Id><Fax xsi:nil="true"/>` +
	`<Title note="jane@example.com">VP</Title><Email>a@example.com</Email><Email>b@example.com</Email><HasOptedOutOfEmail>true</HasOptedOutOfEmail>` +
	`<Account type="Account"><Name>Acme</Name><Website note="acme@example.com">x</Website></Account></records></QueryResult>`

// A leaf field is its record's, whatever its path ends with: an attribute
// (xsi:nil on every null field of a REST XML page), its index among
// same-named siblings. Neither makes it a parent record of its own, so
// its findings stay with the record, its id and consent flags.
func TestXMLLeafFieldsAreTheirRecords(t *testing.T) {
	d := &decider{make: func(*policy.Input) (*policy.Decision, error) { return &policy.Decision{ID: "d", Allow: true}, nil }}
	m := message()
	m.Format, m.Body = FormatXML, []byte(xmlLeafPage)
	if res := pipe(d).Process(context.Background(), m); res.Err != nil {
		t.Fatal(res.Err)
	}
	in := d.seen
	recs := map[int]policy.Record{}
	for _, r := range in.Records {
		recs[r.Index] = r
	}
	want := map[string]string{ // finding pointer → its record's pointer
		"/QueryResult/records/0/Title/@note":           "/QueryResult/records/0",
		"/QueryResult/records/0/Email/0":               "/QueryResult/records/0",
		"/QueryResult/records/0/Email/1":               "/QueryResult/records/0",
		"/QueryResult/records/0/Account/Website/@note": "/QueryResult/records/0/Account",
	}
	got := map[string]string{}
	for _, f := range in.Findings {
		if f.Category != "email" {
			continue
		}
		r, ok := recs[f.Record]
		if !ok {
			t.Errorf("%s: record %d not listed", f.Pointer, f.Record)
			continue
		}
		got[f.Pointer] = r.Pointer
		if r.Pointer == "/QueryResult/records/0" && (r.ID != "003A" || r.Object != "Contact" || !r.Consent["email_opt_out"]) {
			t.Errorf("%s: record %+v", f.Pointer, r)
		}
	}
	if len(got) != len(want) {
		t.Errorf("e-mail findings' records %v, want %v", got, want)
	}
	for p, rp := range want {
		if got[p] != rp {
			t.Errorf("%s: record %q, want %q", p, got[p], rp)
		}
	}
	if len(in.Records) != 2 {
		t.Errorf("records %+v", in.Records)
	}
}
