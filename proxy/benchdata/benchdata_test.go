package benchdata

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/detectors"
)

// The pages are valid JSON of the size asked, and Veil's detectors find
// exactly PIIPerRecord personal values per record in them: the density
// the benchmarks claim.
func TestQueryPageSizeAndDensity(t *testing.T) {
	s := detectors.NewScanner(detectors.Default())
	for _, size := range []int{1 << 10, 10 << 10, 100 << 10} {
		doc, n := QueryPage(size)
		var page struct {
			TotalSize int              `json:"totalSize"`
			Records   []map[string]any `json:"records"`
		}
		if err := json.Unmarshal(doc, &page); err != nil {
			t.Fatalf("%d: %v", size, err)
		}
		if len(doc) < size || len(doc) > size+800 || page.TotalSize != n || len(page.Records) != n {
			t.Fatalf("%d: %d bytes, totalSize %d, %d records, n %d", size, len(doc), page.TotalSize, len(page.Records), n)
		}
		found := 0
		for _, r := range page.Records {
			for k, v := range r {
				if str, ok := v.(string); ok {
					found += len(s.Scan(nil, []byte(str), detectors.ClassifyFieldOf("Contact", k)))
				}
			}
		}
		if found != PIIPerRecord*n {
			t.Errorf("%d bytes: %d findings in %d records, want %d", len(doc), found, n, PIIPerRecord*n)
		}
	}
}

func TestCSVRows(t *testing.T) {
	s := detectors.NewScanner(detectors.Default())
	doc := []byte(CSVHeader)
	for i := range 200 {
		doc = CSVRow(doc, i)
	}
	rows, err := csv.NewReader(strings.NewReader(string(doc))).ReadAll()
	if err != nil || len(rows) != 201 {
		t.Fatalf("%v %d", err, len(rows))
	}
	found := 0
	for _, r := range rows[1:] {
		for c, v := range r {
			found += len(s.Scan(nil, []byte(v), detectors.ClassifyFieldOf("Contact", rows[0][c])))
		}
	}
	if found != PIIPerRecord*200 {
		t.Errorf("%d findings in 200 rows, want %d", found, PIIPerRecord*200)
	}
}
