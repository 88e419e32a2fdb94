package main

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
		n := recordsFor(c.size)
		if n != c.records {
			t.Errorf("%d bytes: %d records, want %d", c.size, n, c.records)
		}
		doc := queryPage(n)
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
			for _, f := range piiFields {
				want[f.name] = 1
				if r[f.name] != f.value(i) {
					t.Errorf("record %d: %s = %v, want %q", i, f.name, r[f.name], f.value(i))
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

func TestSOQLLimit(t *testing.T) {
	for q, want := range map[string]int{
		contactSOQL + " LIMIT 8":           8,
		"select Id from Contact limit 835": 835,
		"SELECT Id FROM Contact LIMIT 5 ":  5,
	} {
		if n, ok := soqlLimit(q); !ok || n != want {
			t.Errorf("%q: %d %v, want %d", q, n, ok, want)
		}
	}
	for _, q := range []string{"SELECT Id FROM Contact", "SELECT Id FROM Contact LIMIT", "SELECT Id FROM Contact LIMIT x", "LIMIT 0", ""} {
		if n, ok := soqlLimit(q); ok {
			t.Errorf("%q: limit %d, want none", q, n)
		}
	}
}

// The Bulk API rows are CSV whose cells are the same contacts as the
// query results', and Veil's detectors find PIIPerRecord values in each.
func TestCSVRows(t *testing.T) {
	doc := []byte(csvHeader)
	for i := range 200 {
		doc = appendCSVRow(doc, i)
	}
	rows, err := csv.NewReader(bytes.NewReader(doc)).ReadAll()
	if err != nil || len(rows) != 201 {
		t.Fatalf("%v, %d rows", err, len(rows))
	}
	s := detectors.NewScanner(detectors.Default())
	found := 0
	for i, r := range rows[1:] {
		want := []string{contactID(i), firstName(i), lastName(i), email(i), phone(i), street(i)}
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
	if n, size := csvRowsFor(int64(len(doc))); n != 200 || size != int64(len(doc)) {
		t.Errorf("csvRowsFor(%d bytes) = %d rows, %d bytes; want 200, %d", len(doc), n, size, len(doc))
	}
}

// The CRM's stream is the rows asked for, and checkRows reads them back:
// the CRM's own e-mails counted as original, rewritten ones as
// transformed, a row out of place as an error.
func TestCheckRows(t *testing.T) {
	doc := []byte(csvHeader)
	for i := range 50 {
		doc = appendCSVRow(doc, i)
	}
	var r streamResult
	if err := checkRows(bytes.NewReader(doc), &r); err != nil || r.Rows != 50 || r.Original != 50 || r.Transformed != 0 {
		t.Fatalf("untouched: %v %+v", err, r)
	}
	masked := strings.Replace(string(doc), email(7), "a***@example.com", 1)
	masked = strings.Replace(masked, email(8), "[REDACTED:email]", 1)
	r = streamResult{}
	if err := checkRows(strings.NewReader(masked), &r); err != nil || r.Rows != 50 || r.Original != 48 || r.Transformed != 2 {
		t.Fatalf("two rewritten: %v %+v", err, r)
	}
	swapped := strings.Replace(string(doc), contactID(3), contactID(4), 1)
	r = streamResult{}
	if err := checkRows(strings.NewReader(swapped), &r); err == nil || r.Rows != 3 {
		t.Fatalf("a row out of place: %v after %d rows, want an error at row 3", err, r.Rows)
	}
}
