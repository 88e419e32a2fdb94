package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"
)

// The dashboard and the alerting rules shipped with the chart name metrics
// by string; these tests keep them in step with the collectors declared in
// this package.
const (
	dashboardFile = "../../charts/veil/dashboards/veil.json"
	rulesFile     = "../../charts/veil/prometheus/veil-alerts.yaml"
)

// family is one registered metric family: its label names, and whether it
// is a histogram (read as name_bucket, name_sum and name_count too).
type family struct {
	labels    []string
	histogram bool
}

// catalogue is what New and RegisterPolicyEngine register, by family name.
type catalogue map[string]family

// recorder is a Registerer that remembers the collectors it registers.
type recorder struct {
	prometheus.Registerer
	collectors []prometheus.Collector
}

func (r *recorder) Register(c prometheus.Collector) error {
	r.collectors = append(r.collectors, c)
	return r.Registerer.Register(c)
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// registered builds the catalogue of a fresh registry. Gathering would
// miss every vector that has no child yet (a CounterVec with no label
// values gathers nothing), so each registered collector is asked to
// Describe itself instead: a Desc exists for every family whether it has
// been observed or not, and the collector's Go type says whether it is a
// histogram. Desc has no accessor for its name, so its String() is parsed;
// parseDesc fails the test loudly if client_golang ever changes that
// format, and the result is cross-checked against what the registry
// describes and gathers.
func registered(t *testing.T) catalogue {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	rec := &recorder{Registerer: reg}
	New(rec, "v0.0.0-test")
	RegisterPolicyEngine(rec, func() PolicyEngineStats { return PolicyEngineStats{} })
	RegisterForward(rec, func() (uint64, uint64) { return 0, 0 })
	RegisterAdmin(rec)

	cat := catalogue{}
	for _, c := range rec.collectors {
		var histogram bool
		switch c.(type) {
		case *prometheus.HistogramVec, *HistogramVec, prometheus.Histogram:
			histogram = true
		}
		for _, d := range describe(c) {
			name, labels, err := parseDesc(d.String())
			if err != nil {
				t.Fatal(err)
			}
			cat[name] = family{labels: labels, histogram: histogram}
		}
	}
	if len(cat) == 0 {
		t.Fatal("New and RegisterPolicyEngine registered no collector")
	}
	// A family may have several Descs (one per constant-label set, as
	// veil_forward_leaf_cache_total's hit and miss CounterFuncs): count names.
	names := map[string]bool{}
	for _, d := range describe(reg) {
		name, _, err := parseDesc(d.String())
		if err != nil {
			t.Fatal(err)
		}
		names[name] = true
	}
	if len(names) != len(cat) {
		t.Fatalf("the registry describes %d families, the recorded collectors %d", len(names), len(cat))
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if _, ok := cat[mf.GetName()]; !ok {
			t.Fatalf("gathered %s but Describe did not list it: parseDesc is out of step with client_golang", mf.GetName())
		}
	}
	return cat
}

func describe(c prometheus.Collector) []*prometheus.Desc {
	ch := make(chan *prometheus.Desc)
	go func() { c.Describe(ch); close(ch) }()
	var ds []*prometheus.Desc
	for d := range ch {
		ds = append(ds, d)
	}
	return ds
}

var (
	descName      = regexp.MustCompile(`^Desc\{fqName: "([a-zA-Z_:][a-zA-Z0-9_:]*)", `)
	descConst     = regexp.MustCompile(`, constLabels: \{(.*)\}, variableLabels: \{`)
	descVariable  = regexp.MustCompile(`, variableLabels: \{([^{}]*)\}\}$`)
	constLabelKey = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="`)
	variableLabel = regexp.MustCompile(`^(?:c\()?([a-zA-Z_][a-zA-Z0-9_]*)\)?$`)
)

// parseDesc reads the name and the label names (constant and variable) out
// of Desc.String(), e.g.
// Desc{fqName: "veil_x_total", help: "...", unit: "", constLabels: {}, variableLabels: {route,c(code)}}.
func parseDesc(s string) (string, []string, error) {
	name := descName.FindStringSubmatch(s)
	vars := descVariable.FindStringSubmatch(s)
	consts := descConst.FindStringSubmatch(s)
	if name == nil || vars == nil || consts == nil {
		return "", nil, fmt.Errorf("cannot parse %s: has the format of prometheus.Desc.String changed?", s)
	}
	var labels []string
	for _, m := range constLabelKey.FindAllStringSubmatch(consts[1], -1) {
		labels = append(labels, m[1])
	}
	if vars[1] != "" {
		for _, v := range strings.Split(vars[1], ",") {
			m := variableLabel.FindStringSubmatch(v)
			if m == nil {
				return "", nil, fmt.Errorf("cannot parse variable label %q in %s", v, s)
			}
			labels = append(labels, m[1])
		}
	}
	return name[1], labels, nil
}

// has reports whether a name read in an expression is registered: as is,
// or as the _bucket/_sum/_count series of a histogram.
func (c catalogue) has(name string) bool {
	if _, ok := c[name]; ok {
		return true
	}
	return c.histogramOf(name) != ""
}

// histogramOf returns the histogram whose _bucket, _sum or _count series
// name is, or "".
func (c catalogue) histogramOf(name string) string {
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && c[base].histogram {
			return base
		}
	}
	return ""
}

