package detectors

import "testing"

var secretCases = []scanCase{
	{"AKIAIOSFODNN7EXAMPLE", "Description", "secret"},
	{"token ghp_0123456789abcdefghijABCDEFGHIJ012345 leaked", "Description", "secret"},
	{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlc2lnbmF0dXJl", "Description", "secret"},
	{"-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----", "Description", "secret"},
	{"sk_live_short", "Description", ""},
}

func TestSecret(t *testing.T) { checkScan(t, secretCases) }

func BenchmarkSecret(b *testing.B) { benchScan(b, secretCases) }
