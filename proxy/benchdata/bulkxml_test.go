package benchdata

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
)

// readBulkXML reads a Bulk API 1.0 XML query result with encoding/xml,
// strictly: the root in the dataload namespace declaring xsi, records of
// xsi:type sObject, each a type element and leaf fields in order.
func readBulkXML(t *testing.T, doc []byte) (types []string, records [][]field) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var path []string
	var rec []field
	var typ string
	var text strings.Builder
	var null bool
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			path = append(path, tok.Name.Local)
			text.Reset()
			null = false
			if tok.Name.Space != nsDataload {
				t.Fatalf("%s in namespace %q", tok.Name.Local, tok.Name.Space)
			}
			attr := map[string]string{}
			for _, a := range tok.Attr {
				attr[a.Name.Space+" "+a.Name.Local] = a.Value
			}
			switch len(path) {
			case 1:
				if tok.Name.Local != "queryResult" || attr["xmlns xsi"] != nsXSI || attr[" xmlns"] != nsDataload {
					t.Fatalf("root %v", tok)
				}
			case 2:
				if tok.Name.Local != "records" || attr[nsXSI+" type"] != "sObject" || len(attr) != 1 {
					t.Fatalf("record %v", tok)
				}
				rec, typ = nil, ""
			case 3:
				null = attr[nsXSI+" nil"] == "true"
			default:
				t.Fatalf("%s is nested too deep", strings.Join(path, "/"))
			}
		case xml.CharData:
			if len(path) < 3 && len(bytes.TrimSpace(tok)) > 0 {
				t.Fatalf("text %q in %s", tok, strings.Join(path, "/"))
			}
			text.Write(tok)
		case xml.EndElement:
			switch len(path) {
			case 2:
				types = append(types, typ)
				records = append(records, rec)
			case 3:
				if null && text.Len() > 0 {
					t.Fatalf("%s: xsi:nil with text %q", path[2], text.String())
				}
				if path[2] == "type" && len(rec) == 0 && typ == "" {
					typ = text.String()
				} else {
					rec = append(rec, field{name: path[2], value: text.String(), null: null})
				}
			}
			path = path[:len(path)-1]
		}
	}
	return types, records
}

// The Bulk API 1.0 XML result holds exactly the JSON query page's
// records (the same fields in the same order with the same values, nulls
// as xsi:nil, booleans as their literals, escaped text read back the
// same), each typed Contact, and the CSV rows' values.
func TestBulkXMLMatchesJSON(t *testing.T) {
	for _, n := range []int{0, 1, 8, 81} {
		j := readJSONPage(t, QueryPage(n))
		types, recs := readBulkXML(t, BulkXMLResult(n))
		if len(recs) != n || len(j.records) != n {
			t.Fatalf("%d records: %d in JSON, %d in XML", n, len(j.records), len(recs))
		}
		for i := range n {
			if types[i] != "Contact" || j.types[i] != types[i] {
				t.Errorf("record %d: type %q in XML, %q in JSON", i, types[i], j.types[i])
			}
			if fmt.Sprint(recs[i]) != fmt.Sprint(j.records[i]) {
				t.Errorf("record %d:\nXML  %v\nJSON %v", i, recs[i], j.records[i])
			}
		}
	}
	// The CSV rows' cells are the XML records' fields of the same names.
	csvDoc := []byte(CSVHeader)
	for i := range 200 {
		csvDoc = AppendCSVRow(csvDoc, i)
	}
	rows, err := csv.NewReader(bytes.NewReader(csvDoc)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	_, recs := readBulkXML(t, BulkXMLResult(200))
	for i, row := range rows[1:] {
		byName := map[string]string{}
		for _, f := range recs[i] {
			byName[f.name] = f.value
		}
		for c, name := range rows[0] {
			if byName[name] != row[c] {
				t.Errorf("record %d: %s %q in XML, %q in CSV", i, name, byName[name], row[c])
			}
		}
	}
	// Escaping is exercised: record 21 is an O'Connor.
	if LastName(21) != "O'Connor" || !bytes.Contains(BulkXMLResult(22), []byte("<LastName>O&#39;Connor</LastName>")) {
		t.Errorf("record 21: %q, not escaped as expected", LastName(21))
	}
}

// The appender writes what the REST XML's field list (contactFields,
// escaped by encoding/xml) gives, byte for byte, over every combination of
// the generated values' lists, and does not allocate.
func TestAppendContactBulkXML(t *testing.T) {
	for i := range 5000 {
		want := []byte(`<records xsi:type="sObject"><type>Contact</type>`)
		for _, f := range contactFields(i) {
			if f.null {
				want = fmt.Appendf(want, `<%s xsi:nil="true"/>`, f.name)
				continue
			}
			want = fmt.Appendf(want, "<%s>%s</%s>", f.name, appendEscaped(nil, f.value), f.name)
		}
		want = append(want, "</records>"...)
		if got := AppendContactBulkXML(nil, i); !bytes.Equal(got, want) {
			t.Fatalf("record %d:\n got %s\nwant %s", i, got, want)
		}
	}
	for _, s := range []string{"a\"b'c&d<e>f\tg\nh\ri", "Chloé Fernández", ""} {
		if got, want := appendText(nil, s), appendEscaped(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendText(%q) = %q, want %q", s, got, want)
		}
	}
	buf := make([]byte, 0, 4<<10)
	if a := testing.AllocsPerRun(100, func() { buf = AppendContactBulkXML(buf[:0], 12345) }); a != 0 {
		t.Errorf("%.0f allocations per record", a)
	}
	if n := len(AppendContactBulkXML(nil, 0)); n < 1200 || n > 1800 {
		t.Errorf("a record is %d bytes", n)
	}
}