// labelNames is every label name of the catalogue plus the ones Prometheus
// adds: job and instance to every series, le to classic histogram buckets,
// alertname and alertstate to ALERTS (severity is a Veil label already).
func (c catalogue) labelNames() map[string]bool {
	names := map[string]bool{"job": true, "instance": true, "le": true, "alertname": true, "alertstate": true}
	for _, f := range c {
		for _, l := range f.labels {
			names[l] = true
		}
	}
	return names
}

var (
	// stringLiteral matches PromQL strings, whose contents (label values,
	// label_replace arguments, regexes) are not names.
	stringLiteral = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	// veilName matches a metric name starting with veil_ that is not the tail of
	// a longer identifier; recording rules (veil:...) never match.
	veilName = regexp.MustCompile(`(?:^|[^a-zA-Z0-9_:])(veil_[a-z0-9_]+)`)
	// grouping matches by/without/on/ignoring/group_left/group_right lists.
	grouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)`)
	// matcher matches the label name of a label matcher.
	matcher = regexp.MustCompile(`[{,]\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)`)
)

// exprNames returns the veil_ metric names an expression reads.
func exprNames(expr string) []string {
	var names []string
	for _, m := range veilName.FindAllStringSubmatch(stringLiteral.ReplaceAllString(expr, `""`), -1) {
		names = append(names, m[1])
	}
	return names
}

// exprLabels returns the label names an expression groups by or matches on.
func exprLabels(expr string) []string {
	e := stringLiteral.ReplaceAllString(expr, `""`)
	var labels []string
	for _, m := range grouping.FindAllStringSubmatch(e, -1) {
		for _, l := range strings.Split(m[1], ",") {
			if l = strings.TrimSpace(l); l != "" {
				labels = append(labels, l)
			}
		}
	}
	for _, m := range matcher.FindAllStringSubmatch(e, -1) {
		labels = append(labels, m[1])
	}
	return labels
}

func TestExprParsing(t *testing.T) {
	expr := `label_replace(sum by (job, severity) (increase(veil_alerts_total{kind="veil_x_total"}[5m])) > 0, "veil_severity", "$1", "severity", "(.*)")` +
		` or histogram_quantile(0.5, sum by (le) (rate(veil_pipeline_stage_duration_seconds_bucket{job=~"$job"}[5m]))) / veil:proxy_requests:rate5m and on (job, instance) xveil_no`
	if got, want := exprNames(expr), []string{"veil_alerts_total", "veil_pipeline_stage_duration_seconds_bucket"}; !slices.Equal(got, want) {
		t.Errorf("exprNames = %v, want %v", got, want)
	}
	if got, want := exprLabels(expr), []string{"job", "severity", "le", "job", "instance", "kind", "job"}; !slices.Equal(got, want) {
		t.Errorf("exprLabels = %v, want %v", got, want)
	}
	cat := catalogue{"veil_h_seconds": {histogram: true}, "veil_c_total": {}}
	for name, want := range map[string]bool{
		"veil_h_seconds": true, "veil_h_seconds_bucket": true, "veil_h_seconds_count": true, "veil_h": false, "veil_h_seconds_total": false,
		"veil_c_total": true, "veil_c_total_bucket": false, "veil_c_total_sum": false,
	} {
		if cat.has(name) != want {
			t.Errorf("has(%s) = %v, want %v", name, !want, want)
		}
	}
}

// checkExpr reports the unregistered metrics and unknown labels of one
// expression found at where.
func checkExpr(t *testing.T, cat catalogue, labels map[string]bool, where, expr string) {
	t.Helper()
	for _, n := range exprNames(expr) {
		if !cat.has(n) {
			t.Errorf("%s: metric %s is not registered by metrics.New or RegisterPolicyEngine\n\t%s", where, n, expr)
		}
	}
	for _, l := range exprLabels(expr) {
		if !labels[l] {
			t.Errorf("%s: label %s is not a label of any Veil metric (nor job, instance, le, alertname, alertstate)\n\t%s", where, l, expr)
		}
	}
}

// ---------------------------------------------------------------- rules

type ruleFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Rules    []struct {
			Record      string            `yaml:"record"`
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         *string           `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// alertLabels are the only labels an alert rule may add: anything else
// risks carrying data that is not bounded.
var alertLabels = map[string]bool{"severity": true}

