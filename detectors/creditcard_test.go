package detectors

import "testing"

var creditcardCases = []scanCase{
	{"Card 4111 1111 1111 1111 exp", "Description", "credit_card"},
	{"4111111111111112", "Description", ""},
	{"Order #9621723216684847 shipped; tracking 1Z2350594305.", "Description", ""},
	{"49 151 48279271", "Description", ""},
	{"4111 1111 1111 1111", "Description", "credit_card"},
	{"3782 822463 10005", "Description", "credit_card"},
	// Positives: Luhn-valid numbers in each network's IIN range and length,
	// plain, in fours (space or dash), Amex/Diners 4-6-5 and 4-6-4.
	{"4111111111111111", "Description", "credit_card"},              // Visa 16
	{"Card 4012888888881881 on file", "Description", "credit_card"}, // Visa
	{"4222222222222", "Description", "credit_card"},                 // Visa 13
	{"4111 1111 1111 1111 110", "Description", "credit_card"},       // Visa 19
	{"5555 5555 5555 4444", "Description", "credit_card"},           // Mastercard
	{"5105-1051-0510-5100", "Description", "credit_card"},           // Mastercard, dashes
	{"2223003122003222", "Description", "credit_card"},              // Mastercard 2-series
	{"Amex 378282246310005", "Description", "credit_card"},          // Amex 15
	{"3714 496353 98431", "Description", "credit_card"},             // Amex 4-6-5
	{"Discover 6011 1111 1111 1117", "Description", "credit_card"},  // Discover
	{"JCB 3530111333300000", "Description", "credit_card"},          // JCB
	{"Diners 3056 930902 5904", "Description", "credit_card"},       // Diners 4-6-4
	{"UnionPay 6200000000000005", "Description", "credit_card"},     // UnionPay
	{"Paid with card 4111111111111111.", "Description", "credit_card"},
	{"4111111111111111", "Card_Number__c", "credit_card"},
	{"5555555555554444", "credit_card", "credit_card"},
	{"378282246310005", "pan", "credit_card"},
	// Negatives: Luhn failures (also in a card field), lengths the
	// network does not issue, unknown IINs, bad grouping or separators,
	// digits glued to letters, and free-text numbers that are not cards.
	{"5555555555554445", "Description", ""},
	{"4111111111111112", "Card_Number__c", ""},
	{"411111111111111", "Description", ""},   // Visa 15
	{"41111111111111111", "Description", ""}, // Visa 17
	{"3782822463100050", "Description", ""},  // Amex 16
	{"1234567812345670", "Description", ""},  // Luhn-valid, no network
	{"411 1111 1111 11111", "Description", ""},
	{"4111  1111 1111 1111", "Description", "credit_card"}, // any short separator run
	{"4111.1111.1111.1111", "Description", "credit_card"},
	{"4111_1111_1111_1111", "Description", "credit_card"},
	{"x4111111111111111", "Description", ""}, // glued, no card word
	{"4111111111111111x", "Description", ""},
	{"+4111111111111111", "Description", "credit_card"}, // 16 digits: never an E.164 phone
	{"Order number 9621723216684847", "Description", ""},
	{"4532015112830367", "Description", ""}, // 16-digit order number, fails Luhn
	{"Created 1700000000123", "Description", ""},
	{"2024-01-31T10:00:00.000+0000", "Description", ""},
	{"0015g00000XyZ12AAB", "Description", ""},
	{"$12345678.00", "Description", ""},
	{"Total 1,234,567.89 due", "Description", ""},
	{"Invoice INV-2024-000123", "Description", ""},
}

func TestCreditCard(t *testing.T) { checkScan(t, creditcardCases) }

func BenchmarkCreditCard(b *testing.B) { benchScan(b, creditcardCases) }
