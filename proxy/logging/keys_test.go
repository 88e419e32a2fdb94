package logging

import "testing"

// briefKeys are the denylisted keys as the design names them.
var briefKeys = []string{
	"body", "payload", "query", "querystring", "raw_query", "q", "uri", "request_uri",
	"authorization", "cookie", "set-cookie", "token", "access_token", "refresh_token",
	"password", "secret", "api_key", "value", "values", "input", "ssn", "email", "phone",
}

func TestClassifyKey(t *testing.T) {
	tests := []struct {
		key  string
		want keyClass
	}{
		// Case and compound forms.
		{"BODY", keyDenied},
		{"req_body", keyDenied},
		{"body_json", keyDenied},
		{"responseBody", keyDenied},
		{"Raw-Query", keyDenied},
		{"rawQuery", keyDenied},
		{"query_string", keyDenied},
		{"requestURI", keyDenied},
		{"RequestURI", keyDenied},
		{"X-Api-Key", keyDenied},
		{"apiKey", keyDenied},
		{"Set-Cookie", keyDenied},
		{"accessToken", keyDenied},
		{"access_token_expiry", keyDenied},
		{"customer.email", keyDenied},
		{"SSN", keyDenied},
		{"__body__", keyDenied},
		{"a_b_c_d_e_f_g_h_i_j_body", keyDenied}, // past maxKeyWords: still the last word
		// URL keys are rewritten, not denied.
		{"url", keyURL},
		{"next_url", keyURL},
		{"nextRecordsUrl", keyURL},
		{"URLPath", keyURL},
		{"href", keyURL},
		// Ordinary fields stay.
		{"route", keyPlain},
		{"status", keyPlain},
		{"duration_ms", keyPlain},
		{"decision_id", keyPlain},
		{"decision_ids", keyPlain},
		{"request_id", keyPlain},
		{"outcome", keyPlain},
		{"bytes_out", keyPlain},
		{"policy_revision", keyPlain},
		{"seq", keyPlain},
		{"cardinality", keyPlain},
		{"tokenizer", keyPlain},
		{"queryable", keyPlain},
		{"error", keyPlain},
		{"", keyPlain},
		{"__", keyPlain},
	}
	for _, tt := range tests {
		if got := classifyKey(tt.key); got != tt.want {
			t.Errorf("classifyKey(%q) = %d, want %d", tt.key, got, tt.want)
		}
	}
	for _, k := range briefKeys {
		if got := classifyKey(k); got != keyDenied {
			t.Errorf("classifyKey(%q) = %d, want denied", k, got)
		}
	}
	for k, want := range keyClasses {
		if got := classifyKey(k); got != want {
			t.Errorf("classifyKey(%q) = %d, want %d", k, got, want)
		}
	}
}

func TestClassifyKeyDoesNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { classifyKey("access_token_expiry") }); n != 0 {
		t.Errorf("%v allocations per key", n)
	}
}
