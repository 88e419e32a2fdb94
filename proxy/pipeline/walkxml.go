package pipeline

import (
	"bytes"
	"strings"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/crm"
)

// soapEnvelopes are the namespaces of a SOAP 1.1 and 1.2 envelope.
var soapEnvelopes = [...]string{"http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope"}

// XMLLists are the element names that are always list items in
// Salesforce's XML: records of a REST query, a SOAP query's records and
// a write's sObjects, a SOSL search's records (REST XML searchRecords,
// SOAP record), Bulk API 1.0 batches and results. Their pointers carry an index even when a page holds one.
var XMLLists = []string{"records", "sObjects", "sObject", "record", "result", "searchRecords"}

// xmlRecordNames are the list items that are records.
func isXMLRecordName(name []byte) bool {
	switch string(name) {
	case "records", "sObjects", "sObject", "record", "searchRecords":
		return true
	}
	return false
}

// walkXML scans an XML body (Salesforce REST XML, a SOAP envelope, a Bulk
// API 1.0 batch or result): every element's text, attribute and comment.
// A record is a list item named as Salesforce names records (records,
// sObjects, sObject, record; a SOAP retrieve's result), or, for a call on
// one record, the document itself; its fields are its elements, its
// object the type attribute (REST) or type element (SOAP), its id the Id
// element, its consent flags the flags' elements, as in JSON and CSV.
func (p *Pipeline) walkXML(m *Message, records *recordTable, leaves []leaf, finds []detectors.Finding) ([]leaf, []detectors.Finding, error) {
	d, err := body.ParseXML(m.Body, body.XMLOptions{MaxDepth: p.limits.MaxDepth, Lists: XMLLists})
	if err != nil {
		return leaves, finds, err
	}
	m.xml = d
	space, _ := d.Root()
	soap := space == soapEnvelopes[0] || space == soapEnvelopes[1]
	if soap {
		m.Info.Format = FormatSOAP
	}
	var (
		scratch  []detectors.Finding
		fields   fieldClassifier
		recs     xmlRecords
		op       string // a SOAP call's operation: the Body's first element
		values   []byte // every leaf's value, in turn (after an earlier part's, pooled)
		pointers []byte // every leaf's pointer, in turn; one string in the end
		ends     []int  // where each ends in pointers
		base     = len(leaves)
		named    = xmlNames{parent: -2}
	)
	if m.scratch != nil {
		values, pointers, ends = m.scratch.values, m.scratch.pointers[:0], m.scratch.ends[:0]
		named.slots = m.scratch.xmlSlots[:0]
		defer func() {
			m.scratch.values, m.scratch.pointers, m.scratch.ends = values, pointers, ends
			m.scratch.xmlSlots = named.slots
		}()
	}
	recs.single, recs.leafParent = !m.Call.Collection, -1
	dialect := m.Route.Dialect
	err = d.Walk(func(v *body.XMLValue) error {
		if err := records.tick(); err != nil { // the client gone, the budget spent (budget.go)
			return err
		}
		if soap && op == "" && v.Segments() > 2 {
			if k, _ := v.Segment(1); string(k) == "Body" {
				k2, _ := v.Segment(2)
				op = string(k2)
			}
		}
		rec, own := recs.of(v, soap)
		field := v.Name
		var slot *xmlSlot // what v's name means, kept from the record before
		if !v.Comment {
			slot = named.at(v.Parent, field)
		}
		if rec >= 0 && !v.Comment {
			r := records.at(rec)
			switch {
			case v.Attr && own && string(v.Name) == "url" && len(v.Space) == 0:
				// <records url="…/Contact/003…">: the id when Id is not selected.
				if id := crm.IDFromURL(v.Text); id != nil {
					records.setID(rec, id)
				}
			case v.Attr && own && string(v.Name) == "type" && len(v.Space) == 0,
				!v.Attr && string(v.Name) == "type" && recs.fieldOf(v):
				// REST: <records type="Contact">; SOAP: <sf:type>Contact</sf:type>.
				records.setObject(rec, v.Text)
				fields.object = r.object
			case !v.Attr && recs.fieldOf(v):
				if !slot.described {
					slot.role, slot.consent = crm.DescribeColumn(dialect, v.Name, p.consent)
					slot.described = true
				}
				switch role, ck := slot.role, slot.consent; role {
				case crm.RoleID:
					if !v.Nil && len(v.Text) > 0 {
						records.setID(rec, v.Text)
					}
				case crm.RoleConsent:
					records.setFlag(rec, ck, !v.Nil && crm.Truthy(false, v.Text))
				}
			}
		}
		if len(v.Text) == 0 {
			return nil
		}
		if !v.Comment {
			m.noteQuery(v.Text) // a SOAP query's queryString, search's searchString
		}
		var f detectors.Field
		if !v.Comment {
			if slot.stale(&fields) {
				slot.keep(&fields, field)
			}
			f = slot.field
		}
		scratch = p.scanner.Scan(scratch[:0], v.Text, f)
		if len(scratch) == 0 {
			return nil
		}
		var text []byte
		values, text = keepBytes(values, v.Text)
		pointers = v.AppendPointer(pointers)
		ends = append(ends, len(pointers))
		leaves = append(leaves, leaf{start: v.Start, end: v.End, value: text, field: f.Name,
			record: rec, from: len(finds), to: len(finds) + len(scratch)})
		finds = append(finds, scratch...)
		if rec >= 0 {
			if r := records.at(rec); r.pointer == "" {
				r.pointer = recs.pointer
			}
		}
		return nil
	})
	setPointers(leaves[base:], pointers, ends)
	if soap && err == nil {
		m.Call = soapCall(op, records)
	}
	return leaves, finds, err
}

