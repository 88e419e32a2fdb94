package main

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// What Veil spends on a query result in REST XML against the same records
// in JSON: each XML case is paired with the JSON case of the same page,
// round by round (the two are measured one after the other, see
// saturationPhase), and the ratios of their CPU per request summed up as
// the Veil/bare ratios are.

// The goal the XML cases answer: a 10 KB Salesforce XML query page costs
// at most 1.5 times the CPU of the same page in JSON through Veil.
const (
	xmlGoal     = 1.5
	xmlGoalPage = "10 KB"
)

// formatRatio is one page measured in both formats.
type formatRatio struct {
	Page      string        `json:"page"` // the JSON page's size
	Records   int           `json:"records"`
	JSONBytes int           `json:"json_bytes"`
	XMLBytes  int           `json:"xml_bytes"`
	Rounds    []formatRound `json:"rounds"`
	// Ratios XML / JSON of CPU per request: Veil's process, Veil's and
	// redis-server's together, the bare proxy's, and Veil's minus the bare
	// proxy's (what the pipeline adds to the proxying).
	Veil      ratioSummary `json:"veil_cpu_xml_over_json"`
	VeilRedis ratioSummary `json:"veil_redis_cpu_xml_over_json"`
	Bare      ratioSummary `json:"bare_cpu_xml_over_json"`
	Pipeline  ratioSummary `json:"veil_minus_bare_cpu_xml_over_json"`
	// For xmlGoalPage: the goal and whether the median Veil ratio meets it.
	Goal    float64 `json:"goal,omitempty"`
	GoalMet *bool   `json:"goal_met,omitempty"`
}

// formatRound is one round's CPU per request of each process and format.
type formatRound struct {
	Round     int           `json:"round,omitempty"`
	VeilJSON  time.Duration `json:"veil_json_cpu_ns"`
	VeilXML   time.Duration `json:"veil_xml_cpu_ns"`
	RedisJSON time.Duration `json:"redis_json_cpu_ns"`
	RedisXML  time.Duration `json:"redis_xml_cpu_ns"`
	BareJSON  time.Duration `json:"bare_json_cpu_ns,omitempty"`
	BareXML   time.Duration `json:"bare_xml_cpu_ns,omitempty"`
}

// ratioSummary is the median of a set of ratios, their range and count.
type ratioSummary struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"n"`
}

func summarizeRatios(xs []float64) ratioSummary {
	if len(xs) == 0 {
		return ratioSummary{}
	}
	return ratioSummary{Median: median(xs), Min: slices.Min(xs), Max: slices.Max(xs), N: len(xs)}
}

// String is the summary as spread writes it: "1.23× (1.10–1.30×)".
func (r ratioSummary) String() string {
	if r.N == 0 {
		return "-"
	}
	s := fmt.Sprintf("%.2f×", r.Median)
	if r.N > 1 {
		s += fmt.Sprintf(" (%.2f–%.2f×)", r.Min, r.Max)
	}
	return s
}

// formatRatios pairs every XML case with the JSON case of its page and
// takes, round by round, the ratios of their CPU per request.
func formatRatios(cases []sizeCase, runs []measured) []formatRatio {
	var out []formatRatio
	for _, x := range cases {
		if x.Format != formatXML {
			continue
		}
		k := slices.IndexFunc(cases, func(c sizeCase) bool { return c.Format == formatJSON && c.Page == x.Page })
		if k < 0 {
			continue
		}
		j := cases[k]
		fr := formatRatio{Page: x.Page, Records: x.Records, JSONBytes: j.Bytes, XMLBytes: x.Bytes}
		var veil, veilRedis, bare, pipeline []float64
		for _, round := range roundsOf(runs, x.Label) {
			vx, vj := findRound(runs, x.Label, "veil", round), findRound(runs, j.Label, "veil", round)
			if vx == nil || vj == nil {
				continue
			}
			r := formatRound{Round: round,
				VeilJSON: vj.Result.cpuPerRequest("proxy"), VeilXML: vx.Result.cpuPerRequest("proxy"),
				RedisJSON: vj.Result.cpuPerRequest("redis"), RedisXML: vx.Result.cpuPerRequest("redis")}
			if r.VeilJSON > 0 && r.VeilXML > 0 { // a run without a tick read: no ratio
				veil = append(veil, float64(r.VeilXML)/float64(r.VeilJSON))
				veilRedis = append(veilRedis, float64(r.VeilXML+r.RedisXML)/float64(r.VeilJSON+r.RedisJSON))
			}
			bx, bj := findRound(runs, x.Label, "bare", round), findRound(runs, j.Label, "bare", round)
			if bx != nil && bj != nil {
				r.BareJSON, r.BareXML = bj.Result.cpuPerRequest("proxy"), bx.Result.cpuPerRequest("proxy")
				if r.BareJSON > 0 && r.BareXML > 0 {
					bare = append(bare, float64(r.BareXML)/float64(r.BareJSON))
				}
				if d := r.VeilJSON - r.BareJSON; d > 0 && r.VeilXML > 0 && r.BareXML > 0 {
					pipeline = append(pipeline, float64(r.VeilXML-r.BareXML)/float64(d))
				}
			}
			fr.Rounds = append(fr.Rounds, r)
		}
		if len(fr.Rounds) == 0 {
			continue
		}
		fr.Veil, fr.VeilRedis = summarizeRatios(veil), summarizeRatios(veilRedis)
		fr.Bare, fr.Pipeline = summarizeRatios(bare), summarizeRatios(pipeline)
		if fr.Page == xmlGoalPage && fr.Veil.N > 0 {
			met := fr.Veil.Median <= xmlGoal
			fr.Goal, fr.GoalMet = xmlGoal, &met
		}
		out = append(out, fr)
	}
	return out
}

// printFormats prints the XML/JSON ratios and the goal's verdict.
func printFormats(out io.Writer, frs []formatRatio) {
	if len(frs) == 0 {
		return
	}
	fmt.Fprintln(out, "Veil: XML / JSON, the same records (each round's XML run against its JSON run, measured one after the other; the median, then the range)")
	t := newTable(out, "page", "records", "JSON bytes", "XML bytes", "Veil µs/req JSON", "Veil µs/req XML",
		"Veil CPU/req XML/JSON", "Veil+redis", "bare CPU/req XML/JSON", "(Veil−bare) XML/JSON")
	for _, fr := range frs {
		var vj, vx []float64
		for _, r := range fr.Rounds {
			vj, vx = append(vj, float64(r.VeilJSON)), append(vx, float64(r.VeilXML))
		}
		t.row(fr.Page, fmt.Sprint(fr.Records), fmt.Sprint(fr.JSONBytes), fmt.Sprint(fr.XMLBytes),
			us(time.Duration(median(vj))), us(time.Duration(median(vx))),
			fr.Veil.String(), fr.VeilRedis.String(), fr.Bare.String(), fr.Pipeline.String())
	}
	t.flush()
	for _, fr := range frs {
		if fr.GoalMet == nil {
			continue
		}
		verdict := "met"
		if !*fr.GoalMet {
			verdict = "NOT met"
		}
		fmt.Fprintf(out, "Goal: a %s XML query page costs Veil at most %.1f× the CPU of the same page in JSON: %s over %d round(s): %s\n",
			fr.Page, fr.Goal, fr.Veil, fr.Veil.N, verdict)
	}
	fmt.Fprintln(out)
}
