package proxy_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/veil-proxy/veil/proxy/inspect"
)

// TestPooledBodiesNeverCross sends many responses of different sizes at
// once through Veil with its body pools reused as in production: each
// caller must get its own page, whole, with its e-mails masked, whether
// the page was rewritten (sent from the rewritten buffer), left unchanged
// (sent from the buffer it was read into) or gzipped (re-encoded), in
// JSON or in XML (its index reused too). A buffer returned to its pool
// while a response still wrote from it would show here as another page's
// marker or a torn body.
func TestPooledBodiesNeverCross(t *testing.T) {
	defer inspect.PoisonReleased(false)()
	page := func(id, records int, pii bool) []byte {
		var b strings.Builder
		fmt.Fprintf(&b, `{"totalSize":%d,"done":true,"records":[`, records)
		for r := range records {
			if r > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"attributes":{"type":"Contact"},"Id":"003000000000%03dAAA","Title":"marker-%d-%d","Department":"%s"`, r, id, r, strings.Repeat("x", 200+id%97))
			if pii {
				fmt.Fprintf(&b, `,"Email":"person%d.%d@example.org"`, id, r)
			}
			b.WriteByte('}')
		}
		b.WriteString("]}")
		return []byte(b.String())
	}
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.Atoi(r.URL.Query().Get("id"))
		doc := page(id, 1+id%40, id%3 != 0)
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		if id%4 == 1 {
			doc = pageXML(id, 1+id%40, id%3 != 0)
			w.Header().Set("Content-Type", "application/xml;charset=UTF-8")
		}
		if id%5 == 0 && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			_, _ = zw.Write(doc)
			_ = zw.Close()
			doc = z.Bytes()
			w.Header().Set("Content-Encoding", "gzip")
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
		_, _ = w.Write(doc)
	}))
	defer crm.Close()
	h := start(t, withUpstream(crm.URL))
	tr := &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr}

	const workers, each = 8, 60
	var wg sync.WaitGroup
	var gzipped atomic.Int32
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := w*each + i
				req, _ := http.NewRequest("GET", h.veil+"/services/data/v62.0/query?id="+strconv.Itoa(id)+"&q=SELECT+Id+FROM+Contact", nil)
				req.Header.Set("Authorization", "Bearer demo-analyst")
				req.Header.Set("Accept-Encoding", "gzip")
				res, err := cl.Do(req)
				if err != nil {
					errs <- err
					return
				}
				b, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err == nil && res.Header.Get("Content-Encoding") == "gzip" {
					gzipped.Add(1)
					var zr *gzip.Reader
					if zr, err = gzip.NewReader(bytes.NewReader(b)); err == nil {
						b, err = io.ReadAll(zr)
					}
				}
				if err != nil || res.StatusCode != 200 {
					errs <- fmt.Errorf("page %d: %d, %v", id, res.StatusCode, err)
					return
				}
				check, sent := checkPage, page(id, 1+id%40, false)
				if id%4 == 1 {
					check, sent = checkPageXML, pageXML(id, 1+id%40, false)
				}
				if err := check(b, id, 1+id%40, id%3 != 0); err != nil {
					errs <- fmt.Errorf("page %d: %v: %.200s", id, err, b)
					return
				}
				if id%3 == 0 && !bytes.Equal(b, sent) {
					// Nothing personal: sent on from the buffer it was read into.
					errs <- fmt.Errorf("page %d: not the CRM's bytes: %.200s", id, b)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := gzipped.Load(); n != workers*each/5 {
		t.Errorf("%d pages came gzipped, want %d: the re-encoded path was not exercised", n, workers*each/5)
	}
}

// pageXML is the page of TestPooledBodiesNeverCross in REST XML.
func pageXML(id, records int, pii bool) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><QueryResult xmlns="http://www.force.com/2009/06/asyncapi/dataload"><done>true</done>`)
	for r := range records {
		fmt.Fprintf(&b, `<records type="Contact"><Id>003000000000%03dAAA</Id><Title>marker-%d-%d</Title><Department>%s</Department>`, r, id, r, strings.Repeat("x", 200+id%97))
		if pii {
			fmt.Fprintf(&b, `<Email>person%d.%d@example.org</Email>`, id, r)
		}
		b.WriteString(`</records>`)
	}
	fmt.Fprintf(&b, `<totalSize>%d</totalSize></QueryResult>`, records)
	return []byte(b.String())
}

// checkPage holds a page to the one the CRM sent for id: every record's
// marker in order and no other page's, its e-mails masked, nothing torn.
func checkPage(b []byte, id, records int, pii bool) error {
	var p struct {
		Records []map[string]any `json:"records"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	return checkRecords(p.Records, id, records, pii)
}

// checkPageXML is checkPage for pageXML's pages.
func checkPageXML(b []byte, id, records int, pii bool) error {
	var p struct {
		Records []struct {
			Title, Department string
			Email             *string
		} `xml:"records"`
	}
	if err := xml.Unmarshal(b, &p); err != nil {
		return err
	}
	recs := make([]map[string]any, len(p.Records))
	for i, r := range p.Records {
		recs[i] = map[string]any{"Title": r.Title, "Department": r.Department}
		if r.Email != nil {
			recs[i]["Email"] = *r.Email
		}
	}
	return checkRecords(recs, id, records, pii)
}

func checkRecords(recs []map[string]any, id, records int, pii bool) error {
	if len(recs) != records {
		return fmt.Errorf("%d records, want %d", len(recs), records)
	}
	for r, rec := range recs {
		if rec["Title"] != fmt.Sprintf("marker-%d-%d", id, r) || rec["Department"] != strings.Repeat("x", 200+id%97) {
			return fmt.Errorf("record %d is another page's or torn", r)
		}
		email, _ := rec["Email"].(string)
		switch {
		case !pii && email != "":
			return fmt.Errorf("record %d has an e-mail it was not sent", r)
		case pii && (email == "" || strings.Contains(email, "person")):
			return fmt.Errorf("record %d: e-mail %q not masked", r, email)
		}
	}
	return nil
}
