package benchdata

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
)

// field is a value of a parsed record: its text, or null.
type field struct {
	name, value string
	null        bool
}

// parsedPage is a query result read back: its records' type and url, and
// their fields in order.
type parsedPage struct {
	totalSize int
	done      bool
	types     []string
	urls      []string
	records   [][]field
}

// readJSONPage reads a JSON query result with encoding/json, keeping the
// order of each record's fields; booleans are their literals, as XML
// writes them.
func readJSONPage(t *testing.T, doc []byte) parsedPage {
	t.Helper()
	var page struct {
		TotalSize int               `json:"totalSize"`
		Done      bool              `json:"done"`
		Records   []json.RawMessage `json:"records"`
	}
	if err := json.Unmarshal(doc, &page); err != nil {
		t.Fatal(err)
	}
	p := parsedPage{totalSize: page.TotalSize, done: page.Done}
	for _, raw := range page.Records {
		var attrs struct {
			Attributes struct{ Type, URL string } `json:"attributes"`
		}
		if err := json.Unmarshal(raw, &attrs); err != nil {
			t.Fatal(err)
		}
		p.types = append(p.types, attrs.Attributes.Type)
		p.urls = append(p.urls, attrs.Attributes.URL)
		dec := json.NewDecoder(bytes.NewReader(raw))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			t.Fatalf("record %d: %v %v", len(p.records), tok, err)
		}
		var rec []field
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			name := tok.(string)
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			switch v := v.(type) {
			case nil:
				rec = append(rec, field{name: name, null: true})
			case string:
				rec = append(rec, field{name: name, value: v})
			case bool:
				rec = append(rec, field{name: name, value: fmt.Sprint(v)})
			case map[string]any:
				if name != "attributes" {
					t.Fatalf("record %d: %s is an object", len(p.records), name)
				}
			default:
				t.Fatalf("record %d: %s is a %T", len(p.records), name, v)
			}
		}
		p.records = append(p.records, rec)
	}
	return p
}

const (
	nsXSI      = "http://www.w3.org/2001/XMLSchema-instance"
	nsDataload = "http://www.force.com/2009/06/asyncapi/dataload"
)

// readXMLPage reads a REST XML query result with encoding/xml, strictly:
// the root and its namespaces, done, records of leaf fields, totalSize.
func readXMLPage(t *testing.T, doc []byte) parsedPage {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var p parsedPage
	var path []string
	var rec []field
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
				if tok.Name.Local != "QueryResult" || attr["xmlns xsi"] != nsXSI {
					t.Fatalf("root %v", tok)
				}
			case 2:
				if tok.Name.Local == "records" {
					p.types = append(p.types, attr[" type"])
					p.urls = append(p.urls, attr[" url"])
					rec = nil
				}
			case 3:
				null = attr[nsXSI+" nil"] == "true"
			default:
				t.Fatalf("%s is nested too deep", strings.Join(path, "/"))
			}
		case xml.CharData:
			text.Write(tok)
		case xml.EndElement:
			switch len(path) {
			case 2:
				switch path[1] {
				case "done":
					p.done = text.String() == "true"
				case "totalSize":
					fmt.Sscan(text.String(), &p.totalSize)
				case "records":
					p.records = append(p.records, rec)
				default:
					t.Fatalf("unexpected element %s", path[1])
				}
			case 3:
				if null && text.Len() > 0 {
					t.Fatalf("%s: xsi:nil with text %q", path[2], text.String())
				}
				rec = append(rec, field{name: path[2], value: text.String(), null: null})
			}
			path = path[:len(path)-1]
		}
	}
	return p
}

// The XML page holds exactly the JSON page's records: the same fields in
// the same order with the same values (nulls as xsi:nil, booleans as
// their literals, escaped text read back the same), each record's type
// and url as its attributes, and the same done and totalSize.
func TestXMLPageMatchesJSON(t *testing.T) {
	for _, n := range []int{0, 1, 8, 81} {
		j := readJSONPage(t, QueryPage(n))
		x := readXMLPage(t, QueryPageXML(n))
		if j.totalSize != n || x.totalSize != n || !j.done || !x.done {
			t.Fatalf("%d records: JSON totalSize %d done %v, XML totalSize %d done %v", n, j.totalSize, j.done, x.totalSize, x.done)
		}
		if len(x.records) != n || len(j.records) != n {
			t.Fatalf("%d records: %d in JSON, %d in XML", n, len(j.records), len(x.records))
		}
		for i := range n {
			if x.types[i] != "Contact" || j.types[i] != x.types[i] || j.urls[i] != x.urls[i] {
				t.Errorf("record %d: type %q url %q in XML, %q %q in JSON", i, x.types[i], x.urls[i], j.types[i], j.urls[i])
			}
			if len(j.records[i]) != 36 {
				t.Errorf("record %d: %d fields in JSON, want 36", i, len(j.records[i]))
			}
			if fmt.Sprint(x.records[i]) != fmt.Sprint(j.records[i]) {
				t.Errorf("record %d:\nXML  %v\nJSON %v", i, x.records[i], j.records[i])
			}
		}
	}
	// Escaping is exercised: record 21 is an O'Connor.
	if LastName(21) != "O'Connor" || !bytes.Contains(QueryPageXML(22), []byte("<LastName>O&#39;Connor</LastName>")) {
		t.Errorf("record 21: %q, not escaped as expected", LastName(21))
	}
	for i := range 100 {
		if got := string(AppendContactXML(nil, i)); !strings.HasPrefix(got, `<records type="Contact" url="/services/data/v62.0/sobjects/Contact/`+ContactID(i)+`"><Id>`+ContactID(i)+`</Id>`) {
			t.Fatalf("record %d: %.120s", i, got)
		}
	}
}

// RecordsForXML sizes an XML page as RecordsFor sizes a JSON one: the
// count whose page is closest to the size asked.
func TestRecordsForXML(t *testing.T) {
	for _, c := range []struct{ size, records int }{{1 << 10, 1}, {10 << 10, 6}, {100 << 10, 63}, {1 << 20, 646}} {
		n := RecordsForXML(c.size)
		if n != c.records {
			t.Errorf("%d bytes: %d records, want %d", c.size, n, c.records)
		}
		dist := func(k int) int { d := len(QueryPageXML(k)) - c.size; return max(d, -d) }
		if n > 1 && (dist(n-1) < dist(n) || dist(n+1) < dist(n)) {
			t.Errorf("%d bytes: %d records make %d bytes, not the closest", c.size, n, len(QueryPageXML(n)))
		}
	}
	// The same records in XML are about 1.3 times the JSON's bytes.
	n := RecordsFor(10 << 10)
	if r := float64(len(QueryPageXML(n))) / float64(len(QueryPage(n))); r < 1.2 || r > 1.4 {
		t.Errorf("XML/JSON bytes of %d records: %.2f", n, r)
	}
}
