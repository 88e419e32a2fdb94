package detectors

import "testing"

var emailCases = []scanCase{
	{"jane.doe@example.com", "Email", "email"},
}

func TestEmail(t *testing.T) { checkScan(t, emailCases) }

func BenchmarkEmail(b *testing.B) { benchScan(b, emailCases) }
