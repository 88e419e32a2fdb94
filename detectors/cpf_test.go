package detectors

import "testing"

var cpfCases = []scanCase{
	{"CPF 529.982.247-25", "Description", "br_cpf"},
	{"529.982.247-24", "Description", ""},
	{"52998224725", "cpf", "br_cpf"},
	{"111.111.111-11", "Description", ""},
	{"52998224725", "Description", ""},
	// Positives: both check digits valid, formatted 000.000.000-00
	// anywhere, or eleven plain digits after "cpf" or in a CPF field.
	{"529.982.247-25", "Description", "br_cpf"},
	{"CPF: 123.456.789-09 confirmed", "Description", "br_cpf"},
	{"Cliente 111.444.777-35", "Description", "br_cpf"},
	{"000.000.001-91", "Description", "br_cpf"},
	{"cpf 39053344705", "Description", "br_cpf"},
	{"CPF nº 98765432100", "Description", "br_cpf"},
	{"11144477735", "cpf", "br_cpf"},
	{"390.533.447-05", "CPF__c", "br_cpf"},
	{"00000000191", "tax_id_br", "br_cpf"},
	// Negatives: a wrong first or second check digit, repeated digits
	// (which pass the arithmetic), plain digits without context.
	{"529.982.247-26", "Description", ""},
	{"529.982.247-15", "Description", ""},
	{"52998224724", "cpf", ""},
	{"000.000.000-00", "Description", ""},
	{"999.999.999-99", "Description", ""},
	{"22222222222", "cpf", ""},
	// Negatives: half-formatted or otherwise separated, wrong length,
	// glued to letters.
	{"529.982.24725", "Description", ""},
	{"529982247-25", "Description", ""},
	{"529-982-247-25", "Description", ""},
	{"529.982.247.25", "Description", ""},
	{"CPF 5299822472", "Description", ""},
	{"CPF 529982247250", "Description", ""},
	{"X529.982.247-25", "Description", ""},
	{"529.982.247-25X", "Description", ""},
	// Free-text traps.
	{"1700000000123", "Description", ""},
	{"Total 1,234,567.89 due", "Description", ""},
	{"Invoice INV-2024-000123", "Description", ""},
	{"$12345678.00", "Description", ""},
	{"v10.0.19045", "Description", ""},
}

func TestBRCPF(t *testing.T) { checkScan(t, cpfCases) }

func BenchmarkBRCPF(b *testing.B) { benchScan(b, cpfCases) }
