package detectors

import (
	"bytes"
	"maps"
	"slices"
	"strings"
)

// fieldHints maps lower-cased field names (Salesforce Contact/Lead/Account
// standard fields, HubSpot contact default properties, and common custom
// field names with their __c suffix removed) to the category they hold.
var fieldHints = map[string]string{
	// person_name
	"firstname": CategoryPersonName, "lastname": CategoryPersonName, "name": CategoryPersonName,
	"middlename": CategoryPersonName, "full_name": CategoryPersonName, "fullname": CategoryPersonName,
	"contact_name": CategoryPersonName, "suppliedname": CategoryPersonName,
	"first_name": CategoryPersonName, "last_name": CategoryPersonName, // also Salesforce report columns
	// date_of_birth
	"birthdate": CategoryDateOfBirth, "date_of_birth": CategoryDateOfBirth, "dob": CategoryDateOfBirth,
	"birthday": CategoryDateOfBirth, "birth_date": CategoryDateOfBirth, "dateofbirth": CategoryDateOfBirth,
	// street_address
	"mailingstreet": CategoryStreetAddress, "otherstreet": CategoryStreetAddress, "billingstreet": CategoryStreetAddress,
	"shippingstreet": CategoryStreetAddress, "street": CategoryStreetAddress, "address": CategoryStreetAddress,
	"street_address": CategoryStreetAddress, "address1": CategoryStreetAddress, "address2": CategoryStreetAddress,
	"address1_street": CategoryStreetAddress, "address2_street": CategoryStreetAddress, // Salesforce report columns
	// postal_code
	"mailingpostalcode": CategoryPostalCode, "otherpostalcode": CategoryPostalCode, "billingpostalcode": CategoryPostalCode,
	"shippingpostalcode": CategoryPostalCode, "postalcode": CategoryPostalCode, "postal_code": CategoryPostalCode,
	"zip": CategoryPostalCode, "zipcode": CategoryPostalCode, "zip_code": CategoryPostalCode,
	"address1_zip": CategoryPostalCode, "address2_zip": CategoryPostalCode, // Salesforce report columns
	// pattern categories: hints raise confidence
	"email": CategoryEmail, "suppliedemail": CategoryEmail, "work_email": CategoryEmail, "personal_email": CategoryEmail,
	"phone": CategoryPhone, "mobilephone": CategoryPhone, "homephone": CategoryPhone, "otherphone": CategoryPhone,
	"assistantphone": CategoryPhone, "fax": CategoryPhone, "mobile": CategoryPhone, "suppliedphone": CategoryPhone,
	"hs_whatsapp_phone_number": CategoryPhone, "phone_number": CategoryPhone,
	"phone1": CategoryPhone, "phone2": CategoryPhone, "phone3": CategoryPhone, // Salesforce report columns
	"ssn": CategoryUSSSN, "social_security_number": CategoryUSSSN, "us_ssn": CategoryUSSSN,
	"card_number": CategoryCreditCard, "credit_card": CategoryCreditCard, "credit_card_number": CategoryCreditCard, "pan": CategoryCreditCard,
	"iban": CategoryIBAN, "bank_iban": CategoryIBAN,
	"ip": CategoryIPAddress, "ip_address": CategoryIPAddress, "ipaddress": CategoryIPAddress, "last_ip": CategoryIPAddress,
	"hs_ip_address": CategoryIPAddress, "sourceip": CategoryIPAddress,
	"cpf": CategoryBRCPF, "tax_id_br": CategoryBRCPF,
	"itin":       CategoryUSITIN,
	"nhs_number": CategoryUKNHS, "nhs": CategoryUKNHS,
	"sin": CategoryCASIN, "social_insurance_number": CategoryCASIN,
	"npi": CategoryUSNPI, "mbi": CategoryUSMBI, "medicare_id": CategoryUSMBI,
	"passport": CategoryPassport, "passport_number": CategoryPassport, "passportnumber": CategoryPassport,
	"bank_account": CategoryBankAccount, "bank_account_number": CategoryBankAccount, "account_number": CategoryBankAccount,
	"password": CategorySecret, "api_key": CategorySecret, "apikey": CategorySecret, "client_secret": CategorySecret,
	"secret": CategorySecret, "access_token": CategorySecret, "auth_token": CategorySecret, "api_token": CategorySecret,
	"nino": CategoryUKNINO, "national_insurance_number": CategoryUKNINO, "ni_number": CategoryUKNINO,
}

// hintOnly categories are found from the field name alone (the whole value).
var hintOnly = map[string]bool{CategoryPersonName: true, CategoryDateOfBirth: true, CategoryStreetAddress: true, CategoryPostalCode: true}

// The categories a name can hint are numbered from 1 (fieldHints' own,
// sorted, then a card code's and an IP address's), so that the scanner
// finds a hinted field's detectors, and FieldHint whether its hint is
// hint-only, by index rather than by hashing the hint on every value:
// ClassifyField sets Field.hint with Field.Hint. Package variables, not
// init: whatever reads them at initialization (a scanner made for a
// package variable) is initialized after them.
var hintCategories, hintIndex, hintOnlyAt = numberHints()

