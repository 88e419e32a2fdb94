package fakecrm

// The REST API's XML format, and the XML plumbing the SOAP API (soap.go)
// and Bulk API 1.0 (bulkv1.go) share.
//
// A REST request gets XML when its Accept header names application/xml or
// text/xml before application/json, or when its path ends in .xml (.json
// forces JSON), as Salesforce documents. The shapes follow Salesforce's:
//
//	retrieve  <Contact type="Contact" url="/services/data/v62.0/sobjects/Contact/003…"
//	            xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><Id>…</Id><MobilePhone xsi:nil="true"/>…</Contact>
//	query     <QueryResult xmlns="http://www.force.com/2009/06/asyncapi/dataload" xmlns:xsi="…">
//	            <done>false</done><nextRecordsUrl>…</nextRecordsUrl>
//	            <records type="Contact" url="…"><Id>…</Id><Account type="Account" url="…"><Name>…</Name></Account></records>…
//	            <totalSize>12</totalSize></QueryResult>
//	create    <Result><id>003…</id><success>true</success></Result>
//	errors    <Errors><Error><errorCode>NOT_FOUND</errorCode><message>…</message></Error></Errors>
//
// (Salesforce's XML lists a result's properties alphabetically and leaves
// empty lists out, hence no <errors/> in a create's Result.) Create and
// update bodies may be XML (Content-Type application/xml or text/xml)
// whatever the Accept header: <Contact><LastName>…</LastName><Phone
// xsi:nil="true"/></Contact>, the root's name being free; values are typed
// like the fields' stored values (booleans, numbers) and stored as a JSON
// body's are.

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"
)

const (
	nsXSI      = "http://www.w3.org/2001/XMLSchema-instance"
	nsDataload = "http://www.force.com/2009/06/asyncapi/dataload"
	xmlDecl    = `<?xml version="1.0" encoding="UTF-8"?>`
	ctXML      = "application/xml;charset=UTF-8"
)

type formatKey struct{}

// withFormat records on r that its path's suffix chose XML (or JSON).
func withFormat(r *http.Request, asXML bool) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), formatKey{}, asXML))
}

// wantsXML reports whether a REST answer to r is XML: the path's suffix
// decides, else the first of JSON or XML the Accept header names.
func wantsXML(r *http.Request) bool {
	if v, ok := r.Context().Value(formatKey{}).(bool); ok {
		return v
	}
	if strings.HasPrefix(r.URL.Path, "/services/data/") && strings.HasSuffix(r.URL.Path, ".xml") {
		return true // an error answered before routing strips the suffix
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := strings.Cut(part, ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "application/json":
			return false
		case "application/xml", "text/xml":
			return true
		}
	}
	return false
}

// isXMLType reports whether a Content-Type header names XML.
func isXMLType(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/xml" || mt == "text/xml"
}

// ---- writing ----

// xw writes XML by hand (element names are field names, known only at run
// time), escaping text and attribute values with encoding/xml. The first
// write error sticks and stops the rest.
type xw struct {
	w   io.Writer
	err error
}

func (x *xw) raw(s string) {
	if x.err == nil {
		_, x.err = io.WriteString(x.w, s)
	}
}

func (x *xw) text(s string) {
	if x.err == nil {
		x.err = xml.EscapeText(x.w, []byte(s))
	}
}

// start opens name with attributes given as name, value pairs.
func (x *xw) start(name string, attrs ...string) {
	x.raw("<" + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		x.raw(" " + attrs[i] + `="`)
		x.text(attrs[i+1])
		x.raw(`"`)
	}
	x.raw(">")
}

func (x *xw) end(name string) { x.raw("</" + name + ">") }

func (x *xw) leaf(name, v string) {
	x.start(name)
	x.text(v)
	x.end(name)
}

func (x *xw) nilLeaf(name string) { x.raw("<" + name + ` xsi:nil="true"/>`) }

