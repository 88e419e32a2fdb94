package detectors

import "testing"

var creditcardCases = []scanCase{
	{"Card 4111 1111 1111 1111 exp", "Description", "credit_card"},
	{"4111111111111112", "Description", ""},
	{"Order #9621723216684847 shipped; tracking 1Z2350594305.", "Description", ""},
	{"49 151 48279271", "Description", ""},
	{"4111 1111 1111 1111", "Description", "credit_card"},
	{"3782 822463 10005", "Description", "credit_card"},
}

func TestCreditCard(t *testing.T) { checkScan(t, creditcardCases) }

func BenchmarkCreditCard(b *testing.B) { benchScan(b, creditcardCases) }
