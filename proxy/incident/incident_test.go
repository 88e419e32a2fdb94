package incident

import (
	"encoding/json"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veil-proxy/veil/proxy/audit"
)

func events(t *testing.T) []audit.Event {
	t.Helper()
	var evs []audit.Event
	if err := audit.ReadFile("testdata/events.jsonl", func(e audit.Event) error { evs = append(evs, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return evs
}

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func clockFor(r Report, regime, notify string) *Clock {
	for i, c := range r.Clocks {
		if c.Regime == regime && strings.Contains(c.Notify, notify) {
			return &r.Clocks[i]
		}
	}
	return nil
}

func TestMalloryInWindow(t *testing.T) {
	q := Query{Principal: "u-mallory", Since: at(t, "2026-03-02T00:00:00Z"), Until: at(t, "2026-03-03T00:00:00Z"), AwareAt: at(t, "2026-03-04T12:00:00Z")}
	r := Build(q, slices.Values(events(t)))

	if r.Messages != 5 || r.Requests != 4 || !r.FirstEvent.Equal(at(t, "2026-03-02T09:00:00Z")) || !r.LastEvent.Equal(at(t, "2026-03-02T09:30:00Z")) {
		t.Errorf("activity: %d messages %d requests %s..%s", r.Messages, r.Requests, r.FirstEvent, r.LastEvent)
	}
	var recs []string
	for _, rec := range r.Records {
		recs = append(recs, rec.Object+"/"+rec.ID+"/"+yes(rec.Subject)+"/"+yes(rec.Exposed)+"/"+strings.Join(rec.Categories, ","))
	}
	want := []string{"Account/001X/no/yes/credit_card", "Contact/003A/yes/yes/email,us_ssn", "Contact/003B/yes/yes/email,us_ssn", "Contact/003C/yes/no/us_ssn", "Lead/00QL/yes/yes/email,us_mbi"}
	if !slices.Equal(recs, want) {
		t.Errorf("records\n got %v\nwant %v", recs, want)
	}
	if r.Subjects.Count != 4 || r.Subjects.Exposed != 3 || r.Subjects.ByObject["Contact"] != 3 || r.Subjects.ByObject["Lead"] != 1 {
		t.Errorf("subjects %+v", r.Subjects)
	}
	cats := map[string]Category{}
	for _, c := range r.Cats {
		cats[c.Category] = c
	}
	if len(cats) != 4 ||
		cats["email"] != (Category{"email", 3, 2, 1, 0}) ||
		cats["us_ssn"] != (Category{"us_ssn", 3, 2, 0, 0}) ||
		cats["credit_card"] != (Category{"credit_card", 1, 1, 0, 0}) ||
		cats["us_mbi"] != (Category{"us_mbi", 1, 0, 1, 0}) {
		t.Errorf("categories %+v", r.Cats)
	}
	if r.Exposure != (Exposure{Exposed: 6, Protected: 1, Blocked: 1}) {
		t.Errorf("exposure %+v", r.Exposure)
	}
	if r.Outcomes["allowed"] != 3 || r.Outcomes["transformed"] != 1 || r.Outcomes["blocked"] != 1 || r.Actions["allow"] != 6 || r.Actions["tokenize"] != 1 || r.Actions["block"] != 1 {
		t.Errorf("outcomes %v actions %v", r.Outcomes, r.Actions)
	}
	if !slices.Equal(r.Principals, []string{"u-mallory"}) || !slices.Equal(r.IPs, []string{"10.0.0.66"}) || !slices.Equal(r.Routes, []string{"sf"}) {
		t.Errorf("who %v %v %v", r.Principals, r.IPs, r.Routes)
	}

	// The clocks.
	checks := []struct {
		regime, notify, deadline, trigger string
	}{
		{"GDPR / UK GDPR", "supervisory authority", "2026-03-07T12:00:00Z", "credit_card,email,us_mbi,us_ssn"},
		{"GDPR / UK GDPR", "data subjects", "", "credit_card,us_mbi,us_ssn"},
		{"HIPAA", "individuals", "2026-05-03T12:00:00Z", "us_mbi"},
		{"HIPAA", "annual", "2027-03-01T23:59:59Z", "us_mbi"},
		{"PCI DSS", "card brands", "", "credit_card"},
		{"California breach law (CCPA/CPRA)", "California residents", "", "credit_card,us_mbi,us_ssn"},
		{"US state breach law: Colorado", "residents", "2026-04-03T12:00:00Z", "credit_card,us_mbi,us_ssn"},
		{"US state breach law: Texas", "residents", "2026-05-03T12:00:00Z", "credit_card,us_mbi,us_ssn"},
		{"US state breach law: Texas", "Attorney General", "2026-04-03T12:00:00Z", "credit_card,us_mbi,us_ssn"},
		{"US state breach law: Vermont", "preliminary", "2026-03-24T12:00:00Z", "credit_card,us_mbi,us_ssn"},
	}
	for _, c := range checks {
		got := clockFor(r, c.regime, c.notify)
		if got == nil {
			t.Errorf("no clock %s / %s", c.regime, c.notify)
			continue
		}
		if d := ts2(got.Deadline); d != c.deadline || strings.Join(got.Trigger, ",") != c.trigger || got.Basis == "" {
			t.Errorf("%s / %s: deadline %s trigger %v basis %q", c.regime, c.notify, d, got.Trigger, got.Basis)
		}
	}
	if clockFor(r, "HIPAA", "HHS (Office") != nil || clockFor(r, "LGPD (Brazil)", "") != nil || clockFor(r, "PIPEDA (Canada)", "") != nil {
		t.Error("a clock that does not apply")
	}
	if r.Clocks[0].Regime != "PCI DSS" {
		t.Errorf("first clock %s: immediate ones come first", r.Clocks[0].Regime)
	}
	for i := 1; i < len(r.Clocks); i++ {
		a, b := r.Clocks[i-1], r.Clocks[i]
		if urgency(a) > urgency(b) || urgency(a) == 1 && urgency(b) == 1 && a.Deadline.After(b.Deadline) {
			t.Errorf("clocks out of order: %s %s then %s %s", a.Regime, a.Deadline, b.Regime, b.Deadline)
		}
	}

	// Alice's record is not Mallory's.
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "003Z") || strings.Contains(string(b), "u-alice") {
		t.Error("another principal's data in the report")
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || len(back.Clocks) != len(r.Clocks) || len(back.Records) != 5 {
		t.Errorf("JSON round trip: %v", err)
	}
}

func ts2(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func TestWindow(t *testing.T) {
	evs := events(t)
	all := Build(Query{Principal: "u-mallory", AwareAt: time.Now()}, slices.Values(evs))
	if all.Messages != 6 || all.Subjects.Count != 5 || all.Subjects.ByObject["contacts"] != 1 {
		t.Errorf("unbounded: %d messages, subjects %+v", all.Messages, all.Subjects)
	}
	late := Build(Query{Principal: "u-mallory", Since: at(t, "2026-03-04T00:00:00Z")}, slices.Values(evs))
	if late.Messages != 1 || len(late.Records) != 1 || late.Records[0].ID != "501" || late.Query.AwareAt.IsZero() {
		t.Errorf("since: %+v", late)
	}
	// Until is inclusive.
	edge := Build(Query{Principal: "u-mallory", Until: at(t, "2026-03-02T09:00:00Z")}, slices.Values(evs))
	if edge.Messages != 1 || len(edge.Records) != 0 || len(edge.Clocks) != 0 {
		t.Errorf("until: %+v", edge)
	}
}

func TestByIP(t *testing.T) {
	r := Build(Query{IP: "10.0.0.5", AwareAt: at(t, "2026-03-04T12:00:00Z")}, slices.Values(events(t)))
	if r.Messages != 1 || len(r.Records) != 1 || r.Records[0].ID != "003Z" || !slices.Equal(r.Principals, []string{"u-alice"}) {
		t.Errorf("by IP: %+v", r)
	}
	if clockFor(r, "PCI DSS", "") == nil {
		t.Error("card data exposed: no PCI clock")
	}
	// Principal and IP together must both match.
	if r := Build(Query{Principal: "u-alice", IP: "10.0.0.66"}, slices.Values(events(t))); r.Messages != 0 {
		t.Errorf("principal and IP: %d messages", r.Messages)
	}
	if (Query{}).Matches(events(t)[0]) {
		t.Error("an empty query matched")
	}
}

// Everything Bob touched was masked, tokenized, blocked or only sent to
// the CRM: no clock, and the report says why.
func TestNothingExposed(t *testing.T) {
	r := Build(Query{Principal: "u-bob", AwareAt: at(t, "2026-03-04T12:00:00Z")}, slices.Values(events(t)))
	if r.Messages != 3 || len(r.Records) != 2 || r.Subjects.Count != 2 || r.Subjects.Exposed != 0 {
		t.Errorf("bob: %+v", r)
	}
	if r.Exposure != (Exposure{Protected: 2, Blocked: 1, Sent: 1}) {
		t.Errorf("exposure %+v", r.Exposure)
	}
	if len(r.Clocks) != 0 {
		t.Errorf("clocks %+v", r.Clocks)
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "No GDPR Art. 33 clock") {
		t.Errorf("notes %v", r.Notes)
	}
	var b strings.Builder
	if err := WriteText(&b, r); err != nil || !strings.Contains(b.String(), "Notification clocks: 0") || !strings.Contains(b.String(), "No GDPR Art. 33 clock") {
		t.Errorf("text %s %v", b.String(), err)
	}
}

func TestOtherTriggers(t *testing.T) {
	aware := time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC) // a Friday
	feed := func(evs ...audit.Event) iter.Seq[audit.Event] { return slices.Values(evs) }
	ev := func(outcome string, cats map[string]int, actions map[string]int, ids ...string) audit.Event {
		return audit.Event{Kind: audit.KindDecision, Time: aware.Add(-time.Hour), Principal: "p", Direction: "response", Object: "Contact",
			Outcome: outcome, Categories: cats, Actions: actions, RecordIDs: ids}
	}

	// Brazil and Canada.
	r := Build(Query{Principal: "p", AwareAt: aware}, feed(ev("allowed", map[string]int{"br_cpf": 1, "ca_sin": 1}, map[string]int{"allow": 2}, "1")))
	if c := clockFor(r, "LGPD (Brazil)", "ANPD"); c == nil || ts2(c.Deadline) != "2026-03-11T12:00:00Z" {
		t.Errorf("LGPD: %+v", c)
	}
	if c := clockFor(r, "PIPEDA (Canada)", ""); c == nil || !c.Deadline.IsZero() || c.Within != "as soon as feasible" {
		t.Errorf("PIPEDA: %+v", c)
	}
	if clockFor(r, "HIPAA", "") != nil || clockFor(r, "PCI DSS", "") != nil || clockFor(r, "California breach law (CCPA/CPRA)", "") != nil {
		t.Error("US clocks for Brazilian and Canadian ids")
	}

	// An NPI alone: HIPAA, conditionally; 500 or more subjects: HHS now.
	var evs []audit.Event
	for i := range 500 {
		evs = append(evs, ev("allowed", map[string]int{"us_npi": 1}, map[string]int{"allow": 1}, "c"+string(rune('a'+i%26))+strings.Repeat("x", i/26)))
	}
	r = Build(Query{Principal: "p", AwareAt: aware}, slices.Values(evs))
	c := clockFor(r, "HIPAA", "individuals")
	if c == nil || !strings.Contains(c.Condition, "NPI names a provider") {
		t.Errorf("HIPAA NPI: %+v", c)
	}
	if c := clockFor(r, "HIPAA", "HHS (Office"); c == nil || ts2(c.Deadline) != "2026-05-05T12:00:00Z" || clockFor(r, "HIPAA", "media") == nil || clockFor(r, "HIPAA", "annual") != nil {
		t.Errorf("HIPAA ≥500: %+v", c)
	}

	// Secrets and tokens alone are not personal data: no GDPR clock.
	r = Build(Query{Principal: "p", AwareAt: aware}, feed(ev("allowed", map[string]int{"secret": 1, "veil_token": 1}, map[string]int{"allow": 2})))
	if len(r.Clocks) != 0 {
		t.Errorf("secret: %+v", r.Clocks)
	}

	// A passthrough message: content unknown, GDPR clock, said in a note.
	r = Build(Query{Principal: "p", AwareAt: aware}, feed(ev("passthrough", nil, nil, "9")))
	if c := clockFor(r, "GDPR / UK GDPR", "supervisory"); c == nil || !slices.Equal(c.Trigger, []string{"uninspected"}) || r.Exposure.Uninspected != 1 {
		t.Errorf("passthrough: %+v %+v", c, r.Exposure)
	}
	if !strings.Contains(strings.Join(r.Notes, " "), "uninspected") {
		t.Errorf("notes %v", r.Notes)
	}
}

func TestWriteText(t *testing.T) {
	q := Query{Principal: "u-mallory", Since: at(t, "2026-03-02T00:00:00Z"), Until: at(t, "2026-03-03T00:00:00Z"), AwareAt: at(t, "2026-03-04T12:00:00Z")}
	r := Build(q, slices.Values(events(t)))
	var b strings.Builder
	if err := WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{
		"Incident report: principal u-mallory",
		"Activity: 4 requests (5 messages) from 2026-03-02T09:00:00Z to 2026-03-02T09:30:00Z",
		"Exposure: 6 findings returned in clear, 1 protected",
		"Data subjects: 4 (3 exposed): Contact 3, Lead 1",
		"Affected records: 5",
		"00QL  yes      yes",
		"    Texas         Texas Attorney General (electronic form)",
		"- GDPR / UK GDPR: notify the lead supervisory authority (EU) or the ICO (UK)\n    by:      2026-03-07T12:00:00Z (72 hours after becoming aware)",
		"basis:   45 CFR § 164.404(b)",
		"basis:   Cal. Civ. Code § 1798.82(a), (f)",
		"Triage aid, not legal advice",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(s)
	}
	b.Reset()
	if err := WriteText(&b, Build(Query{Principal: "nobody"}, slices.Values(events(t)))); err != nil || !strings.Contains(b.String(), "No decision events match") {
		t.Errorf("empty: %s %v", b.String(), err)
	}
}

func TestAddBusinessDays(t *testing.T) {
	fri := time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)
	for n, want := range map[int]string{1: "2026-03-09", 3: "2026-03-11", 5: "2026-03-13", 14: "2026-03-26"} {
		if got := addBusinessDays(fri, n).Format(time.DateOnly); got != want {
			t.Errorf("Fri + %d business days = %s, want %s", n, got, want)
		}
	}
}
