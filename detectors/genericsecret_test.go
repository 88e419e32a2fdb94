package detectors

import "testing"

var genericSecretCases = []scanCase{
	{"api key: 9fK2mQx7Lp4Rt8Vz1Nc6Bw3Hd5Jy0Ge", "Description", "secret"},
	{"temporary password is Zq8rT2mK9vL4xN7pW3cY", "Description", "secret"},
	{"9fK2mQx7Lp4Rt8Vz1Nc6Bw3Hd5Jy0Ge", "Api_Key__c", "secret"},
	{"token=aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3", "Notes", "secret"},
	// Negatives: no credential word, low entropy, no digits, a sentence,
	// a Salesforce id, a UUID without context.
	{"9fK2mQx7Lp4Rt8Vz1Nc6Bw3Hd5Jy0Ge", "Description", ""},
	{"password: aaaaaaaaaaaaaaaaaaaa1111", "Description", ""},
	{"password reset requested by the customer yesterday", "Description", ""},
	{"token 003Dn00000000AbcAA", "Description", ""},
	{"123e4567-e89b-12d3-a456-426614174000", "Description", ""},
}

func TestGenericSecret(t *testing.T) { checkScan(t, genericSecretCases) }

func BenchmarkGenericSecret(b *testing.B) { benchScan(b, genericSecretCases) }
