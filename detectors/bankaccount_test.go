package detectors

import "testing"

var bankaccountCases = []scanCase{
	{"account number 12345678", "Description", "bank_account"},
	{"order 12345678", "Description", ""},
	{"00012345678", "account_number", "bank_account"},
	// Positives: 6–17 digits (dashes or spaces allowed) after an account
	// or routing word, or in a bank account field.
	{"Acct: 000123456789", "Description", "bank_account"},
	{"A/C 12345678", "Description", "bank_account"},
	{"bank account 1234-5678-9012", "Description", "bank_account"},
	{"routing 021000021", "Description", "bank_account"},
	{"Account No. 98765432101234567", "Description", "bank_account"}, // 17
	{"12345678", "bank_account", "bank_account"},
	{"0001234567", "Bank_Account_Number__c", "bank_account"},
	{"123456", "account_number", "bank_account"}, // 6
	// Negatives: five or eighteen digits, no context word ("Account" alone
	// or "accounting" is not one), letters in the number, dots.
	{"account number 12345", "Description", ""},
	{"account number 123456789012345678", "Description", ""},
	{"12345", "account_number", ""},
	{"closed", "account_number", ""},
	{"12345678", "Description", ""},
	{"Account 12345678", "Description", ""},
	{"accounting 12345678", "Description", ""},
	{"account number AB12345678", "Description", ""},
	{"account number 12.345.678", "Description", ""},
	// Free-text traps.
	{"account number 1,234,567.89", "Description", ""},
	{"Created 1700000000123", "Description", ""},
	{"2024-01-31T10:00:00.000+0000", "Description", ""},
	{"0015g00000XyZ12AAB", "Description", ""},
	{"Invoice INV-2024-000123", "Description", ""},
}

func TestBankAccount(t *testing.T) { checkScan(t, bankaccountCases) }

func BenchmarkBankAccount(b *testing.B) { benchScan(b, bankaccountCases) }
