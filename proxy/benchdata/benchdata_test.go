package benchdata

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/veil-proxy/veil/detectors"
)

// Every phone number of the pool is one libphonenumber holds valid, and
// they are all different.
func TestPhonePoolIsValid(t *testing.T) {
	pool := phonePool()
	if len(pool) != 64 {
		t.Fatalf("%d numbers, want 64", len(pool))
	}
	seen := map[string]bool{}
	for _, s := range pool {
		region := "US"
		if strings.HasPrefix(s, "+") {
			region = ""
		}
		num, err := phonenumbers.Parse(s, region)
		if err != nil || !phonenumbers.IsValidNumber(num) {
			t.Errorf("%q is not a valid number (%v)", s, err)
		}
		if seen[s] {
			t.Errorf("%q twice", s)
		}
		seen[s] = true
	}
}

// The pages are valid query results of the size asked, and Veil's own
// detectors find exactly PIIPerRecord personal values in each record, in
// the fields the benchmark counts as personal: the density it claims.
func TestQueryPageSizeAndDensity(t *testing.T) {
	s := detectors.NewScanner(detectors.Default())
	for _, c := range []struct{ size, records int }{{1 << 10, 1}, {10 << 10, 8}, {100 << 10, 81}} {
		n := RecordsFor(c.size)
		if n != c.records {
			t.Errorf("%d bytes: %d records, want %d", c.size, n, c.records)
		}
		doc := QueryPage(n)
		if d := len(doc) - c.size; d < -700 || d > 700 {
			t.Errorf("%d records: %d bytes, want about %d", n, len(doc), c.size)
		}
		var page struct {
			TotalSize int              `json:"totalSize"`
			Done      bool             `json:"done"`
			Records   []map[string]any `json:"records"`
		}
		if err := json.Unmarshal(doc, &page); err != nil {
			t.Fatalf("%d records: %v", n, err)
		}
		if page.TotalSize != n || !page.Done || len(page.Records) != n {
			t.Fatalf("totalSize %d, done %v, %d records; want %d", page.TotalSize, page.Done, len(page.Records), n)
		}
		for i, r := range page.Records {
			found := map[string]int{}
			for k, v := range r {
				if str, ok := v.(string); ok {
					for range s.Scan(nil, []byte(str), detectors.ClassifyFieldOf("Contact", k)) {
						found[k]++
					}
				}
			}
			want := map[string]int{}
			for _, f := range PIIFields {
				want[f.Name] = 1
				if r[f.Name] != f.Value(i) {
					t.Errorf("record %d: %s = %v, want %q", i, f.Name, r[f.Name], f.Value(i))
				}
			}
			if !equalCounts(found, want) {
				t.Errorf("record %d: findings by field %v, want %v", i, found, want)
			}
		}
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// The Bulk API rows are CSV whose cells are the same contacts as the
// query results', and Veil's detectors find PIIPerRecord values in each.
func TestCSVRows(t *testing.T) {
	doc := []byte(CSVHeader)
	for i := range 200 {
		doc = AppendCSVRow(doc, i)
	}
	rows, err := csv.NewReader(bytes.NewReader(doc)).ReadAll()
	if err != nil || len(rows) != 201 {
		t.Fatalf("%v, %d rows", err, len(rows))
	}
	s := detectors.NewScanner(detectors.Default())
	found := 0
	for i, r := range rows[1:] {
		want := []string{ContactID(i), FirstName(i), LastName(i), Email(i), Phone(i), Street(i)}
		if strings.Join(r, "|") != strings.Join(want, "|") {
			t.Fatalf("row %d = %q, want %q", i, r, want)
		}
		for c, v := range r {
			found += len(s.Scan(nil, []byte(v), detectors.ClassifyFieldOf("Contact", rows[0][c])))
		}
	}
	if found != PIIPerRecord*200 {
		t.Errorf("%d findings in 200 rows, want %d", found, PIIPerRecord*200)
	}
}
