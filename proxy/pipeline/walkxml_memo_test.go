package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/veil-proxy/veil/proxy/benchdata"
	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/crm"
)

// xmlRecordsAgree walks doc with two record trackers, one reusing a
// leaf's parent's record (xmlRecords.of) and one reading every value's
// path, and fails on the first value they place differently.
func xmlRecordsAgree(t *testing.T, doc []byte, single, soap bool) {
	d, err := body.ParseXML(doc, body.XMLOptions{MaxDepth: 64, Lists: XMLLists})
	if err != nil {
		return
	}
	defer d.Release()
	fast := xmlRecords{single: single, leafParent: -1}
	slow := xmlRecords{single: single, leafParent: -1, noMemo: true}
	err = d.Walk(func(v *body.XMLValue) error {
		r1, o1 := fast.of(v, soap)
		r2, o2 := slow.of(v, soap)
		if r1 != r2 || o1 != o2 || fast.pointer != slow.pointer || fast.depth != slow.depth || fast.fieldOf(v) != slow.fieldOf(v) {
			t.Fatalf("%s: record %d own %v pointer %q depth %d field %v; the long way: %d %v %q %d %v",
				v.Pointer(), r1, o1, fast.pointer, fast.depth, fast.fieldOf(v), r2, o2, slow.pointer, slow.depth, slow.fieldOf(v))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func xmlRecordSeeds(t testing.TB) [][]byte {
	docs := [][]byte{[]byte(xmlPage), []byte(soapPage), []byte(xmlLeafPage), benchdata.QueryPageXML(3), benchdata.BulkXMLResult(3),
		// Leaves that are records, siblings of leaves that are not.
		[]byte(`<QueryResult><done>true</done><records type="Contact"/><records type="Lead">a@example.com</records><size>2</size></QueryResult>`),
		[]byte(`<r><a><records>a@example.com</records><x>1</x><records/><Contact><Email>b@example.com</Email></Contact></a></r>`)}
	files, err := filepath.Glob("../body/testdata/xml/*.xml")
	if err != nil || len(files) == 0 {
		t.Fatalf("XML fixtures: %v %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, b)
	}
	return docs
}

// Reusing a leaf's parent's record changes nothing: every value of every
// page is placed as reading its whole path places it.
func TestXMLRecordsMemo(t *testing.T) {
	for _, doc := range xmlRecordSeeds(t) {
		for _, single := range []bool{false, true} {
			for _, soap := range []bool{false, true} {
				xmlRecordsAgree(t, doc, single, soap)
			}
		}
	}
	// The benchmark's page: its fields are placed from the memo.
	d, err := body.ParseXML(benchdata.QueryPageXML(2), body.XMLOptions{MaxDepth: 64, Lists: XMLLists})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	x := xmlRecords{leafParent: -1}
	hits := 0
	_ = d.Walk(func(v *body.XMLValue) error {
		before := x.leafParent
		x.of(v, false)
		if before == v.Parent && v.Leaf {
			hits++
		}
		return nil
	})
	if hits < 60 {
		t.Errorf("%d values of two records placed from the memo", hits)
	}
}

func FuzzXMLRecordsMemo(f *testing.F) {
	for _, doc := range xmlRecordSeeds(f) {
		f.Add(doc, false, false)
	}
	f.Fuzz(func(t *testing.T, doc []byte, single, soap bool) {
		if len(doc) > 1<<16 {
			return
		}
		xmlRecordsAgree(t, doc, single, soap)
	})
}

// xmlInputs processes each document alone, through one Pipeline, and
// returns the policy input and the body each got.
func xmlInputs(t *testing.T, docs [][]byte) (ins, bodies []string) {
	p := realPipe(t, config.Limits{})
	rec := &inputs{Decider: p.decider}
	p.decider = rec
	for _, doc := range docs {
		rec.seen = rec.seen[:0]
		m := &Message{Direction: DirResponse, Route: sfRoute, Method: "GET", Path: "/x",
			Call:  crm.Classify(config.DialectSalesforce, "GET", "/services/data/v62.0/query", nil),
			Scope: principal("analyst"), Body: doc, Format: FormatXML}
		res := p.Process(context.Background(), m)
		in := ""
		if len(rec.seen) == 1 {
			in = rec.seen[0]
		}
		ins, bodies = append(ins, in), append(bodies, fmt.Sprintf("%v %s", res.Err, res.Body))
	}
	return ins, bodies
}

// xmlNamesAgree holds what the walk keeps from a value's name (its field,
// its role in the record) to working it out for every value.
func xmlNamesAgree(t *testing.T, docs [][]byte) {
	wantIn, wantBody := func() ([]string, []string) {
		noXMLSlots = true
		defer func() { noXMLSlots = false }()
		return xmlInputs(t, docs)
	}()
	gotIn, gotBody := xmlInputs(t, docs)
	for i := range docs {
		if gotIn[i] != wantIn[i] || gotBody[i] != wantBody[i] {
			t.Fatalf("document %d %q:\nwith names kept %s\n%s\nper value %s\n%s", i, docs[i], gotIn[i], gotBody[i], wantIn[i], wantBody[i])
		}
	}
}

// Records of other objects with the same field names, fields in another
// order, a field missing, a consent flag where another record has a
// plain field, attributes and comments among them: what is kept by
// position is what each value gets alone.
func TestXMLNamesMatchPerValue(t *testing.T) {
	const head = `<?xml version="1.0" encoding="UTF-8"?><QueryResult xmlns="http://www.force.com/2009/06/asyncapi/dataload" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`
	mixed := head +
		`<records type="Account"><Id>001A</Id><Name>Acme Corp</Name><Phone>+1 415 555 0100</Phone></records>` +
		`<records type="Contact"><Id>003A</Id><Name>Jane Roe</Name><Phone>+1 415 555 0101</Phone><HasOptedOutOfEmail>true</HasOptedOutOfEmail></records>` +
		`<records type="Contact"><Id>003B</Id><Phone>+1 415 555 0102</Phone><Name>Jo Doe</Name><Email>jo@example.com</Email></records>` +
		`<records type="Lead"><Id>00QA</Id><HasOptedOutOfEmail>false</HasOptedOutOfEmail><Name>Ann Lee</Name><!--Name--><Email note="x@example.com">ann@example.com</Email></records>` +
		`<records type="Contact"><Id xsi:nil="true"/><Name>Al Bo</Name><Name>Cy Do</Name><Phone>+1 415 555 0103</Phone></records>` +
		`<totalSize>5</totalSize></QueryResult>`
	docs := append(xmlRecordSeeds(t), []byte(mixed))
	xmlNamesAgree(t, docs)
}

func FuzzXMLNamesMatchPerValue(f *testing.F) {
	for _, doc := range xmlRecordSeeds(f) {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if len(doc) > 1<<14 {
			return
		}
		xmlNamesAgree(t, [][]byte{doc})
	})
}
