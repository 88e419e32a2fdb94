package detectors

import "testing"

var bankaccountCases = []scanCase{
	{"account number 12345678", "Description", "bank_account"},
	{"order 12345678", "Description", ""},
	{"00012345678", "account_number", "bank_account"},
}

func TestBankAccount(t *testing.T) { checkScan(t, bankaccountCases) }

func BenchmarkBankAccount(b *testing.B) { benchScan(b, bankaccountCases) }
