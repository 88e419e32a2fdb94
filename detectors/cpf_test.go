package detectors

import "testing"

var cpfCases = []scanCase{
	{"CPF 529.982.247-25", "Description", "br_cpf"},
	{"529.982.247-24", "Description", ""},
	{"52998224725", "cpf", "br_cpf"},
	{"111.111.111-11", "Description", ""},
	{"52998224725", "Description", ""},
}

func TestBRCPF(t *testing.T) { checkScan(t, cpfCases) }

func BenchmarkBRCPF(b *testing.B) { benchScan(b, cpfCases) }
