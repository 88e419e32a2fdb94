package body

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// salesforcePage is a Salesforce query response with n Contact records,
// about 640 bytes each: nested attributes, nulls, booleans, numbers, an
// escaped string and a multi-line street.
func salesforcePage(n int) []byte {
	b := []byte(`{"totalSize":` + strconv.Itoa(n) + `,"done":false,"nextRecordsUrl":"/services/data/v62.0/query/01gD0000002HU6KIAW-2000","records":[`)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"attributes":{"type":"Contact","url":"/services/data/v62.0/sobjects/Contact/003D000000Qx%05dAAA"},`+
			`"Id":"003D000000Qx%05dAAA","FirstName":"Ana","LastName":"O\u2019Brien-%d","Email":"ana.obrien%d@example.com",`+
			`"Phone":"+1 (415) 555-%04d","MobilePhone":null,"Birthdate":"1984-03-%02d","HasOptedOutOfEmail":%t,"DoNotCall":false,`+
			`"MailingStreet":"%d Market St\nSuite 400","MailingCity":"San Francisco","MailingPostalCode":"94105",`+
			`"MailingCountry":"United States","AccountId":"001D000000IRFmaIAH","Title":"VP, \"Customer\" Success",`+
			`"AnnualRevenue__c":1250000.50,"NumberOfEmployees":%d,"Description":"Met at Dreamforce; prefers email."}`,
			i, i, i, i, i%10000, i%28+1, i%2 == 0, 100+i, 40+i)
	}
	return append(b, "]}"...)
}

// benchSizes is the size ladder: records per page for ~1 KB to ~1 MB.
var benchSizes = []struct {
	name    string
	records int
}{{"1KB", 2}, {"10KB", 16}, {"100KB", 160}, {"1MB", 1600}}

func BenchmarkWalkJSON(b *testing.B) {
	for _, sz := range benchSizes {
		doc := salesforcePage(sz.records)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			n := 0
			fn := func(v *Value) error {
				if v.Kind == KindString {
					n += len(v.Str)
				}
				return nil
			}
			for b.Loop() {
				if err := WalkJSON(doc, Limits{}, fn); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUnmarshalAny is the yardstick: encoding/json into any.
func BenchmarkUnmarshalAny(b *testing.B) {
	for _, sz := range benchSizes {
		doc := salesforcePage(sz.records)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				var v any
				if err := json.Unmarshal(doc, &v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRewriteJSON masks every Email and drops every Birthdate, as a
// typical policy would: a walk to find them, then the rewrite.
func BenchmarkRewriteJSON(b *testing.B) {
	for _, sz := range benchSizes {
		doc := salesforcePage(sz.records)
		e := &Edits{Replace: map[int][]byte{}, Drop: map[int]bool{}}
		err := WalkJSON(doc, Limits{}, func(v *Value) error {
			switch string(v.Key) {
			case "Email":
				e.Replace[v.Start] = []byte("a***@example.com")
			case "Birthdate":
				e.Drop[v.Start] = true
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			buf := make([]byte, 0, len(doc))
			for b.Loop() {
				out, _, err := RewriteJSON(buf[:0], doc, e)
				if err != nil {
					b.Fatal(err)
				}
				buf = out
			}
		})
	}
}

// BenchmarkRewriteViaUnmarshal is the same change with encoding/json.
func BenchmarkRewriteViaUnmarshal(b *testing.B) {
	for _, sz := range benchSizes {
		doc := salesforcePage(sz.records)
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				var v map[string]any
				if err := json.Unmarshal(doc, &v); err != nil {
					b.Fatal(err)
				}
				for _, r := range v["records"].([]any) {
					rec := r.(map[string]any)
					rec["Email"] = "a***@example.com"
					delete(rec, "Birthdate")
				}
				if _, err := json.Marshal(v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWalkJSONWide walks 200 objects of n members with look-alike
// names: the duplicate check's linear scan (n ≤ linearKeys) and its table.
func BenchmarkWalkJSONWide(b *testing.B) {
	for _, n := range []int{20, 40, 128} {
		var sb strings.Builder
		sb.WriteString("[")
		for r := range 200 {
			if r > 0 {
				sb.WriteString(",")
			}
			sb.WriteString("{")
			for i := range n {
				if i > 0 {
					sb.WriteString(",")
				}
				fmt.Fprintf(&sb, `"Field_%d__c":%d`, i, i)
			}
			sb.WriteString("}")
		}
		sb.WriteString("]")
		doc := []byte(sb.String())
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				if err := WalkJSON(doc, Limits{}, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGzip(b *testing.B) {
	doc := salesforcePage(160) // ~100 KB
	wire, err := Encode(nil, doc, "gzip")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("ReadAll", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ReadAll(bytes.NewReader(wire), "gzip", 1<<20); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Encode", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		buf := make([]byte, 0, len(wire)*2)
		for b.Loop() {
			if _, err := Encode(buf[:0], doc, "gzip"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
