package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/veil-proxy/veil/proxy/benchdata"
)

// -xml-sizes defaults to 1, 10 and 100 KB; "none" measures no XML.
func TestParseOptionsXMLSizes(t *testing.T) {
	o, err := parseOptions(nil)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(o.xmlSizes) != fmt.Sprint([]int{1 << 10, 10 << 10, 100 << 10}) {
		t.Errorf("default -xml-sizes: %v", o.xmlSizes)
	}
	for _, none := range []string{"none", ""} {
		if o, err := parseOptions([]string{"-xml-sizes", none}); err != nil || len(o.xmlSizes) != 0 {
			t.Errorf("-xml-sizes %q: %v, %v", none, o.xmlSizes, err)
		}
	}
	if _, err := parseOptions([]string{"-xml-sizes", "10KB,x"}); err == nil {
		t.Error("-xml-sizes 10KB,x: want an error")
	}
}

// Each JSON page is followed by its XML twin (the same records), an XML
// page without a JSON one comes last, and the cases group by page so that
// a round measures both formats one after the other.
func TestCasesOf(t *testing.T) {
	o := options{sizes: []int{1 << 10, 10 << 10, 1 << 20}, xmlSizes: []int{10 << 10, 1 << 10, 100 << 10}}
	cases := casesOf(o)
	var labels []string
	for _, c := range cases {
		labels = append(labels, c.Label)
	}
	if got, want := strings.Join(labels, ","), "1 KB,1 KB XML,10 KB,10 KB XML,1 MB,100 KB XML"; got != want {
		t.Fatalf("cases %s, want %s", got, want)
	}
	x := cases[3]
	if x.Format != formatXML || x.Page != "10 KB" || x.Records != 8 || x.Bytes != len(benchdata.QueryPageXML(8)) || x.Personal != 40 {
		t.Errorf("10 KB XML: %+v", x)
	}
	if j := cases[2]; j.Format != formatJSON || j.Records != 8 || j.Bytes != len(benchdata.QueryPage(8)) {
		t.Errorf("10 KB: %+v", j)
	}
	if string(pageOf(x)) != string(benchdata.QueryPageXML(8)) || acceptOf(formatXML) != "application/xml" || acceptOf(formatJSON) != "" {
		t.Error("the XML case's page or Accept header")
	}
	var groups []string
	for _, g := range pagesOf(cases) {
		var ls []string
		for _, c := range g {
			ls = append(ls, c.Label)
		}
		groups = append(groups, strings.Join(ls, "+"))
	}
	if got, want := strings.Join(groups, ","), "1 KB+1 KB XML,10 KB+10 KB XML,1 MB,100 KB XML"; got != want {
		t.Errorf("groups %s, want %s", got, want)
	}
}

// The XML/JSON ratios pair the runs of the same round, are summed up as
// median and range, and give the goal's verdict at 10 KB only.
func TestFormatRatios(t *testing.T) {
	run := func(size, target string, round int, proxyUS, redisUS float64) measured {
		const reqs = 1000
		us := func(v float64) time.Duration { return time.Duration(v * reqs * float64(time.Microsecond)) }
		return measured{Size: size, Target: target, Round: round, Result: loadResult{Requests: reqs, Seconds: 1,
			CPU: map[string]time.Duration{"proxy": us(proxyUS), "redis": us(redisUS)}}}
	}
	var runs []measured
	for r, v := range []struct{ bj, vj, bx, vx float64 }{{100, 300, 110, 420}, {100, 290, 120, 464}, {110, 310, 115, 403}} {
		round := r + 1
		runs = append(runs,
			run("10 KB", "direct", round, 0, 0), run("10 KB", "bare", round, v.bj, 0), run("10 KB", "veil", round, v.vj, 20),
			run("10 KB XML", "direct", round, 0, 0), run("10 KB XML", "bare", round, v.bx, 0), run("10 KB XML", "veil", round, v.vx, 20))
	}
	runs = append(runs, run("1 KB", "bare", 1, 90, 0), run("1 KB", "veil", 1, 180, 15),
		run("1 KB XML", "bare", 1, 90, 0), run("1 KB XML", "veil", 1, 200, 15))
	cases := casesOf(options{sizes: []int{1 << 10, 10 << 10}, xmlSizes: []int{1 << 10, 10 << 10, 100 << 10}})
	frs := formatRatios(cases, runs)
	if len(frs) != 2 || frs[0].Page != "1 KB" || frs[1].Page != "10 KB" {
		t.Fatalf("%+v", frs)
	}
	ten := frs[1]
	// Veil XML/JSON per round: 1.40, 1.60, 1.30.
	if v := ten.Veil; v.N != 3 || fmt.Sprintf("%.2f %.2f %.2f", v.Median, v.Min, v.Max) != "1.40 1.30 1.60" {
		t.Errorf("Veil ratio %+v", v)
	}
	// With redis: (420+20)/(300+20) = 1.375, …
	if v := ten.VeilRedis; fmt.Sprintf("%.3f", v.Median) != "1.375" {
		t.Errorf("Veil+redis ratio %+v", v)
	}
	// Bare 1.10, 1.20, 1.045; Veil minus bare: 310/200, 344/190, 288/200.
	if b, p := ten.Bare, ten.Pipeline; fmt.Sprintf("%.2f %.3f", b.Median, p.Median) != "1.10 1.550" {
		t.Errorf("bare %+v, pipeline %+v", b, p)
	}
	if ten.GoalMet == nil || !*ten.GoalMet || ten.Goal != 1.5 || frs[0].GoalMet != nil {
		t.Errorf("goal: %+v / %+v", ten, frs[0])
	}
	if len(ten.Rounds) != 3 || ten.Rounds[1].VeilXML != 464*time.Microsecond || ten.Rounds[1].BareJSON != 100*time.Microsecond {
		t.Errorf("rounds %+v", ten.Rounds)
	}
	var out strings.Builder
	printFormats(&out, frs)
	for _, want := range []string{"1.40× (1.30–1.60×)", "1.11×", "at most 1.5× the CPU of the same page in JSON: 1.40× (1.30–1.60×) over 3 round(s): met"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	}
	// Over the goal: not met, and said so.
	runs[5] = run("10 KB XML", "veil", 1, 0, 0) // a run whose CPU was not read drops out of the ratio
	for k := range runs {
		if runs[k].Size == "10 KB XML" && runs[k].Target == "veil" && runs[k].Round > 1 {
			runs[k] = run("10 KB XML", "veil", runs[k].Round, 600, 20)
		}
	}
	frs = formatRatios(cases, runs)
	if v := frs[1].Veil; v.N != 2 || frs[1].GoalMet == nil || *frs[1].GoalMet {
		t.Errorf("over the goal: %+v %v", v, frs[1].GoalMet)
	}
	out.Reset()
	printFormats(&out, frs)
	if !strings.Contains(out.String(), "NOT met") {
		t.Errorf("no verdict:\n%s", out.String())
	}
	b, err := json.Marshal(frs[1])
	if err != nil || !strings.Contains(string(b), `"goal_met":false`) || !strings.Contains(string(b), `"veil_cpu_xml_over_json":{"median":`) {
		t.Errorf("JSON: %s %v", b, err)
	}
}