// numberHints returns the categories by index (0 is ""), the index of
// each, and whether the category at an index is hint-only.
func numberHints() (cats []string, index map[string]uint8, only []bool) {
	index = map[string]uint8{}
	add := func(c string) {
		if _, ok := index[c]; !ok {
			index[c] = uint8(len(cats))
			cats = append(cats, c)
			only = append(only, hintOnly[c])
		}
	}
	add("")
	for _, c := range slices.Sorted(maps.Values(fieldHints)) {
		add(c)
	}
	add(CategoryCreditCard) // a card code's field
	add(CategoryIPAddress)  // a name with IP as a word
	if len(cats) > 255 {
		panic("detectors: more than 255 hinted categories")
	}
	return cats, index, only
}

// hintID is f.Hint's index in hintCategories: f.hint when it is still
// Hint's (a caller may set Hint itself), else looked up; 0 for no hint or
// a category no name hints.
func (f *Field) hintID() uint8 {
	if i := f.hint; i != 0 && hintCategories[i] == f.Hint {
		return i
	}
	if f.Hint == "" {
		return 0
	}
	return hintIndex[f.Hint]
}

// ClassifyField looks the name up, case-insensitively, with a custom
// field's __c suffix (__pc on a Salesforce Person Account) removed. A
// Person Account's own Contact fields (PersonBirthdate, PersonEmail,
// PersonMailingStreet …) are hinted as the Contact fields they are; a
// name with IP as a word of its own (Last_Login_IP__c, IPAddress,
// ClientIp) hints ip_address.
func ClassifyField(name string) Field {
	f := Field{Name: name}
	k := strings.ToLower(name)
	if t, ok := strings.CutSuffix(k, "__pc"); ok {
		k = t
	} else {
		k = strings.TrimSuffix(k, "__c")
	}
	f.Hint = fieldHints[k]
	if f.Hint == "" {
		if rest, ok := strings.CutPrefix(k, "person"); ok && rest != "" && isUpperOrLower(rest[0]) {
			f.Hint = fieldHints[rest]
		}
	}
	if cvvFields[k] {
		f.Hint, f.cvv = CategoryCreditCard, true
	}
	if f.Hint == "" && hasIPWord(name) {
		f.Hint = CategoryIPAddress
	}
	f.hint = hintIndex[f.Hint]
	return f
}

// hasIPWord reports whether "ip" is a word of the name on its own: its
// words split at anything but a letter or a digit, and where the case
// changes (LastLoginIp, IPAddress: a capital run ends before the capital
// that starts a lower-case word). "IPv4" and "IPv6" are IP. Zip,
// Shipping, Recipient, Description, VIP and IPO hold "ip" inside a word.
func hasIPWord(name string) bool {
	for i := 0; i+1 < len(name); i++ {
		if name[i]|0x20 != 'i' || name[i+1]|0x20 != 'p' {
			continue
		}
		if name[i] == 'i' && name[i+1] == 'P' {
			continue // iP: not a word's spelling
		}
		upper := name[i] == 'I' && name[i+1] == 'P'
		// A word starts here: at the start, after other than a letter, or
		// as a capital after a small letter (ClientIp, LastLoginIP).
		if i > 0 && isUpperOrLower(name[i-1]) && !(name[i] == 'I' && isLower(name[i-1])) {
			continue
		}
		// And ends after "ip": at the end, before other than a letter, at
		// a capital after "Ip" (ClientIpAddress), at a capital starting a
		// lower-case word after "IP" (IPAddress), or at v4/v6 (IPv4).
		e := i + 2
		switch {
		case e == len(name) || !isUpperOrLower(name[e]):
			return true
		case name[e]|0x20 == 'v' && e+1 < len(name) && (name[e+1] == '4' || name[e+1] == '6'):
			return true
		case !upper && name[i+1] == 'p' && isUpper(name[e]):
			return true
		case upper && isUpper(name[e]) && e+1 < len(name) && isLower(name[e+1]):
			return true
		}
	}
	return false
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }

// personObjects are the Salesforce objects whose Name is a person's.
var personObjects = map[string]bool{"contact": true, "lead": true, "user": true, "individual": true, "contacts": true}

// ClassifyFieldOf is ClassifyField for a field of a known object: a Name
// on an Account or an Opportunity is a company's or a deal's, not a
// person's. An unknown object ("") keeps the hint.
func ClassifyFieldOf(object, name string) Field {
	f := ClassifyField(name)
	if f.Hint == CategoryPersonName && object != "" && strings.EqualFold(name, "name") && !personObjects[strings.ToLower(object)] {
		f.Hint, f.hint = "", 0
	}
	return f
}

// FieldHint reports the whole value of a hint-only field.
type FieldHint struct{}

func (FieldHint) Name() string     { return "field_hint" }
func (FieldHint) Category() string { return "" }
func (FieldHint) trigger() trigger { return trigHinted }

func (FieldHint) Find(dst []Finding, v []byte, f Field) []Finding {
	if !hintOnlyAt[f.hintID()] {
		return dst
	}
	s, e := 0, len(v)
	for s < e && isSpace(v[s]) {
		s++
	}
	for e > s && isSpace(v[e-1]) {
		e--
	}
	if s == e || bytes.EqualFold(v[s:e], []byte("null")) {
		return dst
	}
	return append(dst, Finding{Category: f.Hint, Detector: "field_hint", Start: s, End: e, Confidence: 0.9})
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
