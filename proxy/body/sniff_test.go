package body

import (
	"bytes"
	"compress/gzip"
	"testing"
)

func gzipHead(t *testing.T) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(`{"card":"4111 1111 1111 1111"}`))
	w.Close()
	return b.Bytes()
}

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		name, head, want string
	}{
		{"JSON object", `{"a":1}`, SniffJSON},
		{"JSON array after whitespace", " \r\n\t[1,2]", SniffJSON},
		{"JSON cut short", `{"records":[{"Name":"Ja`, SniffJSON},
		{"BOM JSON", "\xEF\xBB\xBF{\"a\":1}", SniffJSON},
		{"UTF-16LE JSON", utf16Bytes(`{"a":1}`, false), SniffJSON},
		{"UTF-16BE JSON with BOM", "\xFE\xFF" + utf16Bytes(` [1]`, true), SniffJSON},
		{"UTF-16LE JSON cut mid-unit", utf16Bytes(`{"a":1}`, false)[:5], SniffJSON},
		{"UTF-32LE JSON", utf32Bytes(`{"a":1}`, false), SniffJSON},
		{"UTF-32LE JSON with BOM, cut mid-unit", ("\xFF\xFE\x00\x00" + utf32Bytes(`{"a":1}`, false))[:14], SniffJSON},
		{"JSONP", `/**/ jQuery123_456({"a":1});`, SniffJSON},
		{"JSONP of a number", `cb(1)`, SniffText},
		{"XML", `<?xml version="1.0" encoding="UTF-8"?><sObjects/>`, SniffXML},
		{"XML without declaration", "\n<Account><Name>Acme</Name></Account>", SniffXML},
		{"SOAP", `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body/></soapenv:Envelope>`, SniffXML},
		{"doctype XML", `<!DOCTYPE note SYSTEM "note.dtd"><note/>`, SniffXML},
		{"UTF-16 XML", "\xFF\xFE" + utf16Bytes(`<?xml version="1.0"?><a/>`, false), SniffXML},
		{"HTML", "<!DOCTYPE html><html><body>4111 1111 1111 1111</body></html>", SniffHTML},
		{"HTML fragment", "  <p>Card</p>", SniffHTML},
		{"PDF", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", SniffBinary},
		{"PNG", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", SniffBinary},
		{"zip", "PK\x03\x04\x14\x00\x06\x00\x08\x00", SniffBinary},
		{"gzip", string(gzipHead(t)), SniffBinary},
		{"JPEG", "\xFF\xD8\xFF\xE0\x00\x10JFIF", SniffBinary},
		{"control bytes", "abc\x01\x02\x03def", SniffBinary},
		{"NUL in UTF-8", "card\x004111", SniffBinary},
		{"NUL-led binary", "\x00\x01\x02\x03\x04", SniffBinary},
		{"UTF-32 of a control", "\x01\x00\x00\x00\x02\x00\x00\x00", SniffBinary},
		{"plain text", "Call me at +1 206 555 0100", SniffText},
		{"CSV is text", "Id,Name\n1,Jane\n", SniffText},
		{"Latin-1 text", "caf\xe9", SniffText},
		{"less-than in text", "< 5 apples", SniffText},
		{"empty", "", SniffText},
	} {
		if got := Sniff([]byte(c.head)); got != c.want {
			t.Errorf("%s: Sniff(%q) = %s, want %s", c.name, c.head, got, c.want)
		}
	}
}

// TestSniffReadsAHead: a long head is read to sniffLen, no further.
func TestSniffReadsAHead(t *testing.T) {
	long := append(bytes.Repeat([]byte(" "), sniffLen), '{')
	if got := Sniff(long); got != SniffText {
		t.Errorf("a '{' past the head: %s", got)
	}
	if got := Sniff(append([]byte(`{"a":"`), bytes.Repeat([]byte("x"), 1<<20)...)); got != SniffJSON {
		t.Errorf("1 MB of JSON: %s", got)
	}
}
