package pipeline

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/veil-proxy/veil/proxy/benchdata"
	"github.com/veil-proxy/veil/proxy/body"
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