// xmlNames keeps what the walk worked out from a value's name alone: its
// field (by the object it was classified under) and its role in its
// record (id, consent flag). A record's fields come in the same order in
// every record, so the n-th value under one parent element reuses what
// the n-th value under the parent before got, when it has the same name;
// another name starts the slot afresh. Without shapes (JSON's), this
// spares a repeated record a map lookup or two per value.
type xmlNames struct {
	parent int // the parent element of the last value
	pos    int // the next value's position under it
	slots  []xmlSlot
	spare  xmlSlot // past maxXMLSlots: a slot for one value, never reused
}

type xmlSlot struct {
	name []byte // in the document: valid for the walk
	keptField
	described bool
	role      int
	consent   string
}

// maxXMLSlots bounds the slots of one walk: a value at a later position
// under its parent gets the spare slot, emptied (noXMLSlots: every value).
const maxXMLSlots = 1024

// noXMLSlots, for tests, works every value's name out afresh.
var noXMLSlots bool

// at is the slot of a value named name, the next under parent.
func (n *xmlNames) at(parent int, name []byte) *xmlSlot {
	if parent != n.parent {
		n.parent, n.pos = parent, 0
	}
	i := n.pos
	n.pos++
	if i >= maxXMLSlots || noXMLSlots {
		n.spare = xmlSlot{name: name}
		return &n.spare
	}
	if i == len(n.slots) {
		n.slots = append(n.slots, xmlSlot{})
	}
	s := &n.slots[i]
	if !bytes.Equal(s.name, name) {
		*s = xmlSlot{name: name}
	}
	return s
}

// soapCall is what a SOAP API call means to the CRM, as crm.Classify
// says it of a REST path: its operation (a response's is its request's:
// queryResponse is a query) and the object of its first record.
func soapCall(op string, records *recordTable) crm.Call {
	c := crm.Call{Operation: crm.OpOther, Collection: true}
	switch strings.TrimSuffix(op, "Response") {
	case "query", "queryAll", "queryMore":
		c.Operation = crm.OpQuery
	case "retrieve":
		c.Operation = crm.OpRetrieve
	case "search":
		c.Operation = crm.OpSearch
	case "create":
		c.Operation = crm.OpCreate
	case "update", "upsert":
		c.Operation = crm.OpUpdate
	case "delete", "undelete":
		c.Operation = crm.OpDelete
	}
	if r := records.get(0); r != nil {
		c.Object = r.object
	}
	return c
}

// xmlRecords numbers the records of an XML document as the walk meets
// them: a record is known by its pointer (the path down to its list
// item), so a subquery's records inside a record are records of their
// own and the outer record's later fields are still the outer record's.
type xmlRecords struct {
	single  bool           // a call on one record: the document is record 0
	byPath  map[string]int // record pointer → index
	pointer string         // the current value's record pointer
	buf     []byte         // where a record's pointer is built
	depth   int            // segments of the current value's path that lead to its record
	// The last record met, by its path's segments (names in names): a
	// record's values come one after the other, so its pointer is built
	// and looked up once, not once per value.
	segs  []xmlSeg
	names []byte
	rec   int
	// The record of an unindexed leaf's values is its parent element's
	// alone (see of): the last such parent and what of made of it.
	leafParent         int // -1: none yet
	leafRec, leafDepth int
	leafPointer        string
	noMemo             bool // tests: every value the long way
}

type xmlSeg struct{ from, to, index int } // a name in names, or an index (from < 0)

// same reports whether v's first n segments are the last record's.
func (x *xmlRecords) same(v *body.XMLValue, n int) bool {
	if len(x.segs) != n {
		return false
	}
	for i, s := range x.segs {
		k, idx := v.Segment(i)
		if k == nil {
			if s.from >= 0 || s.index != idx {
				return false
			}
		} else if s.from < 0 || string(k) != string(x.names[s.from:s.to]) {
			return false
		}
	}
	return true
}