var severities = map[string]bool{"critical": true, "warning": true, "info": true}

// loadRules parses the rule file strictly (an unknown key is an error).
func loadRules(t *testing.T) ruleFile {
	t.Helper()
	raw, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	if len(f.Groups) == 0 {
		t.Fatalf("%s: no groups", rulesFile)
	}
	return f
}

func TestRulesUseRegisteredMetrics(t *testing.T) {
	cat := registered(t)
	labels := cat.labelNames()
	f := loadRules(t)
	seen := map[string]bool{}
	alerts := 0
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			name := r.Alert + r.Record
			where := fmt.Sprintf("%s: group %s: %s", rulesFile, g.Name, name)
			if (r.Alert == "") == (r.Record == "") || strings.TrimSpace(r.Expr) == "" {
				t.Errorf("%s: a rule needs exactly one of alert and record, and an expr", where)
			}
			if seen[name] {
				t.Errorf("%s: defined twice", where)
			}
			seen[name] = true
			checkExpr(t, cat, labels, where, r.Expr)
			if r.Record != "" {
				// level:metric:operations, e.g. veil:proxy_requests:rate5m.
				if parts := strings.Split(r.Record, ":"); len(parts) != 3 || parts[0] != "veil" || parts[1] == "" || parts[2] == "" {
					t.Errorf("%s: a recording rule is named veil:metric:operations", where)
				}
				continue
			}
			alerts++
			if !strings.HasPrefix(r.Alert, "Veil") {
				t.Errorf("%s: alert names start with Veil", where)
			}
			if r.For == nil {
				t.Errorf("%s: no for: (say for: 0m to fire at once)", where)
			}
			if !severities[r.Labels["severity"]] {
				t.Errorf("%s: severity %q, want critical, warning or info", where, r.Labels["severity"])
			}
			for l := range r.Labels {
				if !alertLabels[l] {
					t.Errorf("%s: label %s: alerts add no label but severity", where, l)
				}
			}
			for _, a := range []string{"summary", "description", "runbook"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("%s: no %s annotation", where, a)
				}
			}
		}
	}
	if alerts == 0 {
		t.Errorf("%s: no alerts", rulesFile)
	}
}

// ---------------------------------------------------------------- dashboard

type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID          int                      `json:"id"`
	Type        string                   `json:"type"`
	Title       string                   `json:"title"`
	Description string                   `json:"description"`
	Datasource  *dsRef                   `json:"datasource"`
	GridPos     struct{ H, W, X, Y int } `json:"gridPos"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Targets []struct {
		RefID      string `json:"refId"`
		Expr       string `json:"expr"`
		Datasource *dsRef `json:"datasource"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's panels
}

type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Definition string          `json:"definition"`
	Datasource *dsRef          `json:"datasource"`
}

// query returns a variable's query, a string or (Grafana 10 and later)
// an object holding it.
func (v variable) query() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var o struct {
		Query string `json:"query"`
	}
	if json.Unmarshal(v.Query, &o) == nil {
		return o.Query
	}
	return ""
}

