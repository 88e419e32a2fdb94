package reverse

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"testing"

	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/identity"
)

// FuzzRewriteLinks: a HubSpot answer, whatever its status, type, coding
// and body, keeps a body that matches its Content-Length and Coding. A
// 2xx JSON body Veil can read comes out, decoded, equal to the CRM's but
// for its paging links (/paging/next/link, /paging/prev/link), each
// rebased onto Veil's public URL when it is an absolute http(s) URL; any
// other body goes on byte for byte.
func FuzzRewriteLinks(f *testing.F) {
	page := `{"results":[{"id":"1","properties":{"email":"jane@x.com"}}],"paging":{"next":{"after":"3","link":"https://api.hubapi.com/crm/v3/objects/contacts?after=3"},"prev":{"link":"https://u:p@api.hubapi.com/x?before=1#f"}}}`
	for i, c := range []struct{ doc, enc string }{
		{page, ""}, {page, "gzip"}, {page, "deflate"},
		{`{"paging":{"next":{"link":"/relative?after=1"}}}`, ""},
		{`{"paging":{"next":{"link":"mailto:a@b.c"}},"x":"paging"}`, ""},
		{`{"paging":{"next":{"link":12}}}`, ""},
		{`{"paging":{"next":{"link":"https://a/b","link":"https://c/d"}}}`, ""},
		{`{"a":{"paging":{"next":{"link":"https://deep/x"}}}}`, ""},
		{`{"paging":{"next":{"link":"https://h/\u0070ath?q=\"x\""}}}`, "identity"},
		{`{"paging":`, ""},
	} {
		f.Add(byte(i), []byte(c.doc), c.enc, "application/json")
	}
	f.Add(byte(0), []byte(page), "", "text/plain")
	f.Add(byte(1), []byte(page), "br", "application/json")
	bases := []string{"http://127.0.0.1:8080", "https://veil.example:8443", "", "http://[::1]:9"}
	cfg := &config.Config{}
	cfg.ApplyDefaults()
	h := &Handler{opts: Options{Config: cfg}}
	f.Fuzz(func(t *testing.T, sel byte, doc []byte, enc, ctype string) {
		base := bases[int(sel)%len(bases)]
		status := []int{200, 201, 404, 500}[int(sel/4)%4]
		wire, err := body.Encode(nil, doc, enc)
		if err != nil {
			wire = doc // a coding Veil cannot write: sent as it is
		}
		req, _ := http.NewRequest("GET", "http://veil.test/crm/v3/objects/contacts", nil)
		req = req.WithContext(context.WithValue(req.Context(), baseKey{}, base))
		res := &http.Response{StatusCode: status, Header: http.Header{}, Request: req,
			Body: io.NopCloser(bytes.NewReader(wire)), ContentLength: int64(len(wire))}
		res.Header.Set("Content-Type", ctype)
		if enc != "" {
			res.Header.Set("Content-Encoding", enc)
		}
		if err := h.rewriteLinks(res); err != nil {
			t.Fatalf("rewriteLinks: %v", err)
		}
		out, _ := io.ReadAll(res.Body)
		if cl := res.Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(out)) || res.ContentLength != int64(len(out)) {
			t.Fatalf("%d bytes sent with Content-Length %q/%d", len(out), cl, res.ContentLength)
		}
		if res.Header.Get("Content-Encoding") != enc {
			t.Fatalf("Content-Encoding %q became %q", enc, res.Header.Get("Content-Encoding"))
		}
		decoded, err := body.ReadAll(bytes.NewReader(wire), enc, cfg.Limits.MaxBodyBytes)
		readable := err == nil && base != "" && status/100 == 2 && body.IsJSON(ctype) &&
			body.WalkJSON(decoded, body.Limits{MaxDepth: cfg.Limits.MaxJSONDepth}, nil) == nil
		if !readable {
			if !bytes.Equal(out, wire) {
				t.Fatalf("a body Veil does not rewrite changed: %q → %q", wire, out)
			}
			return
		}
		got, err := body.ReadAll(bytes.NewReader(out), enc, cfg.Limits.MaxBodyBytes)
		if err != nil {
			t.Fatalf("the rewritten body does not decode: %v", err)
		}
		want := decodeAny(t, decoded)
		if paging, ok := want.(map[string]any)["paging"].(map[string]any); ok {
			for _, dir := range []string{"next", "prev"} {
				if d, ok := paging[dir].(map[string]any); ok {
					if link, ok := d["link"].(string); ok {
						d["link"] = identity.Rebase(link, base)
						if u, err := url.Parse(link); err == nil && u.IsAbs() && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https") {
							if to, err := url.Parse(identity.Rebase(link, base)); err != nil || "http://"+to.Host != base && "https://"+to.Host != base || to.User != nil {
								t.Fatalf("%q rebased onto %s: %q", link, base, identity.Rebase(link, base))
							}
						}
					}
				}
			}
		}
		if g := decodeAny(t, got); !reflect.DeepEqual(g, want) {
			t.Fatalf("%q rewritten as %q", decoded, got)
		}
	})
}

func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v: %q", err, b)
	}
	if _, ok := v.(map[string]any); !ok {
		return map[string]any{"": v} // a top-level scalar or array has no paging
	}
	return v
}