// remember keeps v's first n segments as the last record's.
func (x *xmlRecords) remember(v *body.XMLValue, n, rec int) {
	x.segs, x.names, x.rec = x.segs[:0], x.names[:0], rec
	for i := range n {
		k, idx := v.Segment(i)
		if k == nil {
			x.segs = append(x.segs, xmlSeg{-1, -1, idx})
			continue
		}
		from := len(x.names)
		x.names = append(x.names, k...)
		x.segs = append(x.segs, xmlSeg{from, len(x.names), 0})
	}
}

// of returns the record of v (-1 for none) and whether v is an attribute
// of the record's own element.
//
// For an unindexed leaf's text or attribute, the record is a function of
// the leaf's parent element P alone: no segment after P's can end a
// record (the leaf's name is followed by nothing or by "@name", neither
// an index) nor be a parent record (a leaf is none). Nor is such a value
// ever its record element's own attribute: that is one segment under the
// record's element, and the leaf's attribute is at least two (a record
// element, a list item, is always indexed, so never this leaf). So a
// record's fields, one after the other, reuse what the first made of
// their parent.
func (x *xmlRecords) of(v *body.XMLValue, soap bool) (rec int, own bool) {
	n := v.Segments()
	elemSegs := n // the leaf's own segments, when v is an unindexed leaf's
	if v.Attr {
		elemSegs--
	}
	memo := !x.noMemo && v.Leaf && !v.Comment && v.Parent >= 0
	if memo {
		if k, _ := v.Segment(elemSegs - 1); k == nil {
			memo = false // indexed: its name and index may end a record
		} else if v.Parent == x.leafParent {
			x.pointer, x.depth = x.leafPointer, x.leafDepth
			return x.leafRec, false
		}
	}
	rec, own = x.walk(v, soap, n)
	if memo {
		x.leafParent, x.leafRec, x.leafDepth, x.leafPointer = v.Parent, rec, x.depth, x.pointer
	}
	return rec, own
}

// walk is of the long way: v's path read segment by segment.
func (x *xmlRecords) walk(v *body.XMLValue, soap bool, n int) (rec int, own bool) {
	end := -1 // the record's list index segment
	retrieve := false
	for i := 0; i < n; i++ {
		k, _ := v.Segment(i)
		if k == nil {
			continue
		}
		if soap && i == 2 && string(k) == "retrieveResponse" {
			retrieve = true
		}
		if i+1 < n {
			if k1, _ := v.Segment(i + 1); k1 == nil && (isXMLRecordName(k) || retrieve && string(k) == "result") {
				end = i + 1
			}
		}
	}
	parent := false
	if end >= 0 {
		// A record's child element that has children of its own is a
		// parent record reached through a relationship (<Contact> in a
		// Case: SELECT Contact.Email FROM Case), nested like a JSON one.
		// A leaf is none, whatever follows its name in v's path: its
		// index among same-named siblings, an attribute
		// (<Phone xsi:nil="true"/>), a comment.
		lim := n - 1 // segments that may be a parent: all but v's own
		if v.Leaf {
			lim = v.Segments()
			if v.Attr || v.Comment {
				lim-- // the @name or #comment
			}
			if k, _ := v.Segment(lim - 1); k == nil {
				lim-- // the leaf's index
			}
			lim-- // the leaf's name
		}
		for i := end + 1; i < lim; i++ {
			k, _ := v.Segment(i)
			if k == nil || !crm.IsParentMember(k) {
				break
			}
			end, parent = i, true
		}
	}
	if end < 0 {
		x.pointer, x.depth, x.segs = "", 0, x.segs[:0]
		if x.single && !soap {
			return 0, v.Attr && n == 2 // the root's own attributes
		}
		return -1, false
	}
	x.depth = end + 1
	if x.same(v, x.depth) {
		return x.rec, v.Attr && n == x.depth+1
	}
	p := x.buf[:0]
	for i := 0; i <= end; i++ {
		k, idx := v.Segment(i)
		p = append(p, '/')
		if k == nil {
			p = appendInt(p, idx)
		} else {
			p = body.AppendPointerToken(p, k)
		}
	}
	x.buf = p
	if x.byPath == nil {
		x.byPath = map[string]int{}
	}
	rec, ok := x.byPath[string(p)]
	if ok {
		x.pointer = string(p) // a record met again, after a nested one
	} else {
		rec = len(x.byPath)
		if x.single && !soap {
			rec++ // record 0 is the document's own
		}
		if parent {
			rec += nestedBase // not of the call's object: unknown until its type says
		}
		x.pointer = string(p)
		x.byPath[x.pointer] = rec
	}
	x.remember(v, x.depth, rec)
	return rec, v.Attr && n == x.depth+1
}

// fieldOf reports whether v is a field of its record: an element directly
// inside the record's element.
func (x *xmlRecords) fieldOf(v *body.XMLValue) bool {
	if x.pointer == "" {
		return v.Segments() == 2 // a single record's field: root/field
	}
	return v.Segments() == x.depth+1
}

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}
