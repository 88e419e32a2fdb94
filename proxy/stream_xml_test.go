package proxy_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// xmlQueryPage is a REST XML query page (rest: false) or a Bulk API 1.0
// XML result of n Contacts, each with an e-mail address and an SSN.
func xmlQueryPage(n int, bulk bool) string {
	var b strings.Builder
	root, item := "QueryResult", `<records type="Contact" url="/services/data/v62.0/sobjects/Contact/003A%06d">`
	if bulk {
		root, item = "queryResult", `<records xsi:type="sObject"><type>Contact</type>`
	}
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<" + root + ` xmlns="http://www.force.com/2009/06/asyncapi/dataload" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`)
	if !bulk {
		b.WriteString("<done>true</done>")
	}
	for i := range n {
		if bulk {
			b.WriteString(item)
		} else {
			fmt.Fprintf(&b, item, i)
		}
		fmt.Fprintf(&b, "<Id>003A%06d</Id><Email>person%d@example.com</Email><SSN__c>219-09-%04d</SSN__c><Description>note %d</Description></records>\n", i, i, 1000+i%9000, i)
	}
	if !bulk {
		b.WriteString("<totalSize>" + strconv.Itoa(n) + "</totalSize>")
	}
	b.WriteString("</" + root + ">\n")
	return b.String()
}

// An XML answer over the limit streams a chunk of whole records at a
// time, each inspected, and reaches the client as one well-formed
// document with every record, none of its personal data in the clear.
func TestXMLResponsesOverTheLimitStream(t *testing.T) {
	const n = 3000
	for _, bulk := range []bool{false, true} {
		page := xmlQueryPage(n, bulk)
		u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			_, _ = w.Write([]byte(page))
		})
		h, _ := startHostile(t, u, withStreaming(64<<10, 16<<10))
		path := "/services/data/v62.0/query"
		if bulk {
			path = "/services/async/62.0/job/750x/batch/751x/result/752x"
		}
		res := send(t, "GET", h.veil+path, "demo-analyst", "", "", "Accept", "application/xml")
		if res.status != 200 || res.header.Get("Content-Length") != "" {
			t.Fatalf("bulk %v: status %d, length %q: %.300s", bulk, res.status, res.header.Get("Content-Length"), res.body)
		}
		if len(page) < 4*(64<<10) {
			t.Fatalf("the page (%d bytes) is not over the limit", len(page))
		}
		wellFormed(t, res.body)
		if got := bytes.Count(res.body, []byte("<records ")); got != n {
			t.Errorf("bulk %v: %d records, want %d", bulk, got, n)
		}
		if got := bytes.Count(res.body, []byte("<Description>note ")); got != n {
			t.Errorf("bulk %v: %d descriptions, want %d", bulk, got, n)
		}
		noLeak(t, h, res, "person17@example.com", "219-09-1017", "person2999@example.com")
		if !bytes.HasPrefix(res.body, []byte(page[:strings.Index(page, ">\n<")+2])) || !bytes.HasSuffix(res.body, []byte("</totalSize></QueryResult>\n")) && !bulk {
			t.Errorf("bulk %v: the document's own head or end was lost: %.200s … %s", bulk, res.body, res.body[max(0, len(res.body)-100):])
		}
	}
}
