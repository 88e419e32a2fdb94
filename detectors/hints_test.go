package detectors

import "testing"

var hintsCases = []scanCase{
	{"1943-09-08", "Birthdate", "date_of_birth"},
	{"Ahmed Kowalski", "Name", "person_name"},
	{"00351yBMWXaSCrUZoL", "Id", ""},
	{"Acme Corp", "Name", "person_name"},
	{"2020-06-08T21:14:48.000+0000", "CreatedDate", ""},
	// Positives: the whole value of a hint-only field (Salesforce,
	// HubSpot and custom __c names, any case), trimmed of spaces.
	{"Ahmed", "FirstName", "person_name"},
	{"O'Brien", "lastname", "person_name"},
	{"Jane Q. Public", "Full_Name__c", "person_name"},
	{"  Jane Doe  ", "Name", "person_name"},
	{"12/04/1985", "DOB__c", "date_of_birth"},
	{"1985-04-12", "date_of_birth", "date_of_birth"},
	{"April 12", "birthday", "date_of_birth"},
	{"1 Main Street, Apt 4", "MailingStreet", "street_address"},
	{"221B Baker Street", "address", "street_address"},
	{"94105", "MailingPostalCode", "postal_code"},
	{"SW1A 1AA", "zip", "postal_code"},
	{"94105-1234", "Postal_Code__c", "postal_code"},
	// Negatives: empty, blank and "null" values in hinted fields, and the
	// same kinds of values in fields with no hint.
	{"null", "Name", ""},
	{"NULL", "FirstName", ""},
	{"   ", "LastName", ""},
	{"", "Birthdate", ""},
	{"94105", "Description", ""},
	{"1,234,567.89", "Amount", ""},
	{"VP Sales", "Title", ""},
	{"Acme Corp", "Company", ""},
	{"1700000000", "hs_object_id", ""},
	{"0015g00000XyZ12AAB", "Id", ""},
	{"2024-01-31T10:00:00.000+0000", "LastModifiedDate", ""},
}

func TestFieldHints(t *testing.T) { checkScan(t, hintsCases) }

func BenchmarkFieldHints(b *testing.B) { benchScan(b, hintsCases) }
