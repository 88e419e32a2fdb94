package detectors

import (
	"strings"
	"testing"
)

// Test credentials: the right shape, obviously fake, and assembled from
// pieces so that no source line carries a whole token for a push-protection
// scanner to flag.
const (
	fakeB62x36 = "TESTONLYtestonly0123456789ABCDEFabcd" // 36 base62 characters
	fakeBody24 = "TESTONLY0000000000000000"             // 24 base62 characters
	fakeJWTHdr = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" // {"alg":"HS256","typ":"JWT"}
	// {"sub":"test-user","name":"Test Only","iat":1700000000}
	fakeJWTPay = "eyJzdWIiOiJ0ZXN0LXVzZXIiLCJuYW1lIjoiVGVzdCBPbmx5IiwiaWF0IjoxNzAwMDAwMDAwfQ"
	fakeJWTSig = "bm90LWEtcmVhbC1zaWduYXR1cmUtdGVzdC1vbmx5" // "not-a-real-signature-test-only"
)

var (
	fakeJWT       = fakeJWTHdr + "." + fakeJWTPay + "." + fakeJWTSig
	fakeGitHubPAT = "github" + "_pat_" + "11TESTONLY0000000000AB" + "_" + strings.Repeat("TestOnly0", 6) + "12345"
)

var secretCases = []scanCase{
	{"AKIAIOSFODNN7EXAMPLE", "Description", "secret"},
	{"token ghp_0123456789abcdefghijABCDEFGHIJ012345 leaked", "Description", "secret"},
	{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlc2lnbmF0dXJl", "Description", "secret"},
	{"-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----", "Description", "secret"},
	{"sk_live_short", "Description", ""},
	// aws_access_key: AKIA/ASIA and 16 upper-case letters or digits.
	{"AS" + "IA" + "EXAMPLE0TEST0KEY", "Description", "secret"},
	{"aws_access_key_id=AKIAIOSFODNN7EXAMPLE", "Description", "secret"},
	{"AKIAIOSFODNN7EXAMPL", "Description", ""},   // 15
	{"AKIAIOSFODNN7EXAMPLEX", "Description", ""}, // 17
	{"XAKIAIOSFODNN7EXAMPLE", "Description", ""},
	{"AKIAiosfodnn7example", "Description", ""},
	// github_token: ghp_/gho_ and 36 base62; github_pat_ and 59+.
	{"gh" + "p_" + fakeB62x36, "Description", "secret"},
	{"gh" + "o_" + fakeB62x36, "Description", "secret"},
	{"gh" + "p_" + fakeB62x36, "api_key", "secret"},
	{"token: " + fakeGitHubPAT, "Description", "secret"},
	{"gh" + "p_" + fakeB62x36[:35], "Description", ""},
	{"gh" + "p_" + fakeB62x36 + "e", "Description", ""},
	{"github_pat_short", "Description", ""},
	// slack_token: xoxb-/xoxp- and 20+ of base62 and dashes.
	{"xo" + "xb-" + "000000000000-000000000000-" + fakeBody24, "Description", "secret"},
	{"Slack " + "xo" + "xp-" + "000000000000-000000000000-000000000000-testonly", "Description", "secret"},
	{"xoxb-short", "Description", ""},
	{"xoxo hugs and kisses", "Description", ""},
	// stripe_key: sk_live_/rk_live_/sk_test_ and 16+ base62; publishable
	// keys are not secrets.
	{"sk" + "_live_" + fakeBody24, "Description", "secret"},
	{"rk" + "_live_" + fakeBody24, "Description", "secret"},
	{"sk" + "_test_" + fakeBody24, "Description", "secret"},
	{"pk" + "_live_" + fakeBody24, "Description", ""},
	{"task_live_updates_for_enterprise_customers", "Description", ""},
	// private_key: a PEM private key block, or its header alone; public
	// keys and certificates are not secrets.
	{"-----BEGIN PRIVATE KEY-----\nMIIEtestonly\n-----END PRIVATE KEY-----", "Description", "secret"},
	{"-----BEGIN OPENSSH PRIVATE KEY-----", "Description", "secret"},
	{"key: -----BEGIN EC PRIVATE KEY----- (truncated)", "Description", "secret"},
	{"-----BEGIN PUBLIC KEY-----\nMFkwtestonly\n-----END PUBLIC KEY-----", "Description", ""},
	{"-----BEGIN CERTIFICATE-----\nMIIBtestonly\n-----END CERTIFICATE-----", "Description", ""},
	{"----- Original Message -----", "Description", ""},
	// jwt: three base64url parts, header and payload JSON objects.
	{"Authorization: Bearer " + fakeJWT, "Description", "secret"},
	{fakeJWT, "Notes__c", "secret"},
	{"eyJ", "Description", ""},
	{fakeJWTHdr, "Description", ""},
	{fakeJWTHdr + "." + fakeJWTPay, "Description", ""},
	{fakeJWTHdr + "." + fakeJWTPay + ".c2ln", "Description", ""},              // signature too short
	{fakeJWTHdr + ".dGVzdG9ubHl0ZXN0b25seQ." + fakeJWTSig, "Description", ""}, // payload not JSON
	{"x" + fakeJWT, "Description", ""},
	// Negatives: underscores in ordinary text, ids, UUIDs, commit SHAs.
	{"ordinary_word_with_underscores", "Description", ""},
	{"snake_case_field_value", "Description", ""},
	{"the customer_id field is required", "Description", ""},
	{"v1.2.3_rc1", "Description", ""},
	{"123e4567-e89b-12d3-a456-426614174000", "Description", ""},
	{"commit 9fceb02d0ae598e95dc970b74767f19372d61af8", "Description", ""},
	{"003Dn00000000AbcAA", "Description", ""},
}

func TestSecret(t *testing.T) { checkScan(t, secretCases) }

func BenchmarkSecret(b *testing.B) { benchScan(b, secretCases) }

// TestSecretUnderscoreHeads: the prefilter wakes Secret at the '_' of every
// head in secretShapes that has one, wherever it sits, so a format added
// with a '_' that secretUnderscore does not know fails here; and a '_'
// that starts no head (Salesforce's __c) wakes nothing.
func TestSecretUnderscoreHeads(t *testing.T) {
	heads := 0
	for _, sh := range secretShapes {
		if !strings.Contains(string(sh.prefix), "_") {
			continue
		}
		heads++
		for _, v := range []string{string(sh.prefix), "x " + string(sh.prefix) + fakeBody24, "Level__c " + string(sh.prefix)} {
			if prefilter([]byte(v))&trigSecret == 0 {
				t.Errorf("prefilter(%q) does not wake Secret", v)
			}
		}
	}
	if heads == 0 {
		t.Fatal("no head with a '_' in secretShapes")
	}
	for _, v := range []string{"SELECT Id, Level__c, Languages__c FROM Contact LIMIT 1", "snake_case_name", "week_", "hub_", "_k_"} {
		if prefilter([]byte(v))&trigSecret != 0 {
			t.Errorf("prefilter(%q) wakes Secret", v)
		}
	}
}
