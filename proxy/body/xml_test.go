package body

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

var sfLists = XMLOptions{Lists: []string{"records", "sObjects"}}

// describeXMLValue is one line per value: pointer, text, then what is
// notable (namespace, nil, type) and the raw span when it is not the text.
func describeXMLValue(doc []byte, v *XMLValue) string {
	s := v.Pointer() + " " + strconv.Quote(string(v.Text))
	if len(v.Space) > 0 {
		s += " ns=" + string(v.Space)
	}
	if v.Nil {
		s += " nil"
	}
	if v.Type != nil {
		s += " type=" + string(v.Type)
	}
	if raw := string(doc[v.Start:v.End]); raw != string(v.Text) {
		s += " raw=" + strconv.Quote(raw)
	}
	return s
}

// xmlDescribe parses doc, checks what every value must satisfy, and
// describes the values.
func xmlDescribe(t *testing.T, doc []byte, o XMLOptions) []string {
	t.Helper()
	d, err := ParseXML(doc, o)
	if err != nil {
		t.Fatalf("ParseXML: %v", err)
	}
	var out []string
	prev := -1
	if err := d.Walk(func(v *XMLValue) error {
		if v.Start <= prev || v.End < v.Start || v.End > len(doc) {
			t.Fatalf("span %d-%d after %d", v.Start, v.End, prev)
		}
		prev = v.Start
		// The path ends with the value's own name; the pointer spells it.
		var segs []string
		for i := range v.Segments() {
			k, idx := v.Segment(i)
			if k == nil {
				segs = append(segs, strconv.Itoa(idx))
			} else {
				segs = append(segs, string(k))
			}
		}
		if p := "/" + strings.Join(segs, "/"); p != v.Pointer() {
			t.Fatalf("segments %q, pointer %q", p, v.Pointer())
		}
		last := string(v.Name)
		if v.Attr {
			last = "@" + last
		}
		if v.Element >= 0 && segs[len(segs)-1] != last && segs[len(segs)-2] != last {
			t.Fatalf("%s does not end with %s", v.Pointer(), last)
		}
		if (v.Element == 0) != (v.Parent == -1 && v.Element >= 0) || v.Parent >= v.Element && v.Element >= 0 {
			t.Fatalf("%s: element %d, parent %d", v.Pointer(), v.Element, v.Parent)
		}
		out = append(out, describeXMLValue(doc, v))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func readXMLFixture(t *testing.T, name string) []byte {
	t.Helper()
	doc, err := os.ReadFile("testdata/xml/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

const (
	nsXSI     = " ns=http://www.w3.org/2001/XMLSchema-instance"
	nsPartner = " ns=urn:partner.soap.sforce.com"
	nsSObject = " ns=urn:sobject.partner.soap.sforce.com"
	sfObj     = "/services/data/v62.0/sobjects/"
)

var xmlShapes = []struct {
	file        string
	space, root string
	want        []string
}{
	{"query.xml", "", "QueryResult", []string{
		`/QueryResult/done "true"`,
		`/QueryResult/records/0/@type "Contact"`,
		`/QueryResult/records/0/@url "` + sfObj + `Contact/003D000000QxA1BAAV"`,
		`/QueryResult/records/0/Id "003D000000QxA1BAAV"`,
		`/QueryResult/records/0/Email "jane.doe@example.com"`,
		`/QueryResult/records/0/MobilePhone/@nil "true"` + nsXSI + ` nil`,
		`/QueryResult/records/0/MobilePhone "" nil`,
		`/QueryResult/records/0/Account/@type "Account"`,
		`/QueryResult/records/0/Account/@url "` + sfObj + `Account/001D000000IRFmaIAH"`,
		`/QueryResult/records/0/Account/Name "Acme & Sons" raw="Acme &amp; Sons"`,
		`/QueryResult/records/0/Contacts/records/0/@type "Contact"`,
		`/QueryResult/records/0/Contacts/records/0/@url "` + sfObj + `Contact/003D000000QxA2BAAV"`,
		`/QueryResult/records/0/Contacts/records/0/LastName "O'Brien" raw="O&apos;Brien"`,
		`/QueryResult/records/1/@type "Contact"`,
		`/QueryResult/records/1/@url "` + sfObj + `Contact/003D000000QxA3BAAV"`,
		`/QueryResult/records/1/Id "003D000000QxA3BAAV"`,
		// One value across a comment and a CDATA section, the span all of it.
		`/QueryResult/records/1/Email "4111 1111 1111 1111" raw="<!-- card follows -->4111<![CDATA[ 1111 ]]>1111 1111"`,
		`/QueryResult/records/1/Email/#comment " card follows "`,
		`/QueryResult/records/1/MobilePhone "+1 (415) 555-0100"`,
		`/QueryResult/records/1/Account/@nil "true"` + nsXSI + ` nil`,
		`/QueryResult/records/1/Account "" nil`,
		`/QueryResult/records/1/Contacts/@nil "true"` + nsXSI + ` nil`,
		`/QueryResult/records/1/Contacts "" nil`,
		`/QueryResult/totalSize "2"`,
	}},
	{"sobject.xml", "", "Contact", []string{
		`/Contact/@type "Contact"`,
		`/Contact/@url "` + sfObj + `Contact/003D000000QxA1BAAV"`,
		`/Contact/Id "003D000000QxA1BAAV"`,
		`/Contact/FirstName "Jane"`,
		`/Contact/Birthdate "1984-03-07"`,
		`/Contact/Description "Line one\r\nline two <b>" raw="Line one&#13;\nline two &lt;b&gt;"`,
		`/Contact/ReportsToId/@nil "true"` + nsXSI + ` nil`,
		`/Contact/ReportsToId "" nil`,
	}},
	{"errors.xml", "", "Errors", []string{
		`/Errors/Error/errorCode "INVALID_EMAIL_ADDRESS"`,
		`/Errors/Error/fields "Email"`,
		`/Errors/Error/message "Email: invalid email address: jane.doe@@example"`,
	}},
	{"soap_query.xml", "http://schemas.xmlsoap.org/soap/envelope/", "Envelope", []string{
		`/Envelope/Header/LimitInfoHeader/limitInfo/current "12"` + nsPartner,
		`/Envelope/Header/LimitInfoHeader/limitInfo/limit "15000"` + nsPartner,
		`/Envelope/Header/LimitInfoHeader/limitInfo/type "API REQUESTS"` + nsPartner,
		`/Envelope/Body/queryResponse/result/@type "QueryResult"` + nsXSI + ` type=QueryResult`,
		`/Envelope/Body/queryResponse/result/done "true"` + nsPartner,
		`/Envelope/Body/queryResponse/result/queryLocator/@nil "true"` + nsXSI + ` nil`,
		`/Envelope/Body/queryResponse/result/queryLocator ""` + nsPartner + ` nil`,
		`/Envelope/Body/queryResponse/result/records/0/@type "sf:sObject"` + nsXSI + ` type=sf:sObject`,
		`/Envelope/Body/queryResponse/result/records/0/type "Contact"` + nsSObject,
		// The partner API repeats sf:Id: siblings of one name are indexed.
		`/Envelope/Body/queryResponse/result/records/0/Id/0 "003D000000QxA1BAAV"` + nsSObject,
		`/Envelope/Body/queryResponse/result/records/0/Id/1 "003D000000QxA1BAAV"` + nsSObject,
		`/Envelope/Body/queryResponse/result/records/0/Email "jane.doe@example.com"` + nsSObject,
		`/Envelope/Body/queryResponse/result/records/0/Phone/@nil "true"` + nsXSI + ` nil`,
		`/Envelope/Body/queryResponse/result/records/0/Phone ""` + nsSObject + ` nil`,
		`/Envelope/Body/queryResponse/result/records/1/@type "sf:sObject"` + nsXSI + ` type=sf:sObject`,
		`/Envelope/Body/queryResponse/result/records/1/type "Contact"` + nsSObject,
		`/Envelope/Body/queryResponse/result/records/1/Id/0 "003D000000QxA3BAAV"` + nsSObject,
		`/Envelope/Body/queryResponse/result/records/1/Id/1 "003D000000QxA3BAAV"` + nsSObject,
		`/Envelope/Body/queryResponse/result/records/1/Email "sam@example.org"` + nsSObject,
		`/Envelope/Body/queryResponse/result/records/1/Phone "+44 20 7946 0958"` + nsSObject,
		`/Envelope/Body/queryResponse/result/size "2"` + nsPartner,
	}},
	{"soap_create.xml", "http://schemas.xmlsoap.org/soap/envelope/", "Envelope", []string{
		`/Envelope/Header/SessionHeader/sessionId "00D000000000001!AQ0AQ.session"` + nsPartner,
		`/Envelope/Body/create/sObjects/0/@type "urn1:Contact"` + nsXSI + ` type=urn1:Contact`,
		`/Envelope/Body/create/sObjects/0/LastName "Doe"` + nsSObject,
		`/Envelope/Body/create/sObjects/0/Email "jane.doe@example.com"` + nsSObject,
		`/Envelope/Body/create/sObjects/0/MailingStreet "1 Market St\nSuite 400"` + nsSObject + ` raw="1 Market St&#xA;Suite 400"`,
	}},
}

func TestParseXMLSalesforceShapes(t *testing.T) {
	for _, c := range xmlShapes {
		doc := readXMLFixture(t, c.file)
		got := xmlDescribe(t, doc, sfLists)
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s:\n got %s\nwant %s", c.file, strings.Join(got, "\n     "), strings.Join(c.want, "\n     "))
		}
		d, err := ParseXML(doc, sfLists)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if space, local := d.Root(); space != c.space || local != c.root {
			t.Errorf("%s: root {%s}%s", c.file, space, local)
		}
	}
}

func TestXMLValueFields(t *testing.T) {
	doc := []byte(`<r xmlns:x="urn:x" s="w"><a x:k="v"/><b>t<!--c--></b><b>u</b><!--d--></r>`)
	type seen struct {
		name, space      string
		attr, comment    bool
		start, end       int
		element, parent  int
		segments         int
		lastKey          string
		lastIdx, prevIdx int
		leaf             bool
	}
	var got []seen
	d, err := ParseXML(doc, XMLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Walk(func(v *XMLValue) error {
		k, idx := v.Segment(v.Segments() - 1)
		_, prev := v.Segment(v.Segments() - 2)
		got = append(got, seen{string(v.Name), string(v.Space), v.Attr, v.Comment, v.Start, v.End, v.Element, v.Parent, v.Segments(), string(k), idx, prev, v.Leaf})
		return nil
	})
	at := func(s string) int { return strings.Index(string(doc), s) }
	want := []seen{
		// Leaf: the element has no child element (a comment's: the
		// element it is in).
		{"s", "", true, false, at(`w"`), at(`w"`) + 1, 0, -1, 2, "@s", -1, -1, false},
		{"k", "urn:x", true, false, at(`v"`), at(`v"`) + 1, 1, 0, 3, "@k", -1, -1, true},
		{"a", "", false, false, at(`/>`), at(`/>`), 1, 0, 2, "a", -1, -1, true}, // an empty-element tag: at its "/>"
		{"b", "", false, false, at(`t<`), at(`</b>`), 2, 0, 3, "", 0, -1, true},
		{"#comment", "", false, true, at(`c-`), at(`c-`) + 1, 2, 0, 4, "#comment", -1, 0, true},
		{"b", "", false, false, at(`u<`), at(`u<`) + 1, 3, 0, 3, "", 1, -1, true},
		{"#comment", "", false, true, at(`d-`), at(`d-`) + 1, 0, -1, 2, "#comment", -1, -1, false},
	}
	if len(got) != len(want) {
		t.Fatalf("%d values: %+v", len(got), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("value %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// A callback's error stops the walk and is returned as it is.
	stop, n := errors.New("stop"), 0
	if err := d.Walk(func(*XMLValue) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("walk: %v after %d values", err, n)
	}
}

// Comments are values wherever they are, outside the root too, and the
// prolog (byte order mark, declaration) is read as it is.
func TestXMLCommentsAndProlog(t *testing.T) {
	doc := []byte("\xef\xbb\xbf<?xml version='1.0' encoding='utf-8' standalone='yes'?>\n<!--before-->\n" +
		"<r>\n  <!--between-->\n  <a>x<!--in-->y</a>\n  <p:b xmlns:p='urn:p' p:c='1' c='2'>z</p:b>\n</r>\n<!--after\r\nroot-->\n")
	want := []string{
		`/#comment "before"`,
		`/r/#comment "between"`,
		`/r/a "xy" raw="x<!--in-->y"`,
		`/r/a/#comment "in"`,
		`/r/b/@c "1" ns=urn:p`,
		`/r/b/@c "2"`,
		`/r/b "z" ns=urn:p`,
		`/#comment "after\nroot" raw="after\r\nroot"`,
	}
	if got := xmlDescribe(t, doc, XMLOptions{}); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

func TestXMLDecodesTextAndAttributes(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{"<a>&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#x1F600;</a>", `/a "<>&\"'AB😀"`},
		{"<a>l1\r\nl2\rl3\n</a>", `/a "l1\nl2\nl3\n"`},
		{"<a><![CDATA[<b>&amp;\r\n]]]></a>", `/a "<b>&amp;\n]"`},
		{"<a v=\"t\tl\nc\r\nx&#9;&#10;&#13;\"/>", `/a/@v "t l c x\t\n\r"`},
		{"<a v='\"&apos;'/>", `/a/@v "\"'"`},
		{"<a>  </a>", `/a "  "`},
		{"<a></a>", `/a ""`},
	} {
		got := xmlDescribe(t, []byte(c.doc), XMLOptions{})
		if !strings.HasPrefix(got[0], c.want) {
			t.Errorf("%q: %q, want %s", c.doc, got, c.want)
		}
	}
}

// Lists gives a lone element an index; a repeated one has it anyway.
func TestXMLListIndexes(t *testing.T) {
	doc := []byte(`<r><records><x>1</x></records><done>true</done></r>`)
	if got := xmlDescribe(t, doc, XMLOptions{}); got[0] != `/r/records/x "1"` {
		t.Errorf("without lists: %q", got)
	}
	if got := xmlDescribe(t, doc, XMLOptions{Lists: []string{"records"}}); got[0] != `/r/records/0/x "1"` || got[1] != `/r/done "true"` {
		t.Errorf("with lists: %q", got)
	}
	many := "<r>" + strings.Repeat("<a>x</a><b/>", 20) + "<c/></r>" // siblings counted with a table
	got := xmlDescribe(t, []byte(many), XMLOptions{})
	if len(got) != 41 || got[38] != `/r/a/19 "x"` || got[39] != `/r/b/19 ""` || got[40] != `/r/c ""` {
		t.Errorf("many siblings: %q", got[36:])
	}
	// Names made to share a fingerprint (length, first and last eight
	// bytes): the table falls back to its strong hash, and counts right.
	var b strings.Builder
	b.WriteString("<r>")
	for i := range 3000 {
		n := fmt.Sprintf("aaaaaaaa%05dzzzzzzzz", i%2999) // the first name twice
		b.WriteString("<" + n + ">" + strconv.Itoa(i) + "</" + n + ">")
	}
	b.WriteString("</r>")
	got = xmlDescribe(t, []byte(b.String()), XMLOptions{})
	if len(got) != 3000 || got[0] != `/r/aaaaaaaa00000zzzzzzzz/0 "0"` || got[1] != `/r/aaaaaaaa00001zzzzzzzz "1"` ||
		got[2999] != `/r/aaaaaaaa00000zzzzzzzz/1 "2999"` {
		t.Errorf("colliding names: %d values, %q %q %q", len(got), got[0], got[1], got[len(got)-1])
	}
	// A few of them: compared pairwise.
	got = xmlDescribe(t, []byte("<r><aaaaaaaa1zzzzzzzz/><aaaaaaaa2zzzzzzzz/><aaaaaaaa1zzzzzzzz/></r>"), XMLOptions{})
	if strings.Join(got, " ") != `/r/aaaaaaaa1zzzzzzzz/0 "" /r/aaaaaaaa2zzzzzzzz "" /r/aaaaaaaa1zzzzzzzz/1 ""` {
		t.Errorf("a few colliding names: %q", got)
	}
}

// xmlRefusal is a document ParseXML refuses: with code, at the offset of
// the first occurrence of at in doc (len(doc) when at is "").
type xmlRefusal struct {
	name, doc, code, at string
}

func checkXMLRefusal(t *testing.T, c xmlRefusal, o XMLOptions) {
	t.Helper()
	d, err := ParseXML([]byte(c.doc), o)
	want := len(c.doc)
	if c.at != "" {
		want = strings.Index(c.doc, c.at)
	}
	var e *Error
	if d != nil || !errors.As(err, &e) || e.Code != c.code || e.Offset != want {
		t.Errorf("%s: %v, %v; want %s at %d", c.name, d, err, c.code, want)
		return
	}
	if ErrorCode(err) != c.code || err.Error() != "body: "+c.code+" at offset "+strconv.Itoa(want) {
		t.Errorf("%s: message %q", c.name, err)
	}
}

func TestParseXMLRefuses(t *testing.T) {
	const (
		forbidden = CodeXMLForbidden
		invalid   = CodeInvalidXML
		utf8      = CodeInvalidUTF8
	)
	lol := `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<lolz>&lol3;</lolz>`
	for _, c := range []xmlRefusal{
		// XXE and entity expansion: no DTD, no directive, no entity.
		{"billion laughs", lol, forbidden, "<!DOCTYPE"},
		{"external entity", `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>`, forbidden, "<!DOCTYPE"},
		{"parameter entity", `<!DOCTYPE foo [<!ENTITY % pe SYSTEM "http://evil.example/x.dtd"> %pe;]><foo/>`, forbidden, "<!DOCTYPE"},
		{"public DTD", `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html/>`, forbidden, "<!"},
		{"entity declaration in content", `<a><!ENTITY x "y"></a>`, forbidden, "<!E"},
		{"DOCTYPE after the root", `<a/><!DOCTYPE a>`, forbidden, "<!D"},
		{"conditional section", `<a><![INCLUDE[x]]></a>`, forbidden, "<!["},
		{"undefined entity", `<foo>&xxe;</foo>`, invalid, "&"},
		{"undefined entity in an attribute", `<foo a="&xxe;"/>`, invalid, "&"},
		{"entity names are case-sensitive", `<a>&LT;</a>`, invalid, "&"},
		{"a bare ampersand", `<a>AT&T</a>`, invalid, "&"},
		{"a character reference without ';'", `<a>&#65</a>`, invalid, "&"},
		{"an empty character reference", `<a>&#x;</a>`, invalid, "&"},
		// Processing instructions and declarations.
		{"stylesheet PI", `<?xml version="1.0"?><?xml-stylesheet href="x.xsl"?><a/>`, forbidden, "<?xml-"},
		{"PI in content", `<a><?php echo 1; ?></a>`, forbidden, "<?"},
		{"a declaration not first", "\n<?xml version=\"1.0\"?><a/>", forbidden, "<?"},
		{"ISO-8859-1", `<?xml version="1.0" encoding="ISO-8859-1"?><a/>`, forbidden, "ISO"},
		{"UTF-16", `<?xml version='1.0' encoding='UTF-16'?><a/>`, forbidden, "UTF"},
		{"XML 1.1", `<?xml version="1.1"?><a/>`, forbidden, "1.1"},
		{"no version", `<?xml encoding="UTF-8"?><a/>`, invalid, "encoding"},
		{"standalone maybe", `<?xml version="1.0" standalone="maybe"?><a/>`, invalid, "maybe"},
		{"a declaration out of order", `<?xml version="1.0" standalone="yes" encoding="UTF-8"?><a/>`, invalid, "encoding"},
		// Structure.
		{"empty", ``, invalid, ""},
		{"white space only", " \n", invalid, ""},
		{"comment only", "<!-- x -->", invalid, ""},
		{"mismatched tags", `<a><b></a></b>`, invalid, "</a>"},
		{"an end tag longer than the start", `<a></ab>`, invalid, "</ab>"},
		{"unclosed root", `<a><b></b>`, invalid, ""},
		{"unclosed start tag", `<a x="1"`, invalid, ""},
		{"two roots", `<a/><b/>`, invalid, "<b"},
		{"text after the root", "<a/>\nx", invalid, "x"},
		{"text before the root", "x<a/>", invalid, "x"},
		{"CDATA before the root", "<![CDATA[x]]><a/>", invalid, "<!["},
		{"an end tag first", "</a>", invalid, "</a>"},
		{"mixed content, text first", `<a>x<b/></a>`, invalid, "<b"},
		{"mixed content, child first", `<a><b/>x</a>`, invalid, "x"},
		{"mixed content by a reference", `<a><b/>&#32;</a>`, invalid, "&"},
		{"mixed content by CDATA", `<a><b/><![CDATA[ ]]></a>`, invalid, "<!["},
		{"]]> in text", `<a>x]]>y</a>`, invalid, "]]>"},
		{"unclosed CDATA", `<a><![CDATA[x</a>`, invalid, ""},
		{"-- in a comment", `<a><!-- a -- b --></a>`, invalid, "-- b"},
		{"a comment ending in -", `<a><!-- a ---></a>`, invalid, "---"},
		{"unclosed comment", `<a><!-- a </a>`, invalid, ""},
		// Names and attributes.
		{"a name starting with a digit", `<1a/>`, invalid, "1"},
		{"two colons", `<a:b:c xmlns:a="u"/>`, invalid, "a:b"},
		{"a trailing colon", `<a:/>`, invalid, "a"},
		{"unbound prefix", `<a><sf:Email>x</sf:Email></a>`, invalid, "sf:"},
		{"unbound attribute prefix", `<a sf:type="x"/>`, invalid, "sf:"},
		{"a prefix out of scope", `<a><b xmlns:p="u"/><p:c/></a>`, invalid, "p:c"},
		{"undeclaring a prefix", `<a xmlns:p=""/>`, invalid, "xmlns:p"},
		{"declaring xmlns", `<a xmlns:xmlns="u"/>`, invalid, "xmlns:xmlns"},
		{"rebinding xml", `<a xmlns:xml="u"/>`, invalid, "xmlns:xml"},
		{"binding the xml namespace", `<a xmlns:p="http://www.w3.org/XML/1998/namespace"/>`, invalid, "xmlns:p"},
		{"duplicate attribute", `<a x="1" y="2" x="3"/>`, invalid, `x="3"`},
		{"duplicate expanded name", `<a xmlns:p="u" xmlns:q="u" p:x="1" q:x="2"/>`, invalid, "q:x"},
		{"duplicate declaration", `<a xmlns="u" xmlns="v"/>`, invalid, `xmlns="v"`},
		{"no space between attributes", `<a x="1"y="2"/>`, invalid, "y"},
		{"unquoted attribute", `<a x=1/>`, invalid, "1"},
		{"attribute without value", `<a x/>`, invalid, "/"},
		{"< in an attribute", `<a x="<"/>`, invalid, `<"`},
		{"unclosed attribute", `<a x="1/>`, invalid, ""},
		{"/ not closing a tag", `<a / >`, invalid, "/"},
		// Characters.
		{"invalid UTF-8", "<a>\xff</a>", utf8, "\xff"},
		{"invalid UTF-8 in a name", "<a\xc3/>", utf8, "\xc3"},
		{"a surrogate encoded", "<a>\xed\xa0\x80</a>", utf8, "\xed"},
		{"a control character", "<a>\x01</a>", utf8, "\x01"},
		{"a NUL", "<a x='\x00'/>", utf8, "\x00"},
		{"U+FFFE", "<a>\xef\xbf\xbe</a>", utf8, "\xef\xbf\xbe"},
		{"a reference to NUL", "<a>&#0;</a>", utf8, "&"},
		{"a reference to a surrogate", "<a>&#xD800;</a>", utf8, "&"},
		{"a reference beyond Unicode", "<a>&#x110000000000000000;</a>", utf8, "&"},
		{"non-ASCII in a US-ASCII document", "<?xml version='1.0' encoding='US-ASCII'?><a>\xc3\xa9</a>", utf8, "\xc3"},
		{"a bad byte before a syntax error", "<a>\xff</b>", utf8, "\xff"},
		{"a syntax error before a bad byte", "<!DOCTYPE a><a>\xff</a>", forbidden, "<!"},
	} {
		checkXMLRefusal(t, c, XMLOptions{})
	}
}

// Hostile sizes: every bound is linear, nesting is bounded.
func TestParseXMLHostileSizes(t *testing.T) {
	deep := strings.Repeat("<a>", 10000) + strings.Repeat("</a>", 10000)
	if _, err := ParseXML([]byte(deep), XMLOptions{}); ErrorCode(err) != CodeTooDeep || err.(*Error).Offset != 3*DefaultMaxDepth {
		t.Errorf("too deep at %v", err)
	}
	if _, err := ParseXML([]byte(strings.Repeat("<a>", 3)+strings.Repeat("</a>", 3)), XMLOptions{MaxDepth: 2}); ErrorCode(err) != CodeTooDeep {
		t.Errorf("MaxDepth 2: %v", err)
	}
	if _, err := ParseXML([]byte(strings.Repeat("<a>", 2)+strings.Repeat("</a>", 2)), XMLOptions{MaxDepth: 2}); err != nil {
		t.Errorf("MaxDepth 2, depth 2: %v", err)
	}

	big := strings.Repeat("x&amp;\t", 5<<20/7)
	got := xmlDescribe(t, []byte(`<a v="`+big+`"/>`), XMLOptions{})
	if want := strings.ReplaceAll(strings.ReplaceAll(big, "&amp;", "&"), "\t", " "); got[0] != `/a/@v `+strconv.Quote(want)+` raw=`+strconv.Quote(big) {
		t.Errorf("a 5 MB attribute: %d bytes", len(got[0]))
	}

	var b strings.Builder
	b.WriteString(`<a xmlns:p="urn:p"`)
	for i := range 100000 {
		b.WriteString(" a" + strconv.Itoa(i) + `="` + strconv.Itoa(i) + `" p:a` + strconv.Itoa(i) + `="x"`)
	}
	many := b.String()
	if got := xmlDescribe(t, []byte(many+"/>"), XMLOptions{}); len(got) != 200001 || got[199999] != `/a/@a99999 "x" ns=urn:p` || got[200000] != `/a ""` {
		t.Errorf("200,000 attributes: %d values", len(got))
	}
	checkXMLRefusal(t, xmlRefusal{"a repeat among 200,000 attributes", many + ` a77777="y"/>`, CodeInvalidXML, `a77777="y"`}, XMLOptions{})

	// Many prefixes in scope, and many siblings of distinct names.
	b.Reset()
	b.WriteString("<r")
	for i := range 20000 {
		b.WriteString(" xmlns:p" + strconv.Itoa(i) + `="urn:` + strconv.Itoa(i%7) + `"`)
	}
	b.WriteString(">")
	for i := range 20000 {
		n := "p" + strconv.Itoa(i) + ":f" + strconv.Itoa(i)
		b.WriteString("<" + n + ">v</" + n + ">")
	}
	b.WriteString("</r>")
	if got := xmlDescribe(t, []byte(b.String()), XMLOptions{}); len(got) != 20000 || got[19999] != `/r/f19999 "v" ns=urn:0` || got[19998] != `/r/f19998 "v" ns=urn:6` {
		t.Errorf("20,000 prefixes: %d values, last %q", len(got), got[len(got)-1])
	}

	long := strings.Repeat("n", 1<<20)
	if got := xmlDescribe(t, []byte("<"+long+">x</"+long+">"), XMLOptions{}); got[0] != "/"+long+` "x"` {
		t.Error("a 1 MB name")
	}
}

// A card number in CDATA is in the value; a comment in the middle of one
// is in its span and a value of its own.
func TestXMLCDATAAndComments(t *testing.T) {
	doc := []byte("<r>\n<!-- a comment between elements: 4111 1111 1111 1111 -->\n<Card><![CDATA[4111 1111 ]]><!--x-->1111 1111</Card></r>")
	want := []string{
		`/r/#comment " a comment between elements: 4111 1111 1111 1111 "`,
		`/r/Card "4111 1111 1111 1111" raw="<![CDATA[4111 1111 ]]><!--x-->1111 1111"`,
		`/r/Card/#comment "x"`,
	}
	if got := xmlDescribe(t, doc, XMLOptions{}); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q", got)
	}
}

// xmlStarts maps the pointers of doc's values to their Start (the first,
// for comments that share a pointer).
func xmlStarts(t *testing.T, d *XMLDoc) map[string]int {
	t.Helper()
	m := map[string]int{}
	d.Walk(func(v *XMLValue) error {
		if _, ok := m[v.Pointer()]; !ok {
			m[v.Pointer()] = v.Start
		}
		return nil
	})
	return m
}

func TestRewriteXML(t *testing.T) {
	doc := readXMLFixture(t, "query.xml")
	d, err := ParseXML(doc, sfLists)
	if err != nil {
		t.Fatal(err)
	}
	at := xmlStarts(t, d)
	const (
		email1   = `<!-- card follows -->4111<![CDATA[ 1111 ]]>1111 1111`
		url0     = `/services/data/v62.0/sobjects/Contact/003D000000QxA1BAAV`
		records0 = "\n    <records type=\"Contact\" url=\"" + url0 + "\">"
	)
	type change struct{ old, new string } // in the document, the first of old
	for _, c := range []struct {
		name    string
		e       XMLEdits
		changes []change
		values  map[string]string // pointer → the description of its value after; "" gone
	}{
		{"replace a value across CDATA and a comment",
			XMLEdits{Replace: map[int][]byte{at["/QueryResult/records/1/Email"]: []byte("4111 **** **** 1111 <&>]]>")}},
			[]change{{email1, "4111 **** **** 1111 &lt;&amp;&gt;]]&gt;"}},
			map[string]string{"/QueryResult/records/1/Email": `"4111 **** **** 1111 <&>]]>" raw="4111 **** **** 1111 &lt;&amp;&gt;]]&gt;"`,
				"/QueryResult/records/1/Email/#comment": ""}},
		{"replace an attribute with quotes, ampersands and white space",
			XMLEdits{Replace: map[int][]byte{at["/QueryResult/records/0/@url"]: []byte("/x?a=1&b=\"2\"&c='3'<>\t\n\r")}},
			[]change{{url0, "/x?a=1&amp;b=&quot;2&quot;&amp;c=&apos;3&apos;&lt;&gt;&#9;&#10;&#13;"}},
			map[string]string{"/QueryResult/records/0/@url": `"/x?a=1&b=\"2\"&c='3'<>\t\n\r" raw="/x?a=1&amp;b=&quot;2&quot;&amp;c=&apos;3&apos;&lt;&gt;&#9;&#10;&#13;"`}},
		{"fill an empty-element tag",
			XMLEdits{Replace: map[int][]byte{at["/QueryResult/records/0/MobilePhone"]: []byte("+1 555")}},
			[]change{{`<MobilePhone xsi:nil="true"/>`, `<MobilePhone xsi:nil="true">+1 555</MobilePhone>`}},
			map[string]string{"/QueryResult/records/0/MobilePhone": `"+1 555" nil`}},
		{"replace a comment",
			XMLEdits{Replace: map[int][]byte{at["/QueryResult/records/1/Email/#comment"]: []byte("a--b-")}},
			[]change{{"<!-- card follows -->", "<!--a- -b- -->"}},
			map[string]string{"/QueryResult/records/1/Email/#comment": `"a- -b- "`}},
		{"drop an element and an attribute by start",
			XMLEdits{Drop: map[int]bool{at["/QueryResult/records/0/Email"]: true, at["/QueryResult/records/0/@url"]: true}},
			[]change{{"\n        <Email>jane.doe@example.com</Email>", ""}, {` url="` + url0 + `"`, ""}},
			map[string]string{"/QueryResult/records/0/Email": "", "/QueryResult/records/0/@url": "", "/QueryResult/records/0/Id": `"003D000000QxA1BAAV"`}},
		{"drop wins over replace; edits inside a removal are moot",
			XMLEdits{Drop: map[int]bool{at["/QueryResult/records/1/Email"]: true},
				Replace: map[int][]byte{at["/QueryResult/records/1/Email"]: []byte("x"), at["/QueryResult/records/1/Email/#comment"]: []byte("y"),
					at["/QueryResult/records/0/Account/Name"]: []byte("z")},
				DropPointers: []string{"/QueryResult/records/0/Account"}},
			[]change{{"\n        <Account type=\"Account\" url=\"/services/data/v62.0/sobjects/Account/001D000000IRFmaIAH\">\n            <Name>Acme &amp; Sons</Name>\n        </Account>", ""},
				{"\n        <Email>" + email1 + "</Email>", ""}},
			map[string]string{"/QueryResult/records/1/Email": "", "/QueryResult/records/0/Account/Name": "", "/QueryResult/records/1/Account": `"" nil`}},
		{"drop by pointers: an element, an attribute, comments; pointers naming nothing",
			XMLEdits{DropPointers: []string{"/QueryResult/records/0/Contacts/records/0", "/QueryResult/records/1/@url",
				"/QueryResult/records/1/Email/#comment", "/QueryResult/nothing", "/QueryResult/records/7", "/QueryResult/done/0", "/Other"}},
			[]change{{"\n            <records type=\"Contact\" url=\"/services/data/v62.0/sobjects/Contact/003D000000QxA2BAAV\">\n                <LastName>O&apos;Brien</LastName>\n            </records>", ""},
				{` url="/services/data/v62.0/sobjects/Contact/003D000000QxA3BAAV"`, ""}, {"<!-- card follows -->", ""}},
			map[string]string{"/QueryResult/records/0/Contacts": `"\n        "`, "/QueryResult/records/1/Email": `"4111 1111 1111 1111" raw="4111<![CDATA[ 1111 ]]>1111 1111"`}},
		{"drop every record: the index left out",
			XMLEdits{DropPointers: []string{"/QueryResult/records"}},
			[]change{{string(doc[strings.Index(string(doc), records0):strings.Index(string(doc), "\n    <totalSize>")]), ""}},
			map[string]string{"/QueryResult/done": `"true"`, "/QueryResult/totalSize": `"2"`, "/QueryResult/records/0/Id": ""}},
		{"characters XML cannot carry",
			XMLEdits{Replace: map[int][]byte{at["/QueryResult/done"]: []byte("a\x00b\xffc\r")}},
			[]change{{"<done>true<", "<done>a\uFFFDb\uFFFDc&#13;<"}},
			map[string]string{"/QueryResult/done": "\"a\ufffdb\ufffdc\\r\" raw=\"a\ufffdb\ufffdc&#13;\""}},
	} {
		out, err := RewriteXML([]byte("dst:"), doc, d, &c.e)
		if err != nil || !strings.HasPrefix(string(out), "dst:") {
			t.Fatalf("%s: %v", c.name, err)
		}
		want := string(doc)
		for _, ch := range c.changes {
			if !strings.Contains(want, ch.old) {
				t.Fatalf("%s: %q is not in the document", c.name, ch.old)
			}
			want = strings.Replace(want, ch.old, ch.new, 1)
		}
		if got := string(out[4:]); got != want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, want)
			continue
		}
		// The output reads back: every value as expected.
		got := map[string]string{}
		for _, l := range xmlDescribe(t, out[4:], sfLists) {
			p, rest, _ := strings.Cut(l, " ")
			if _, ok := got[p]; !ok {
				got[p] = rest
			}
		}
		for p, v := range c.values {
			if got[p] != v {
				t.Errorf("%s: %s reads %q, want %q", c.name, p, got[p], v)
			}
		}
	}
}

// The whole walk of a rewritten document: every record gone, the
// attributes of the root's children replaced, the comment dropped.
func TestRewriteXMLWalkOfTheOutput(t *testing.T) {
	doc := []byte("<QueryResult xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n <!--page 1-->\n <done a=\"1\">true</done>\n" +
		" <records><Email>a@b.c</Email></records>\n <records><Email>d@e.f</Email></records>\n <totalSize>2</totalSize>\n</QueryResult>")
	d, err := ParseXML(doc, sfLists)
	if err != nil {
		t.Fatal(err)
	}
	at := xmlStarts(t, d)
	out, err := RewriteXML(nil, doc, d, &XMLEdits{
		Replace:      map[int][]byte{at["/QueryResult/done/@a"]: []byte("<2>"), at["/QueryResult/totalSize"]: []byte("0")},
		Drop:         map[int]bool{at["/QueryResult/#comment"]: true},
		DropPointers: []string{"/QueryResult/records"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`/QueryResult/done/@a "<2>" raw="&lt;2&gt;"`, `/QueryResult/done "true"`, `/QueryResult/totalSize "0"`}
	if got := xmlDescribe(t, out, sfLists); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s\nwalks %q", out, got)
	}
	if string(out) != "<QueryResult xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n \n <done a=\"&lt;2&gt;\">true</done>\n <totalSize>0</totalSize>\n</QueryResult>" {
		t.Errorf("%q", out)
	}
}

func TestRewriteXMLUntouched(t *testing.T) {
	for _, f := range []string{"query.xml", "soap_query.xml"} {
		doc := readXMLFixture(t, f)
		d, _ := ParseXML(doc, sfLists)
		for _, e := range []*XMLEdits{nil, {}, {Drop: map[int]bool{}}} {
			if out, err := RewriteXML(nil, doc, d, e); err != nil || !bytes.Equal(out, doc) {
				t.Errorf("%s: %v, changed %v", f, err, !bytes.Equal(out, doc))
			}
		}
	}
	// A byte order mark and the declaration stay as they are.
	doc := []byte("\xef\xbb\xbf<?xml version=\"1.0\"?>\r\n<a><b>1</b></a>")
	d, _ := ParseXML(doc, XMLOptions{})
	out, err := RewriteXML(nil, doc, d, &XMLEdits{Replace: map[int][]byte{strings.Index(string(doc), "1<"): []byte("2")}})
	if err != nil || string(out) != "\xef\xbb\xbf<?xml version=\"1.0\"?>\r\n<a><b>2</b></a>" {
		t.Errorf("%q, %v", out, err)
	}
}

func TestRewriteXMLRefuses(t *testing.T) {
	doc := readXMLFixture(t, "query.xml")
	d, _ := ParseXML(doc, sfLists)
	at := xmlStarts(t, d)
	root := strings.Index(string(doc), "<QueryResult")
	leaf := []byte("<a>x</a>")
	dl, _ := ParseXML(leaf, XMLOptions{})
	for _, c := range []struct {
		name   string
		doc    []byte
		d      *XMLDoc
		e      XMLEdits
		offset int
	}{
		{"a replacement inside a value", doc, d, XMLEdits{Replace: map[int][]byte{at["/QueryResult/done"] + 1: nil}}, at["/QueryResult/done"] + 1},
		{"a drop at a tag", doc, d, XMLEdits{Drop: map[int]bool{root: true}}, root},
		{"a drop of the root's text", leaf, dl, XMLEdits{Drop: map[int]bool{3: true}}, 0},
		{"the empty pointer", doc, d, XMLEdits{DropPointers: []string{""}}, root},
		{"the root's pointer", doc, d, XMLEdits{DropPointers: []string{"/QueryResult"}}, root},
		{"a malformed pointer", doc, d, XMLEdits{DropPointers: []string{"/QueryResult/done", "QueryResult"}}, 1},
		{"a bad escape", doc, d, XMLEdits{DropPointers: []string{"/QueryResult/~2"}}, 0},
		{"another document", leaf, d, XMLEdits{}, 0},
		{"a copy that differs", []byte(strings.Replace(string(doc), "true", "TRUE", 1)), d, XMLEdits{}, 0},
	} {
		out, err := RewriteXML([]byte("dst"), c.doc, c.d, &c.e)
		var e *Error
		if string(out) != "dst" || !errors.As(err, &e) || e.Code != CodeInvalidEdit || e.Offset != c.offset {
			t.Errorf("%s: %q, %v; want invalid_edit at %d", c.name, out, err, c.offset)
		}
	}
	// An equal copy of the document is the document.
	if out, err := RewriteXML(nil, append([]byte(nil), doc...), d, &XMLEdits{DropPointers: []string{"/QueryResult/done"}}); err != nil || bytes.Contains(out, []byte("<done>")) {
		t.Errorf("a copy: %v", err)
	}
}

// Replacements given as splices in document order rewrite a document as
// the same replacements given by map do, drops among them, and a splice
// at no value's start is refused as a map key is.
func TestRewriteXMLSplices(t *testing.T) {
	docs := [][]byte{[]byte(`<r xmlns:x="urn:x" s="w"><a x:k="v"/><b>t<!--c--></b><b>u</b><!--d--><e/></r>`)}
	for _, f := range []string{"errors.xml", "query.xml", "soap_create.xml", "soap_query.xml", "sobject.xml"} {
		docs = append(docs, readXMLFixture(t, f))
	}
	for _, doc := range docs {
		d, err := ParseXML(doc, XMLOptions{Lists: []string{"records"}})
		if err != nil {
			t.Fatal(err)
		}
		byMap := XMLEdits{Replace: map[int][]byte{}, Drop: map[int]bool{}}
		var bySplices XMLEdits
		bySplices.Drop = byMap.Drop
		n := 0
		_ = d.Walk(func(v *XMLValue) error {
			n++
			text := []byte(fmt.Sprintf("r%d&<'\"", n))
			if n%3 == 0 {
				text = nil // emptied
			}
			if n%2 == 1 {
				byMap.Replace[v.Start] = text
				bySplices.Splices = append(bySplices.Splices, Splice{Start: v.Start, End: v.End, Contents: text})
			}
			if n%5 == 0 && v.Parent >= 0 {
				byMap.Drop[v.Start] = true
			}
			return nil
		})
		want, werr := RewriteXML(nil, doc, d, &byMap)
		got, gerr := RewriteXML(nil, doc, d, &bySplices)
		if !bytes.Equal(got, want) || (werr == nil) != (gerr == nil) {
			t.Errorf("%.60s: splices %q (%v), map %q (%v)", doc, got, gerr, want, werr)
		}
		if _, err := ParseXML(got, XMLOptions{Lists: []string{"records"}}); werr == nil && err != nil {
			t.Errorf("%.60s: the rewrite does not parse: %v", doc, err)
		}
		bad := XMLEdits{Splices: []Splice{{Start: 1, Contents: []byte("x")}}}
		if _, err := RewriteXML(nil, doc, d, &bad); err == nil {
			t.Errorf("%.60s: a splice at offset 1 was taken", doc)
		}
		d.Release()
	}
}
