package detectors

import "testing"

// Traps found by reading the detectors against their tables: a context
// word inside a longer word, amounts after an account word, other
// countries' identifiers in phone shapes.
var trapCases = []scanCase{
	{"Single item 046 454 286", "Description", "phone"}, // "sin" inside "Single"; a Belgian number
	{"Single item 130 692 544", "Description", ""},
	{"SIN 130 692 544", "Description", "ca_sin"},   // the word itself
	{"sin: 130-692-544", "Description", "ca_sin"},  // lower case, punctuation after
	{"our itinerary 912781234", "Description", ""}, // "itin" inside "itinerary"
	{"ITIN 912781234", "Description", "us_itin"},
	{"ITIN 912-78-1234", "Description", "us_itin"},              // separated: valid on its own
	{"Acct balance $1234567.89", "Description", ""},             // an amount
	{"Acct balance 1234567.89 EUR", "Description", ""},          // an amount, no symbol
	{"acct total 1,234,567", "Description", ""},                 // thousands separators
	{"acct 12345678", "Description", "bank_account"},            // an account number
	{"Account number 12345678.", "Description", "bank_account"}, // a full stop is not a decimal point
	{"CPF 123.456.789-09", "Description", "br_cpf"},             // not a phone
	{"Call 123.456.789-09", "Description", "br_cpf"},            // a formatted CPF is one with or without its word, never a phone
	{"jane@-example.com", "Description", ""},                    // a label cannot start with '-'
	{"jane@example-.com", "Description", ""},                    // nor end with one
	{"telephone 4155550143", "Description", "phone"},            // a prefix word
	{"Hotel 4155550143", "Description", ""},                     // "tel" inside a word
	{"cellar 4155550143", "Description", ""},                    // "cell" followed by letters that make another word
	{"mobile: 4155550143", "Description", "phone"},
	{"Passports 123456789", "Description", "passport"},
	{"born 1980-02-03", "Description", "date_of_birth"},
	{"reborn 1980-02-03", "Description", ""},
}

func TestTraps(t *testing.T) { checkScan(t, trapCases) }