// value writes a stored value (null as xsi:nil).
func (x *xw) value(name string, v any) {
	if v == nil {
		x.nilLeaf(name)
		return
	}
	x.leaf(name, csvCell(v))
}

// recStyle is how an API writes a record.
type recStyle struct {
	prefix    string // of field elements: "sf:" in SOAP
	restAttrs bool   // type and url attributes (REST)
	xsiType   string // xsi:type attribute; "sf:*" is sf:<object> (Enterprise)
	typeElem  bool   // a <type> child first (Partner, Bulk 1.0)
	leadID    bool   // then an <Id> child, nil when Id is not selected (Partner, Bulk 1.0)
}

var (
	styleREST       = recStyle{restAttrs: true}
	stylePartner    = recStyle{prefix: "sf:", xsiType: "sf:sObject", typeElem: true, leadID: true}
	styleEnterprise = recStyle{prefix: "sf:", xsiType: "sf:*"}
	styleBulkV1     = recStyle{xsiType: "sObject", typeElem: true, leadID: true}
)

// attrs are a projected record's type and url.
func (rec orderedRecord) attrs() (typ, url string) {
	a, _ := rec.vals["attributes"].(map[string]string)
	return a["type"], a["url"]
}

// record writes rec as elem in style st; id, when not empty, replaces the
// record's Id (generated results), and extra are more attributes.
func (x *xw) record(elem string, rec orderedRecord, st recStyle, id string, extra ...string) {
	typ, url := rec.attrs()
	var attrs []string
	if st.restAttrs {
		attrs = append(attrs, "type", typ, "url", url)
	}
	switch st.xsiType {
	case "":
	case "sf:*":
		attrs = append(attrs, "xsi:type", "sf:"+typ)
	default:
		attrs = append(attrs, "xsi:type", st.xsiType)
	}
	x.start(elem, append(attrs, extra...)...)
	if st.typeElem {
		x.leaf(st.prefix+"type", typ)
	}
	idv, hasID := rec.vals["Id"]
	if id != "" {
		idv = id
	}
	if st.leadID {
		if hasID {
			x.value(st.prefix+"Id", idv)
		} else {
			x.nilLeaf(st.prefix + "Id")
		}
	}
	for _, k := range rec.keys {
		if k == "attributes" || !xmlName(k) {
			continue
		}
		switch v := rec.vals[k].(type) {
		case orderedRecord:
			x.record(st.prefix+k, v, st, "")
		default:
			if k == "Id" {
				x.value(st.prefix+k, idv)
			} else {
				x.value(st.prefix+k, v)
			}
		}
	}
	x.end(elem)
}

