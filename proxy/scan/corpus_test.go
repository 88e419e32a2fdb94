package scan

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/proxy/benchdata"
	"github.com/veil-proxy/veil/proxy/body"
)

const corpusDir = "../../testdata/corpus"

type label struct {
	Pointer  string `json:"pointer"`
	Category string `json:"category"`
	Text     string `json:"text"`
}

type expect struct {
	Findings []label  `json:"findings"`
	Ignore   []string `json:"ignore"`
}

type score struct{ tp, fp, fn int }

func (s score) precision() float64 { return ratio(s.tp, s.tp+s.fp) }
func (s score) recall() float64    { return ratio(s.tp, s.tp+s.fn) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// scoreCorpus scores the end-to-end scan (decode + detect) over the corpus
// exactly as testdata/corpus/README.md says: a finding is a true positive
// when an unmatched label of the same pointer and category contains its
// text or is contained in it; a second finding of a matched label is a
// duplicate; other findings outside ignore are false positives; unmatched
// labels are false negatives.
func scoreCorpus(t *testing.T) (map[string]*score, []string) {
	t.Helper()
	cases, err := filepath.Glob(filepath.Join(corpusDir, "*.expect.json"))
	if err != nil || len(cases) == 0 {
		t.Fatal("the labelled corpus is not at", corpusDir)
	}
	s := detectors.NewScanner(detectors.Default())
	per := map[string]*score{}
	get := func(c string) *score {
		if per[c] == nil {
			per[c] = &score{}
		}
		return per[c]
	}
	var misses []string
	for _, ex := range cases {
		base := strings.TrimSuffix(ex, ".expect.json")
		var e expect
		b, err := os.ReadFile(ex)
		if err != nil || json.Unmarshal(b, &e) != nil {
			t.Fatalf("%s: unreadable labels", ex)
		}
		var finds []Finding
		if doc, err := os.ReadFile(base + ".json"); err == nil {
			finds, err = JSON(s, doc, body.Limits{})
			if err != nil {
				t.Fatalf("%s.json: %v", base, err)
			}
		} else if doc, err := os.ReadFile(base + ".csv"); err == nil {
			finds, err = CSV(s, doc)
			if err != nil {
				t.Fatalf("%s.csv: %v", base, err)
			}
		} else {
			t.Fatalf("%s: no payload", base)
		}
		ignore := map[string]bool{}
		for _, p := range e.Ignore {
			ignore[p] = true
		}
		matched := make([]bool, len(e.Findings))
		for _, f := range finds {
			hit, dup := false, false
			for i, l := range e.Findings {
				if l.Pointer != f.Pointer || l.Category != f.Category || !(strings.Contains(l.Text, f.Text) || strings.Contains(f.Text, l.Text)) {
					continue
				}
				if matched[i] {
					dup = true
					continue
				}
				matched[i], hit = true, true
				break
			}
			switch {
			case hit:
				get(f.Category).tp++
			case dup || ignore[f.Pointer]:
			default:
				get(f.Category).fp++
				misses = append(misses, fmt.Sprintf("FP %s %s %s %q", filepath.Base(base), f.Pointer, f.Category, f.Text))
			}
		}
		for i, l := range e.Findings {
			if !matched[i] {
				get(l.Category).fn++
				misses = append(misses, fmt.Sprintf("FN %s %s %s %q", filepath.Base(base), l.Pointer, l.Category, l.Text))
			}
		}
	}
	return per, misses
}

// TestCorpusAccuracy prints the per-category table and fails below
// precision 0.99 or recall 0.99 overall, or recall 0.95 for any category
// present in the corpus.
func TestCorpusAccuracy(t *testing.T) {
	per, misses := scoreCorpus(t)
	var cats []string
	var all score
	for c, s := range per {
		cats = append(cats, c)
		all.tp, all.fp, all.fn = all.tp+s.tp, all.fp+s.fp, all.fn+s.fn
	}
	sort.Strings(cats)
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-16s %5s %5s %5s %9s %7s\n", "category", "tp", "fp", "fn", "precision", "recall")
	for _, c := range cats {
		s := per[c]
		fmt.Fprintf(&b, "%-16s %5d %5d %5d %9.3f %7.3f\n", c, s.tp, s.fp, s.fn, s.precision(), s.recall())
	}
	fmt.Fprintf(&b, "%-16s %5d %5d %5d %9.3f %7.3f\n", "overall", all.tp, all.fp, all.fn, all.precision(), all.recall())
	t.Log(b.String())
	if testing.Verbose() {
		for _, m := range misses {
			t.Log(m)
		}
	}
	if p, r := all.precision(), all.recall(); p < 0.99 || r < 0.99 {
		t.Errorf("overall precision %.3f recall %.3f, want at least 0.99 / 0.99", p, r)
	}
	for _, c := range cats {
		if s := per[c]; s.tp+s.fn > 0 && s.recall() < 0.95 {
			t.Errorf("%s recall %.3f, want at least 0.95", c, s.recall())
		}
	}
}

// BenchmarkScanCorpus measures decode + detect over every JSON payload of
// the corpus, end to end, on one core (MB/s is over the payload bytes).
func BenchmarkScanCorpus(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	var docs [][]byte
	total := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".expect.json") {
			continue
		}
		d, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, d)
		total += len(d)
	}
	if len(docs) == 0 {
		b.Skip("corpus not present")
	}
	s := detectors.NewScanner(detectors.Default())
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			if _, err := JSON(s, d, body.Limits{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkScanLadder measures decode + detect on documents of 1 KB to
// 1 MB: "pii" arrays of the corpus's JSON payloads (as dense in personal
// data as CRM traffic gets), "clean" Opportunity-like records with ids,
// dates, amounts and stages but no personal data.
func BenchmarkScanLadder(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	var docs [][]byte
	for _, f := range files {
		if !strings.HasSuffix(f, ".expect.json") {
			d, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		b.Skip("corpus not present")
	}
	clean := func(i int) []byte {
		return fmt.Appendf(nil, `{"attributes":{"type":"Opportunity","url":"/services/data/v62.0/sobjects/Opportunity/006Dn0000%07dAAA"},`+
			`"Id":"006Dn0000%07dAAA","StageName":"Negotiation/Review","Amount":%d.50,"Probability":70,`+
			`"CloseDate":"2026-%02d-15","CreatedDate":"2025-06-08T21:14:48.000+0000","LeadSource":"Trade Show","IsWon":false}`, i, i, 10000+i*37, 1+i%12)
	}
	s := detectors.NewScanner(detectors.Default())
	for _, kind := range []string{"pii", "clean"} {
		for _, size := range []int{1 << 10, 10 << 10, 100 << 10, 1 << 20} {
			doc := []byte(`{"records":[`)
			for i := 0; len(doc) < size; i++ {
				if i > 0 {
					doc = append(doc, ',')
				}
				if kind == "pii" {
					doc = append(doc, docs[i%len(docs)]...)
				} else {
					doc = append(doc, clean(i)...)
				}
			}
			doc = append(doc, "]}"...)
			b.Run(fmt.Sprintf("%s/%dKB", kind, size>>10), func(b *testing.B) {
				b.SetBytes(int64(len(doc)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := JSON(s, doc, body.Limits{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkScanContacts measures decode + detect on the Contact pages of
// cmd/veilbench and BenchmarkProxySizes (proxy/benchdata: five personal
// values per ~1.26 KB record among ids, timestamps, URLs and picklists):
// the inspection part of what an exchange costs, without HTTP.
func BenchmarkScanContacts(b *testing.B) {
	s := detectors.NewScanner(detectors.Default())
	for _, size := range []int{10 << 10, 100 << 10} {
		doc := benchdata.QueryPage(benchdata.RecordsFor(size))
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := JSON(s, doc, body.Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