type dashboard struct {
	UID           string   `json:"uid"`
	Title         string   `json:"title"`
	Tags          []string `json:"tags"`
	SchemaVersion int      `json:"schemaVersion"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
	Annotations struct {
		List []struct {
			Name       string `json:"name"`
			Expr       string `json:"expr"`
			Datasource *dsRef `json:"datasource"`
		} `json:"list"`
	} `json:"annotations"`
	Panels []panel `json:"panels"`
}

const datasourceVar = "${datasource}"

// fixedRange matches a range selector with a literal duration: dashboard
// panels use $__rate_interval or $__range so that they follow the zoom.
var fixedRange = regexp.MustCompile(`\[[0-9]+[smhdwy]\]`)

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s does not parse: %v", dashboardFile, err)
	}
	return d
}

// panels returns every panel, those of collapsed rows included.
func (d dashboard) panels() []panel {
	var all []panel
	for _, p := range d.Panels {
		all = append(all, p)
		all = append(all, p.Panels...)
	}
	return all
}

// exprs returns every PromQL expression of the dashboard: queries,
// variables, annotations.
func (d dashboard) exprs() []string {
	var out []string
	for _, p := range d.panels() {
		for _, tg := range p.Targets {
			out = append(out, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			out = append(out, v.query())
		}
	}
	for _, a := range d.Annotations.List {
		out = append(out, a.Expr)
	}
	return out
}

func TestDashboard(t *testing.T) {
	cat := registered(t)
	labels := cat.labelNames()
	d := loadDashboard(t)
	if d.UID != "veil-overview" || d.Title == "" || len(d.Tags) == 0 || d.SchemaVersion < 36 {
		t.Errorf("dashboard uid %q title %q tags %v schemaVersion %d: want uid veil-overview, a title, tags, schemaVersion >= 36",
			d.UID, d.Title, d.Tags, d.SchemaVersion)
	}

	vars := map[string]variable{}
	for _, v := range d.Templating.List {
		if _, dup := vars[v.Name]; dup {
			t.Errorf("variable %s defined twice", v.Name)
		}
		vars[v.Name] = v
		if v.Type != "query" {
			continue
		}
		if v.Datasource == nil || v.Datasource.UID != datasourceVar {
			t.Errorf("variable %s: datasource %+v, want uid %s", v.Name, v.Datasource, datasourceVar)
		}
		if q := v.query(); q != v.Definition {
			t.Errorf("variable %s: query %q and definition %q differ", v.Name, q, v.Definition)
		}
		checkExpr(t, cat, labels, "variable "+v.Name, v.query())
	}
	if v := vars["datasource"]; v.Type != "datasource" || string(v.Query) != `"prometheus"` {
		t.Errorf("want a datasource variable named datasource of Prometheus data sources, got %+v", v)
	}
	for _, name := range []string{"route", "instance"} {
		if v, ok := vars[name]; !ok || v.Type != "query" || !strings.Contains(v.Definition, "label_values(") {
			t.Errorf("want a label_values query variable %s, got %+v", name, v)
		}
	}
	for _, a := range d.Annotations.List {
		if a.Expr == "" {
			continue
		}
		if a.Datasource == nil || a.Datasource.UID != datasourceVar {
			t.Errorf("annotation %s: datasource %+v, want uid %s", a.Name, a.Datasource, datasourceVar)
		}
		checkExpr(t, cat, labels, "annotation "+a.Name, a.Expr)
	}

	ids := map[int]string{}
	all := d.panels()
	if len(all) == 0 {
		t.Fatal("dashboard has no panels")
	}
	for _, p := range all {
		where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if p.ID <= 0 {
			t.Errorf("%s: no id", where)
		} else if other, dup := ids[p.ID]; dup {
			t.Errorf("%s: id also used by %q", where, other)
		}
		ids[p.ID] = p.Title
		if p.Datasource == nil || p.Datasource.UID != datasourceVar || p.Datasource.Type != "prometheus" {
			t.Errorf("%s: datasource %+v, want {prometheus %s}", where, p.Datasource, datasourceVar)
		}
		if g := p.GridPos; g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 || g.Y < 0 {
			t.Errorf("%s: gridPos %+v outside the 24 columns", where, g)
		}
		if p.Title == "" {
			t.Errorf("%s: no title", where)
		}
		if p.Type == "row" {
			continue
		}
		if strings.TrimSpace(p.Description) == "" {
			t.Errorf("%s: no description", where)
		}
		if p.FieldConfig.Defaults.Unit == "" {
			t.Errorf("%s: no unit", where)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: no query", where)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("%s: refId %q empty or used twice", where, tg.RefID)
			}
			refs[tg.RefID] = true
			if tg.Datasource == nil || tg.Datasource.UID != datasourceVar {
				t.Errorf("%s: query %s: datasource %+v, want uid %s", where, tg.RefID, tg.Datasource, datasourceVar)
			}
			if fixedRange.MatchString(tg.Expr) {
				t.Errorf("%s: query %s: a fixed range; use [$__rate_interval] or [$__range]\n\t%s", where, tg.RefID, tg.Expr)
			}
			checkExpr(t, cat, labels, where, tg.Expr)
		}
	}
}

// TestDashboardCoversCatalogue lists the Veil metrics neither the dashboard
// nor the rules read, so that a new collector is a conscious omission.
func TestDashboardCoversCatalogue(t *testing.T) {
	cat := registered(t)
	exprs := loadDashboard(t).exprs()
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			exprs = append(exprs, r.Expr)
		}
	}
	used := map[string]bool{}
	for _, e := range exprs {
		for _, n := range exprNames(e) {
			used[n] = true
			used[cat.histogramOf(n)] = true
		}
	}
	var unused []string
	for name := range cat {
		if !used[name] {
			unused = append(unused, name)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf("registered but on neither the dashboard nor in the rules: %v", unused)
	}
}
