package policy_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/veil-proxy/veil/policy"
)

// bodyEchoPolicy answers with everything it reads of input.body, so a
// decision shows what Rego saw: the hand-written conversion to AST must
// carry every member, and the cache must never answer one body with
// another's decision.
const bodyEchoPolicy = `package veil

decision := {
	"allow": input.body.inspected,
	"rules": {sprintf("body %s %v %s %v", [
		input.body.format,
		input.body.inspected,
		object.get(input.body, "reason", "-"),
		object.get(input.body, "download", "-"),
	])},
}
`

// Rego sees input.body as Input.Body says, reason and download omitted
// when empty, as in JSON.
func TestRegoSeesBody(t *testing.T) {
	e, err := policy.New(context.Background(), policy.Options{FS: bundleWith(bodyEchoPolicy, ""), NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		body  policy.Body
		allow bool
		rule  string
	}{
		{policy.Body{Format: policy.BodyJSON, Inspected: true}, true, "body json true - -"},
		{policy.Body{Format: policy.BodyNone, Inspected: true}, true, "body none true - -"},
		{policy.Body{Format: policy.BodyBinary, Reason: policy.ReasonBinaryContent, Download: true}, false, "body binary false binary_content true"},
		{policy.Body{Format: policy.BodyMultipart, Reason: policy.ReasonOverLimit}, false, "body multipart false over_limit -"},
		{policy.Body{}, false, "body  false - -"},
	} {
		in := queryResponse([]string{"sales_rep"}, "support", 1)
		in.Body = c.body
		d := decide(t, e, in)
		if d.Allow != c.allow || !slices.Equal(d.Rules, []string{c.rule}) {
			t.Errorf("%+v: allow %v rules %q, want %v [%q]", c.body, d.Allow, d.Rules, c.allow, c.rule)
		}
	}
}

// Two inputs that differ only in input.body never share a cache entry.
func TestDecisionCacheKeysOnBody(t *testing.T) {
	ctx := context.Background()
	e, err := policy.New(ctx, policy.Options{FS: bundleWith(bodyEchoPolicy,
		`{"veil_config": {"decision_cache": {"size": 64, "ignore": ["path", "principal.id", "principal.ip", "records.id", "findings.confidence"]}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	bodies := []policy.Body{
		{Format: policy.BodyJSON, Inspected: true},
		{Format: policy.BodyJSON},                                                // inspected differs
		{Format: policy.BodyXML},                                                 // format differs
		{Format: policy.BodyXML, Download: true},                                 // download differs
		{Format: policy.BodyXML, Download: true, Reason: policy.ReasonEncrypted}, // reason differs
		{Format: policy.BodyXML, Inspected: true, Download: true},
		{},
	}
	seen := map[string]policy.Body{}
	for i, b := range bodies {
		in := queryResponse([]string{"sales_rep"}, "support", 2)
		in.Body = b
		d := decide(t, e, in)
		if s := e.Stats(); s.CacheHits != 0 || s.CacheMisses != uint64(i+1) {
			t.Fatalf("body %+v was answered from the cache: %+v", b, s)
		}
		if prev, ok := seen[d.Rules[0]]; ok {
			t.Errorf("bodies %+v and %+v got the same decision %q", prev, b, d.Rules)
		}
		seen[d.Rules[0]] = b
	}
	// The same body again is a hit, whatever the members the bundle ignores.
	for _, b := range bodies {
		in := queryResponse([]string{"sales_rep"}, "support", 2)
		in.Body = b
		in.Principal.ID, in.Path = "u-other", "/services/data/v62.0/query/01g-2000"
		d := decide(t, e, in)
		if seen[d.Rules[0]] != b {
			t.Errorf("body %+v answered with %q", b, d.Rules)
		}
	}
	if s := e.Stats(); s.CacheHits != uint64(len(bodies)) {
		t.Errorf("the same bodies again: %+v", s)
	}
}

// With the default bundle, an uninspected body never gets the cached
// answer of an inspected one of the same shape.
func TestDefaultBundleCacheSeparatesUninspected(t *testing.T) {
	e := newEngine(t)
	in := queryResponse([]string{"sales_rep"}, "support", 3)
	if d := decide(t, e, in); !d.Allow {
		t.Fatalf("inspected: %+v", d.Deny)
	}
	unread := queryResponse([]string{"sales_rep"}, "support", 3)
	unread.Body = policy.Body{Format: policy.BodyJSON, Reason: policy.ReasonOverLimit}
	if d := decide(t, e, unread); d.Allow || !slices.Equal(d.Rules, []string{"uninspected_body"}) {
		t.Errorf("uninspected after inspected: allow %v rules %v", d.Allow, d.Rules)
	}
	download := queryResponse([]string{"sales_rep"}, "support", 3)
	download.Body = policy.Body{Format: policy.BodyJSON, Reason: policy.ReasonOverLimit, Download: true}
	if d := decide(t, e, download); !d.Allow || !slices.Equal(d.Rules, []string{"uninspected_download"}) {
		t.Errorf("download after the same body not a download: allow %v rules %v", d.Allow, d.Rules)
	}
	if s := e.Stats(); s.CacheHits != 0 || s.CacheMisses != 3 {
		t.Errorf("stats: %+v", s)
	}
}

// The default bundle on bodies Veil could not read, through the engine.
func TestDecideUninspectedBodies(t *testing.T) {
	e := newEngine(t)
	upload := func(body policy.Body) *policy.Input {
		return &policy.Input{
			Direction: "request", Route: "salesforce", Dialect: "salesforce", Method: "POST",
			Path: "/services/data/v62.0/sobjects/ContentVersion", Operation: "create", Object: "ContentVersion",
			Principal: policy.Principal{ID: "u-7", Roles: []string{"sales_rep"}}, Purpose: "sales", Body: body,
		}
	}
	download := func(body policy.Body) *policy.Input {
		return &policy.Input{
			Direction: "response", Route: "salesforce", Dialect: "salesforce", Method: "GET",
			Path: "/services/data/v62.0/sobjects/ContentVersion/068000000000001AAA/VersionData", Operation: "retrieve", Object: "ContentVersion",
			Principal: policy.Principal{ID: "u-7", Roles: []string{"sales_rep"}}, Body: body,
		}
	}
	cases := []struct {
		name     string
		in       *policy.Input
		allow    bool
		rules    []string
		severity string // of the uninspected_body alert
		message  string // of the uninspected_body reason
	}{
		{"inspected write", upload(policy.Body{Format: policy.BodyJSON, Inspected: true}), true, nil, "", ""},
		{"write without body", upload(policy.Body{Format: policy.BodyNone, Inspected: true}), true, nil, "", ""},
		{"multipart write", upload(policy.Body{Format: policy.BodyMultipart, Reason: policy.ReasonUnsupportedFormat}), false, []string{"uninspected_body"}, "high",
			"Veil could not inspect this body (unsupported_format); writes to the CRM must be inspectable."},
		{"write of a caller that never fills Body", upload(policy.Body{}), false, []string{"uninspected_body"}, "high",
			"Veil could not inspect this body (the input does not describe it); writes to the CRM must be inspectable."},
		{"binary download", download(policy.Body{Format: policy.BodyBinary, Reason: policy.ReasonBinaryContent, Download: true}), true, []string{"uninspected_download"}, "", ""},
		{"binary response not a download", download(policy.Body{Format: policy.BodyBinary, Reason: policy.ReasonBinaryContent}), false, []string{"uninspected_body"}, "medium",
			"Veil could not inspect this body (binary_content); only a file download the route declares may pass unread."},
		{"response of a caller that never fills Body", download(policy.Body{}), false, []string{"uninspected_body"}, "medium",
			"Veil could not inspect this body (the input does not describe it); only a file download the route declares may pass unread."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := decide(t, e, c.in)
			if d.Allow != c.allow || !slices.Equal(d.Rules, c.rules) && len(d.Rules)+len(c.rules) > 0 {
				t.Fatalf("allow %v rules %v deny %+v, want allow %v rules %v", d.Allow, d.Rules, d.Deny, c.allow, c.rules)
			}
			if c.severity == "" {
				if len(d.Deny) != 0 || len(d.Alerts) != 0 {
					t.Errorf("deny %+v alerts %+v, want none", d.Deny, d.Alerts)
				}
				return
			}
			want := []policy.Reason{{Rule: "uninspected_body", Message: c.message}}
			if !slices.Equal(d.Deny, want) {
				t.Errorf("deny %+v, want %+v", d.Deny, want)
			}
			if !slices.Equal(d.Alerts, []policy.Alert{{Kind: "uninspected_body", Severity: c.severity}}) {
				t.Errorf("alerts %+v, want uninspected_body %s", d.Alerts, c.severity)
			}
		})
	}
}

// A security team allows an upload unread with an entry of
// veil_config.uninspected.request_allow, and only that upload.
func TestDecideUninspectedUploadAllowedByData(t *testing.T) {
	data := withUninspectedAllow(t, `[{"route": "salesforce", "object": "ContentVersion", "operation": "create", "formats": ["multipart"]}]`)
	e, err := policy.New(context.Background(), policy.Options{FS: data})
	if err != nil {
		t.Fatal(err)
	}
	in := &policy.Input{
		Direction: "request", Route: "salesforce", Dialect: "salesforce", Method: "POST",
		Path: "/services/data/v62.0/sobjects/ContentVersion", Operation: "create", Object: "ContentVersion",
		Principal: policy.Principal{ID: "u-7", Roles: []string{"sales_rep"}},
		Body:      policy.Body{Format: policy.BodyMultipart, Reason: policy.ReasonUnsupportedFormat},
	}
	if d := decide(t, e, in); !d.Allow || !slices.Equal(d.Rules, []string{"uninspected_upload"}) || len(d.Alerts) != 0 {
		t.Errorf("allowed upload: allow %v rules %v alerts %v", d.Allow, d.Rules, d.Alerts)
	}
	other := *in
	other.Object = "Attachment"
	if d := decide(t, e, &other); d.Allow || !slices.Equal(d.Rules, []string{"uninspected_body"}) {
		t.Errorf("another object: allow %v rules %v", d.Allow, d.Rules)
	}
	binary := *in
	binary.Body.Format = policy.BodyBinary
	if d := decide(t, e, &binary); d.Allow {
		t.Error("a format the entry does not name passed unread")
	}
}

// withUninspectedAllow is the default bundle with request_allow replaced.
func withUninspectedAllow(t *testing.T, allow string) fstest.MapFS {
	t.Helper()
	m := defaultBundle(t)
	var doc map[string]any
	if err := json.Unmarshal(m["data.json"].Data, &doc); err != nil {
		t.Fatal(err)
	}
	var list any
	if err := json.Unmarshal([]byte(allow), &list); err != nil {
		t.Fatal(err)
	}
	doc["veil_config"].(map[string]any)["uninspected"] = map[string]any{"request_allow": list}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	m["data.json"].Data = b
	return m
}

// The explanation says what Veil read of the body.
func TestExplainBody(t *testing.T) {
	e := newEngine(t)
	in := queryResponse([]string{"sales_rep"}, "support", 1)
	in.Body = policy.Body{Format: policy.BodyCSV, Reason: policy.ReasonUnsupportedCharset}
	d := decide(t, e, in)
	x, ok := e.Explain(d.ID)
	if !ok {
		t.Fatal("not kept")
	}
	if x.Input.BodyFormat != "csv" || x.Input.BodyInspected || x.Input.BodyReason != "unsupported_charset" || x.Input.BodyDownload {
		t.Errorf("summary: %+v", x.Input)
	}
	b, err := json.Marshal(x.Input)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"body_format":"csv"`, `"body_inspected":false`, `"body_reason":"unsupported_charset"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
	if s := policy.Summarize(queryResponse(nil, "", 0)); s.BodyFormat != "json" || !s.BodyInspected {
		t.Errorf("Summarize: %+v", s)
	}
}
