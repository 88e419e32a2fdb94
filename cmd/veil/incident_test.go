package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/veil-proxy/veil/proxy/incident"
	"github.com/veil-proxy/veil/proxy/redistest"
)

const incidentEvents = "../../proxy/incident/testdata/events.jsonl"

var malloryArgs = []string{"--principal", "u-mallory", "--since", "2026-03-02T00:00:00Z", "--until", "2026-03-03T00:00:00Z", "--aware-at", "2026-03-04T12:00:00Z"}

func runIncidentJSON(t *testing.T, args ...string) incident.Report {
	t.Helper()
	var out, errb bytes.Buffer
	if err := run(context.Background(), append([]string{"incident", "--format", "json"}, args...), &out, &errb); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	var r incident.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	return r
}

func recordIDs(r incident.Report) []string {
	var ids []string
	for _, rec := range r.Records {
		ids = append(ids, rec.Object+"/"+rec.ID)
	}
	return ids
}

func clockNames(r incident.Report) []string {
	var out []string
	for _, c := range r.Clocks {
		out = append(out, c.Regime+": "+c.Notify+" @"+c.Deadline.Format("2006-01-02T15:04Z"))
	}
	return out
}

func TestIncidentFromFile(t *testing.T) {
	r := runIncidentJSON(t, append(malloryArgs, "--file", incidentEvents)...)
	if want := []string{"Account/001X", "Contact/003A", "Contact/003B", "Contact/003C", "Lead/00QL"}; !slices.Equal(recordIDs(r), want) {
		t.Errorf("records %v", recordIDs(r))
	}
	if r.Subjects.Count != 4 || r.Requests != 4 || len(r.Clocks) == 0 || r.Clocks[0].Regime != "PCI DSS" {
		t.Errorf("report %+v", r)
	}

	var out, errb bytes.Buffer
	if err := run(context.Background(), append([]string{"incident", "--file", incidentEvents}, malloryArgs...), &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	for _, want := range []string{"Incident report: principal u-mallory", "Data subjects: 4 (3 exposed)", "72 hours after becoming aware", "45 CFR § 164.404(b)", "not legal advice"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, out.String())
		}
	}

	// By IP, no window: Alice's one record.
	r = runIncidentJSON(t, "--ip", "10.0.0.5", "--file", incidentEvents)
	if !slices.Equal(recordIDs(r), []string{"Contact/003Z"}) || r.Query.AwareAt.IsZero() {
		t.Errorf("by IP: %v %v", recordIDs(r), r.Query.AwareAt)
	}
}

// The same report from the Redis audit stream the config names, entries
// written as the stream sink writes them (field "event" holding the
// JSON); and from the config's audit.file when there is no Redis.
func TestIncidentFromStreamAndConfig(t *testing.T) {
	ctx := context.Background()
	rs := redistest.Start(t)
	c := rs.Client(t)
	f, err := os.Open(incidentEvents)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if err := c.XAdd(ctx, &redis.XAddArgs{Stream: "veil:incident-test", Values: map[string]any{"event": sc.Text()}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	base := "identity:\n  principals: [{id: a, token: t, roles: [admin]}]\nroutes:\n  - {name: sf, dialect: salesforce, prefix: /services/, upstream: \"https://example.my.salesforce.com\"}\n"
	withRedis := filepath.Join(dir, "redis.yaml")
	writeFile(t, withRedis, base+"redis:\n  addrs: ["+rs.Addr()+"]\naudit:\n  stream: veil:incident-test\n")
	withFile := filepath.Join(dir, "file.yaml")
	abs, _ := filepath.Abs(incidentEvents)
	writeFile(t, withFile, base+"audit:\n  file: "+abs+"\n")

	want := runIncidentJSON(t, append(malloryArgs, "--file", incidentEvents)...)
	for _, cfg := range []string{withRedis, withFile} {
		got := runIncidentJSON(t, append(malloryArgs, "-c", cfg)...)
		if !slices.Equal(recordIDs(got), recordIDs(want)) || !slices.Equal(clockNames(got), clockNames(want)) || got.Messages != want.Messages {
			t.Errorf("%s: records %v clocks %d messages %d", filepath.Base(cfg), recordIDs(got), len(got.Clocks), got.Messages)
		}
	}
	// Bob's events from the stream: nothing exposed, no clock.
	if r := runIncidentJSON(t, "--principal", "u-bob", "-c", withRedis); r.Messages != 3 || len(r.Clocks) != 0 {
		t.Errorf("bob: %d messages, clocks %v", r.Messages, clockNames(r))
	}

	// A stream that does not answer is an error, not an empty report.
	rs.Stop()
	var out, errb bytes.Buffer
	if err := run(ctx, append([]string{"incident", "-c", withRedis}, malloryArgs...), &out, &errb); err == nil {
		t.Errorf("redis down: no error, output %q", out.String())
	}
}

func TestIncidentUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--file", incidentEvents},                             // no principal or IP
		{"--principal", "p"},                                   // no source
		{"--principal", "p", "--file", "x", "-c", "y"},         // two sources
		{"--principal", "p", "--file", "x", "--since", "yday"}, // bad time
		{"--principal", "p", "--file", "x", "--format", "xml"},
		{"--principal", "p", "--file", "x", "--since", "2026-03-02T00:00:00Z", "--until", "2026-03-01T00:00:00Z"},
	} {
		var out, errb bytes.Buffer
		if err := run(context.Background(), append([]string{"incident"}, args...), &out, &errb); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v", args, err)
		}
	}
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"incident", "--principal", "p", "--file", filepath.Join(t.TempDir(), "none.jsonl")}, &out, &errb); err == nil {
		t.Error("missing file: no error")
	}
}
