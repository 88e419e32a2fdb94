package detectors

import "testing"

var ninoCases = []scanCase{
	{"NI number AB 12 34 56 C on file", "Description", "uk_nino"},
	{"QQ123456C", "Description", ""},
	{"GB123456A", "Description", ""},
	{"AB123456E", "Description", ""},
}

func TestUKNINO(t *testing.T) { checkScan(t, ninoCases) }

func BenchmarkUKNINO(b *testing.B) { benchScan(b, ninoCases) }
