package inspect

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/veil-proxy/veil/proxy/crm"
)

// FuzzStreamMatchesWhole holds a streamed response to the same response
// held whole (stream_test.go's rig and policy), whatever the body: the
// stream never panics, and
//
//   - when the whole body passes, the stream passes with the same bytes
//     (JSON: the same document, blanks aside), or is refused as too large
//     to cut (a record longer than a chunk, no list of records);
//   - when the whole body is refused, the stream does not pass: refused
//     before its headers, or broken off.
func FuzzStreamMatchesWhole(f *testing.F) {
	f.Add([]byte(bulkCSV(40, ",", "\n", -1)), uint8(0), uint16(300))
	f.Add([]byte(bulkCSV(40, ";", "\r\n", 30)), uint8(0), uint16(500))
	f.Add([]byte("Id,Email\n1,\"a\"\"b@example.com\"\n2,\"x\ny\"\n3,c@example.com"), uint8(0), uint16(40))
	f.Add([]byte(`{"totalSize":3,"done":true,"records":[{"Id":"1","Email":"a@example.com","DoNotCall":true},{"Id":"2","Email":"b@example.com"},{"Id":"3","HasOptedOutOfEmail":true,"Email":"c@example.com"}]}`), uint8(1), uint16(80))
	f.Add([]byte(`{"results":[{"id":"1","properties":{"email":"a@example.com"}},{"id":"2"}],"paging":{"next":{"after":"2"}}}`), uint8(1), uint16(60))
	f.Add([]byte(`[{"Email":"a@example.com"},{"Card":"4111 1111 1111 1111"},{"x":[1,{"y":"]"}]}]`), uint8(1), uint16(48))
	f.Add([]byte(`{"done":true,"records":[1,2],"done":false}`), uint8(1), uint16(16))
	f.Fuzz(func(t *testing.T, doc []byte, shape uint8, chunk uint16) {
		x := bulkResult
		if shape%2 == 1 {
			x = exchange{route: sfRoute, call: sfQuery, path: "/services/data/v62.0/query", ctype: "application/json"}
		}
		size := int(chunk%1024) + 16
		whole := newRig(testPolicy(), 0, 0).serve(t, x, doc)
		if len(doc) < 2 {
			return
		}
		got := newRig(testPolicy(), int64(len(doc)-1), size).serve(t, x, doc)
		streamedOK := got.res.StatusCode == 200 && got.readErr == nil && got.res.ContentLength == -1
		var se *streamError
		tooLarge := got.res.Header.Get("X-Veil-Error") == crm.CodeBodyTooLarge || errors.As(got.readErr, &se) && se.code == crm.CodeBodyTooLarge
		switch {
		case whole.res.StatusCode == 200 && whole.readErr == nil:
			if tooLarge {
				return
			}
			if !streamedOK {
				t.Fatalf("held whole it passes, streamed: %d %q %v", got.res.StatusCode, got.res.Header.Get("X-Veil-Error"), got.readErr)
			}
			if bytes.Equal(got.body, whole.body) {
				return
			}
			var a, b bytes.Buffer
			if x.ctype == "text/csv" || json.Compact(&a, got.body) != nil || json.Compact(&b, whole.body) != nil || !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatalf("streamed\n%q\nwhole\n%q", got.body, whole.body)
			}
		case streamedOK:
			t.Fatalf("held whole it is refused (%d %s), streamed it passes: %q", whole.res.StatusCode, whole.res.Header.Get("X-Veil-Error"), got.body)
		}
	})
}
