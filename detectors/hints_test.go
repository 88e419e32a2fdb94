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

// TestClassifyFieldNames: Person Account fields as their Contact
// counterparts, the __pc suffix as __c, and IP as a word of a name.
func TestClassifyFieldNames(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		// Person Account fields.
		{"PersonBirthdate", CategoryDateOfBirth},
		{"PersonEmail", CategoryEmail},
		{"PersonMobilePhone", CategoryPhone},
		{"PersonHomePhone", CategoryPhone},
		{"PersonOtherPhone", CategoryPhone},
		{"PersonAssistantPhone", CategoryPhone},
		{"PersonMailingStreet", CategoryStreetAddress},
		{"PersonMailingPostalCode", CategoryPostalCode},
		{"PersonOtherStreet", CategoryStreetAddress},
		{"PersonOtherPostalCode", CategoryPostalCode},
		{"personmailingstreet", CategoryStreetAddress},
		{"PersonMailingCity", ""}, // as MailingCity: no hint
		{"PersonMailingCountry", ""},
		{"PersonTitle", ""}, // a job title
		{"PersonDepartment", ""},
		{"PersonLeadSource", ""},
		{"Personal_Email__c", CategoryEmail},
		{"Person", ""},
		// The __pc suffix of a Person Account's custom field.
		{"SSN__pc", CategoryUSSSN},
		{"Passport_Number__pc", CategoryPassport},
		{"DOB__pc", CategoryDateOfBirth},
		{"Bank_IBAN__pc", CategoryIBAN},
		{"SSN__c", CategoryUSSSN},
		// IP as a word of the name.
		{"Last_Login_IP__c", CategoryIPAddress},
		{"ip_address", CategoryIPAddress},
		{"IPAddress", CategoryIPAddress},
		{"IP_Address__c", CategoryIPAddress},
		{"ClientIp", CategoryIPAddress},
		{"ClientIpAddress", CategoryIPAddress},
		{"LastLoginIP", CategoryIPAddress},
		{"LastLoginIPAddress", CategoryIPAddress},
		{"hs_ip_address", CategoryIPAddress},
		{"hs_last_ip", CategoryIPAddress},
		{"Source_IPv4__c", CategoryIPAddress},
		{"IPv6Address", CategoryIPAddress},
		{"remote-ip", CategoryIPAddress},
		{"IP", CategoryIPAddress},
		{"Last_Login_IP__pc", CategoryIPAddress},
		// ... and not inside another word.
		{"Zip", CategoryPostalCode},
		{"ZIP_Code__c", CategoryPostalCode},
		{"Shipping", ""},
		{"ShippingCity", ""},
		{"SHIPPING_METHOD", ""},
		{"Recipient", ""},
		{"Description", ""},
		{"VIP_Level__c", ""},
		{"IPO_Date__c", ""},
		{"Tip_Amount__c", ""},
		{"Equipment__c", ""},
		{"Membership_Tier__c", ""},
		{"Ipswich_Branch__c", ""},
		{"clientip", ""}, // one word, lower case: nothing to split
	} {
		if got := ClassifyField(c.name).Hint; got != c.want {
			t.Errorf("ClassifyField(%q).Hint = %q, want %q", c.name, got, c.want)
		}
	}
}

// Person Account and IP fields, end to end.
var personAccountCases = []scanCase{
	{"1960-01-02", "PersonBirthdate", "date_of_birth"},
	{"jane@example.com", "PersonEmail", "email"},
	{"(206) 328-3475", "PersonMobilePhone", "phone"},
	{"4155550143", "PersonHomePhone", "phone"}, // plain digits: a phone only in a phone field
	{"1 Main Street", "PersonMailingStreet", "street_address"},
	{"94105", "PersonMailingPostalCode", "postal_code"},
	{"San Francisco", "PersonMailingCity", ""},
	{"VP Sales", "PersonTitle", ""},
	{"078-05-1120", "SSN__pc", "us_ssn"},
	{"52.85.210.141", "Last_Login_IP__c", "ip_address"},
	{"2001:db8::1", "ClientIp", "ip_address"},
	{"94105", "Zip", "postal_code"},
	{"Ground", "Shipping_Method__c", ""},
}

func TestPersonAccountFields(t *testing.T) { checkScan(t, personAccountCases) }

// A hint is read by its index (Field.hint, set by ClassifyField), but
// Hint is what it says: a caller that sets or changes Hint itself is
// scanned by the Hint it set, never by an index left from before.
func TestHintIDFollowsHint(t *testing.T) {
	s := NewScanner(Default())
	changed := ClassifyField("Phone")
	changed.Hint = CategoryPersonName
	cleared := ClassifyField("FirstName")
	cleared.Hint = ""
	for _, c := range []struct {
		name  string
		field Field
		want  string // the category found in "Jane Doe", or ""
	}{
		{"classified", ClassifyField("FirstName"), CategoryPersonName},
		{"set by the caller", Field{Name: "x", Hint: CategoryStreetAddress}, CategoryStreetAddress},
		{"changed after classifying", changed, CategoryPersonName},
		{"cleared after classifying", cleared, ""},
		{"a category no name hints", Field{Name: "x", Hint: CategoryVeilToken}, ""},
	} {
		got := s.Scan(nil, []byte("Jane Doe"), c.field)
		switch {
		case c.want == "" && len(got) != 0:
			t.Errorf("%s: found %+v, want nothing", c.name, got)
		case c.want != "" && (len(got) != 1 || got[0].Category != c.want):
			t.Errorf("%s: found %+v, want one %s", c.name, got, c.want)
		}
	}
}
