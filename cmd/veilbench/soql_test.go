package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy/benchdata"
)

func TestSOQLLimit(t *testing.T) {
	for q, want := range map[string]int{
		benchdata.ContactSOQL + " LIMIT 8": 8,
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

// The CRM's stream is the rows asked for, and checkRows reads them back:
// the CRM's own e-mails counted as original, rewritten ones as
// transformed, a row out of place as an error.
func TestCheckRows(t *testing.T) {
	doc := []byte(benchdata.CSVHeader)
	for i := range 50 {
		doc = benchdata.AppendCSVRow(doc, i)
	}
	var r streamResult
	if err := checkRows(bytes.NewReader(doc), &r); err != nil || r.Rows != 50 || r.Original != 50 || r.Transformed != 0 {
		t.Fatalf("untouched: %v %+v", err, r)
	}
	masked := strings.Replace(string(doc), benchdata.Email(7), "a***@example.com", 1)
	masked = strings.Replace(masked, benchdata.Email(8), "[REDACTED:email]", 1)
	r = streamResult{}
	if err := checkRows(strings.NewReader(masked), &r); err != nil || r.Rows != 50 || r.Original != 48 || r.Transformed != 2 {
		t.Fatalf("two rewritten: %v %+v", err, r)
	}
	swapped := strings.Replace(string(doc), benchdata.ContactID(3), benchdata.ContactID(4), 1)
	r = streamResult{}
	if err := checkRows(strings.NewReader(swapped), &r); err == nil || r.Rows != 3 {
		t.Fatalf("a row out of place: %v after %d rows, want an error at row 3", err, r.Rows)
	}
}

// csvRowsFor counts the rows of a results file of a given size exactly.
func TestCSVRowsFor(t *testing.T) {
	doc := []byte(benchdata.CSVHeader)
	for i := range 200 {
		doc = benchdata.AppendCSVRow(doc, i)
	}
	if n, size := csvRowsFor(int64(len(doc))); n != 200 || size != int64(len(doc)) {
		t.Errorf("csvRowsFor(%d bytes) = %d rows, %d bytes; want 200, %d", len(doc), n, size, len(doc))
	}
}
