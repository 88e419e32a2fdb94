package incident

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// MaxTextRecords bounds the records WriteText lists; the JSON form lists
// them all.
const MaxTextRecords = 200

// WriteText writes r as a readable summary.
func WriteText(w io.Writer, r Report) error {
	ew := &errWriter{w: w}
	p := func(format string, a ...any) { fmt.Fprintf(ew, format, a...) }

	who := []string{}
	if r.Query.Principal != "" {
		who = append(who, "principal "+r.Query.Principal)
	}
	if r.Query.IP != "" {
		who = append(who, "IP "+r.Query.IP)
	}
	p("Incident report: %s\n", strings.Join(who, ", "))
	p("Window:   %s .. %s\n", ts(r.Query.Since, "(start)"), ts(r.Query.Until, "(end)"))
	p("Aware at: %s (clocks run from here)\n", ts(r.Query.AwareAt, "-"))
	if r.Messages == 0 {
		p("\nNo decision events match: nothing to report.\n")
		return ew.err
	}
	p("Activity: %d requests (%d messages) from %s to %s\n", r.Requests, r.Messages, ts(r.FirstEvent, "-"), ts(r.LastEvent, "-"))
	if len(r.Routes) > 0 {
		p("Routes:   %s\n", strings.Join(r.Routes, ", "))
	}
	if len(r.Principals) > 0 {
		p("Principals seen: %s\n", strings.Join(r.Principals, ", "))
	}
	if len(r.IPs) > 0 {
		p("Client IPs seen: %s\n", strings.Join(r.IPs, ", "))
	}
	p("Outcomes: %s\n", counts(r.Outcomes))

	e := r.Exposure
	p("\nExposure: %d findings returned in clear, %d protected (masked, tokenized, ...), %d in blocked messages, %d sent to the CRM, %d messages uninspected\n",
		e.Exposed, e.Protected, e.Blocked, e.Sent, e.Uninspected)
	if len(r.Actions) > 0 {
		p("Actions:  %s\n", counts(r.Actions))
	}

	if len(r.Cats) > 0 {
		p("\nCategories:\n")
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  CATEGORY\tFINDINGS\tEXPOSED\tPOSSIBLY EXPOSED\tSENT")
		for _, c := range r.Cats {
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\n", c.Category, c.Findings, c.Exposed, c.PossiblyExposed, c.Sent)
		}
		tw.Flush()
	}

	p("\nData subjects: %d (%d exposed)", r.Subjects.Count, r.Subjects.Exposed)
	if len(r.Subjects.ByObject) > 0 {
		var parts []string
		for _, o := range slices.Sorted(maps.Keys(r.Subjects.ByObject)) {
			parts = append(parts, fmt.Sprintf("%s %d", o, r.Subjects.ByObject[o]))
		}
		p(": %s", strings.Join(parts, ", "))
	}
	p("\n  (%s)\n", r.Subjects.Note)

	p("\nAffected records: %d\n", len(r.Records))
	if r.RecordsWithoutIDs > 0 {
		p("Records without ids: %d (their messages held personal data but did not carry the records' ids: affected, not named above)\n", r.RecordsWithoutIDs)
	}
	if len(r.Records) > 0 {
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  OBJECT\tID\tSUBJECT\tEXPOSED\tMESSAGES\tFIRST SEEN\tLAST SEEN\tCATEGORIES")
		for i, rec := range r.Records {
			if i == MaxTextRecords {
				fmt.Fprintf(tw, "  ... %d more (see --format json)\n", len(r.Records)-i)
				break
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", dash(rec.Object), rec.ID, yes(rec.Subject), yes(rec.Exposed), rec.Messages,
				ts(rec.FirstSeen, "-"), ts(rec.LastSeen, "-"), dash(strings.Join(rec.Categories, ",")))
		}
		tw.Flush()
	}

	p("\nNotification clocks: %d\n", len(r.Clocks))
	var states []Clock
	for _, c := range r.Clocks {
		if strings.HasPrefix(c.Regime, statePrefix) {
			states = append(states, c)
			continue
		}
		deadline := c.Within
		if !c.Deadline.IsZero() {
			deadline = ts(c.Deadline, "") + " (" + c.Within + ")"
		}
		p("- %s: notify %s\n    by:      %s\n    trigger: %s\n", c.Regime, c.Notify, deadline, strings.Join(c.Trigger, ", "))
		if c.Condition != "" {
			p("    if:      %s\n", c.Condition)
		}
		p("    basis:   %s\n", c.Basis)
	}
	if len(states) > 0 {
		p("- US state breach laws with a fixed deadline (if residents of the state are affected; most need the element with the name and exempt encrypted data)\n    trigger: %s\n", strings.Join(states[0].Trigger, ", "))
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "    STATE\tNOTIFY\tBY\tWITHIN\tIF\tBASIS")
		for _, c := range states {
			cond := "-"
			if !strings.HasPrefix(c.Notify, "affected ") {
				cond = c.Condition
			}
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\t%s\t%s\n", strings.TrimPrefix(c.Regime, statePrefix), c.Notify, ts(c.Deadline, "-"), c.Within, cond, c.Basis)
		}
		tw.Flush()
	}
	if len(r.Notes) > 0 {
		p("\nNotes:\n")
		for _, n := range r.Notes {
			p("- %s\n", n)
		}
	}
	return ew.err
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	e.err = err
	return n, err
}

func ts(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.UTC().Format(time.RFC3339)
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