// xmlName reports whether a field's name can name an element (fields
// created through JSON may have any name; such fields are left out).
func xmlName(s string) bool {
	for i, c := range s {
		switch {
		case c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != "" && !strings.HasPrefix(strings.ToLower(s), "xml")
}

// writeDoc writes what fill writes after the XML declaration.
func writeDoc(w http.ResponseWriter, r *http.Request, status int, ctype string, etag bool, fill func(x *xw)) {
	var b bytes.Buffer
	x := &xw{w: &b}
	x.raw(xmlDecl)
	fill(x)
	writeBytes(w, r, status, ctype, b.Bytes(), etag)
}

func writeErrorsXML(w http.ResponseWriter, r *http.Request, status int, code, msg string, fields []string) {
	writeDoc(w, r, status, ctXML, false, func(x *xw) {
		x.start("Errors")
		x.start("Error")
		x.leaf("errorCode", code)
		for _, f := range fields {
			x.leaf("fields", f)
		}
		x.leaf("message", msg)
		x.end("Error")
		x.end("Errors")
	})
}

// writeQueryXML writes a page of a REST query; next is the nextRecordsUrl
// ("" on the last page).
func writeQueryXML(w http.ResponseWriter, r *http.Request, total int, next string, recs []orderedRecord) {
	writeDoc(w, r, 200, ctXML, false, func(x *xw) {
		x.start("QueryResult", "xmlns", nsDataload, "xmlns:xsi", nsXSI)
		x.leaf("done", strconv.FormatBool(next == ""))
		if next != "" {
			x.leaf("nextRecordsUrl", next)
		}
		for _, rec := range recs {
			x.record("records", rec, styleREST, "")
		}
		x.leaf("totalSize", strconv.Itoa(total))
		x.end("QueryResult")
	})
}

// writeRecordXML writes a retrieved record, its root named after its
// object, with a strong ETag as the JSON form has.
func writeRecordXML(w http.ResponseWriter, r *http.Request, rec orderedRecord) {
	typ, _ := rec.attrs()
	writeDoc(w, r, 200, ctXML, true, func(x *xw) {
		x.record(typ, rec, styleREST, "", "xmlns:xsi", nsXSI)
	})
}

func writeSaveResultXML(w http.ResponseWriter, r *http.Request, id string) {
	writeDoc(w, r, 201, ctXML, false, func(x *xw) {
		x.start("Result")
		x.leaf("id", id)
		x.leaf("success", "true")
		x.end("Result")
	})
}

// ---- reading ----

// xnode is a parsed XML element: the SOAP and Bulk 1.0 handlers read
// their requests as trees and match elements by local name, whatever
// namespace or prefix the client chose.
type xnode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Kids    []xnode    `xml:",any"`
}

// parseXML reads one document (encoding/xml with its defaults).
func parseXML(rd io.Reader) (*xnode, error) {
	var n xnode
	if err := xml.NewDecoder(rd).Decode(&n); err != nil {
		return nil, err
	}
	return &n, nil
}

// child is n's first child named local, or nil.
func (n *xnode) child(local string) *xnode {
	for i := range n.Kids {
		if n.Kids[i].XMLName.Local == local {
			return &n.Kids[i]
		}
	}
	return nil
}

// children are n's children named local.
func (n *xnode) children(local string) []*xnode {
	var out []*xnode
	for i := range n.Kids {
		if n.Kids[i].XMLName.Local == local {
			out = append(out, &n.Kids[i])
		}
	}
	return out
}

// childText is the trimmed text of n's first child named local.
func (n *xnode) childText(local string) string {
	if c := n.child(local); c != nil {
		return strings.TrimSpace(c.Text)
	}
	return ""
}

// attr is the value of n's attribute named local, in any namespace.
func (n *xnode) attr(local string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == local && a.Name.Space != "xmlns" {
			return a.Value
		}
	}
	return ""
}

// isNil reports xsi:nil="true".
func (n *xnode) isNil() bool {
	v := n.attr("nil")
	return v == "true" || v == "1"
}

// readRecord reads a create or update body, XML or JSON by its
// Content-Type, answering the error itself when it cannot.
func readRecord(w http.ResponseWriter, r *http.Request, obj *sobjects) (map[string]any, bool) {
	if !isXMLType(r.Header.Get("Content-Type")) {
		var rec map[string]any
		if err := readBody(r, &rec); err != nil {
			sfError(w, r, 400, "JSON_PARSER_ERROR", "The request body is not valid JSON")
			return nil, false
		}
		return rec, true
	}
	rd, err := openBody(r)
	var root *xnode
	if err == nil {
		root, err = parseXML(rd)
	}
	if err != nil {
		sfError(w, r, 400, "XML_PARSER_ERROR", "The request body is not valid XML: "+err.Error())
		return nil, false
	}
	rec := map[string]any{}
	for i := range root.Kids {
		f := &root.Kids[i]
		if len(f.Kids) > 0 {
			sfError(w, r, 400, "XML_PARSER_ERROR", "Field "+f.XMLName.Local+" has child elements; compound fields are not supported")
			return nil, false
		}
		name := f.XMLName.Local
		if c, ok := obj.fields[strings.ToLower(name)]; ok {
			name = c
		}
		if f.isNil() {
			rec[name] = nil
		} else {
			rec[name] = typed(obj, name, f.Text)
		}
	}
	return rec, true
}
