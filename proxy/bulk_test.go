package proxy_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// Salesforce Bulk API 2.0 through Veil, as jsforce 3's conn.bulk2 drives
// it, against the fake CRM's jobs/query and jobs/ingest.

const bulkV = "/services/data/v50.0/jobs/" // jsforce 3's default version

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV (%v): %.300q", err, b)
	}
	return rows
}

type bulkPage struct {
	locator, count string
	rows           [][]string // without the header
	header         []string
}

// bulkQuery runs soql as a query job on base and reads every results page
// of maxRecords rows the way jsforce does (later pages as
// jobs/query//{id}/results?locator=L).
func bulkQuery(t *testing.T, base, token, soql string, maxRecords int) []bulkPage {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"operation": "query", "query": soql})
	res := do(t, "POST", base+bulkV+"query", token, string(body))
	if res.status != 200 {
		t.Fatalf("create query job: %d %s", res.status, res.body)
	}
	id := decodeJSON[map[string]any](t, res.body)["id"].(string)
	res = do(t, "GET", base+bulkV+"query/"+id, token, "")
	if info := decodeJSON[map[string]any](t, res.body); res.status != 200 || info["state"] != "JobComplete" {
		t.Fatalf("poll: %d %s", res.status, res.body)
	}
	var pages []bulkPage
	locator := ""
	for len(pages) < 20 {
		path := fmt.Sprintf("%squery/%s/results?maxRecords=%d", bulkV, id, maxRecords)
		if locator != "" {
			path = fmt.Sprintf("%squery//%s/results?maxRecords=%d&locator=%s", bulkV, id, maxRecords, locator)
		}
		res := do(t, "GET", base+path, token, "", "Accept", "text/csv")
		if res.status != 200 || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") {
			t.Fatalf("results page %d: %d %v %.300s", len(pages), res.status, res.header, res.body)
		}
		rows := readCSV(t, res.body)
		p := bulkPage{locator: res.header.Get("Sforce-Locator"), count: res.header.Get("Sforce-NumberOfRecords"), header: rows[0], rows: rows[1:]}
		pages = append(pages, p)
		if p.locator == "" || p.locator == "null" {
			break
		}
		locator = p.locator
	}
	return pages
}

func TestBulkQueryResultsAreMaskedPerRole(t *testing.T) {
	h := start(t)
	truth := bulkQuery(t, h.crm, "crm-token", soql+" ORDER BY Name", 5)
	if len(truth) < 2 {
		t.Fatalf("ground truth read in %d pages, want at least 2", len(truth))
	}
	for _, r := range roles {
		t.Run(r.role, func(t *testing.T) {
			got := bulkQuery(t, h.veil, r.token, soql+" ORDER BY Name", 5)
			if len(got) != len(truth) {
				t.Fatalf("%d pages through Veil, %d from the CRM", len(got), len(truth))
			}
			for p := range truth {
				tp, gp := truth[p], got[p]
				if gp.locator != tp.locator || gp.count != tp.count || gp.count != fmt.Sprint(len(gp.rows)) {
					t.Errorf("page %d: Sforce-Locator %q Sforce-NumberOfRecords %q (%d rows), want %q %q",
						p, gp.locator, gp.count, len(gp.rows), tp.locator, tp.count)
				}
				if strings.Join(gp.header, ",") != strings.Join(tp.header, ",") || len(gp.rows) != len(tp.rows) {
					t.Fatalf("page %d: header %v, %d rows; want %v, %d", p, gp.header, len(gp.rows), tp.header, len(tp.rows))
				}
				col := map[string]int{}
				for i, h := range tp.header {
					col[h] = i
				}
				for i, raw := range tp.rows {
					optedOut := raw[col["HasOptedOutOfEmail"]] == "true"
					if gp.rows[i][col["Id"]] != raw[col["Id"]] {
						t.Errorf("page %d row %d: Id %q, want %q", p, i, gp.rows[i][col["Id"]], raw[col["Id"]])
					}
					for field, want := range salesforceRules[r.role] {
						rv := raw[col[field]]
						if rv == "" {
							continue // null in the fixture
						}
						t.Run(fmt.Sprintf("%d/%d/%s", p, i, field), func(t *testing.T) {
							want(t, rv, gp.rows[i][col[field]], optedOut)
						})
					}
				}
			}
		})
	}
	// The analyst never sees a raw e-mail address, on any page.
	for _, p := range bulkQuery(t, h.veil, "demo-analyst", "SELECT Id, Email FROM Contact", 4) {
		for _, row := range p.rows {
			if strings.Contains(row[1], "@") && !strings.Contains(row[1], "*") {
				t.Errorf("analyst sees %q", row[1])
			}
		}
	}
}

// chunkedDo sends body as a chunked upload (an io.Pipe has no length).
func chunkedDo(t *testing.T, method, url, token, contentType, body string) reply {
	t.Helper()
	pr, pw := io.Pipe()
	go func() {
		for _, line := range strings.SplitAfter(body, "\n") {
			_, _ = io.WriteString(pw, line)
		}
		_ = pw.Close()
	}()
	req, err := http.NewRequest(method, url, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.Request.ContentLength != 0 || res.Request.TransferEncoding != nil && res.Request.TransferEncoding[0] != "chunked" {
		t.Fatalf("the upload was not sent chunked: %d %v", res.Request.ContentLength, res.Request.TransferEncoding)
	}
	return reply{res.StatusCode, res.Header, b}
}

func openIngest(t *testing.T, base, token, job string) string {
	t.Helper()
	res := do(t, "POST", base+bulkV+"ingest", token, job)
	if res.status != 200 {
		t.Fatalf("create ingest job: %d %s", res.status, res.body)
	}
	info := decodeJSON[map[string]any](t, res.body)
	if info["state"] != "Open" || info["contentUrl"] == nil {
		t.Fatalf("ingest job: %s", res.body)
	}
	return info["id"].(string)
}

func TestBulkIngestThroughVeil(t *testing.T) {
	h := start(t)
	// A clean chunked upload passes and lands in the CRM.
	id := openIngest(t, h.veil, "demo-sales", `{"object":"Contact","operation":"insert","contentType":"CSV","lineEnding":"LF"}`)
	up := chunkedDo(t, "PUT", h.veil+bulkV+"ingest/"+id+"/batches", "demo-sales", "text/csv",
		"FirstName,LastName,Title,Description\nAda,Bulkveil,Engineer,Met at the conference\nGrace,Bulkveil,Admiral,\n")
	if up.status != 201 {
		t.Fatalf("chunked upload through Veil: %d %s", up.status, up.body)
	}
	if res := do(t, "PATCH", h.veil+bulkV+"ingest/"+id, "demo-sales", `{"state":"UploadComplete"}`); res.status != 200 {
		t.Fatalf("close: %d %s", res.status, res.body)
	}
	info := decodeJSON[map[string]any](t, do(t, "GET", h.veil+bulkV+"ingest/"+id, "demo-sales", "").body)
	if info["state"] != "JobComplete" || info["numberRecordsProcessed"] != 2.0 || info["numberRecordsFailed"] != 0.0 {
		t.Fatalf("job after close: %v", info)
	}
	for _, sub := range []string{"successfulResults", "failedResults/", "unprocessedrecords"} {
		res := do(t, "GET", h.veil+bulkV+"ingest/"+id+"/"+sub, "demo-sales", "")
		if res.status != 200 || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") {
			t.Errorf("%s: %d %s", sub, res.status, res.body)
		}
		if rows := readCSV(t, res.body); sub == "successfulResults" && (len(rows) != 3 || rows[0][0] != "sf__Id" || rows[1][1] != "true") {
			t.Errorf("successfulResults: %q", rows)
		}
	}
	truth := decodeJSON[sfPage](t, do(t, "GET", h.crm+"/services/data/v62.0/query?q=SELECT+Id,Title+FROM+Contact+WHERE+LastName+=+'Bulkveil'", "crm-token", "").body)
	if truth.TotalSize != 2 {
		t.Errorf("the CRM holds %d uploaded contacts, want 2", truth.TotalSize)
	}

	// A card number in a free-text column is refused, as it is in a REST
	// PATCH (TestAdminExplainsAndReloads), and never reaches the CRM.
	id = openIngest(t, h.veil, "demo-sales", `{"object":"Contact","operation":"insert"}`)
	up = chunkedDo(t, "PUT", h.veil+bulkV+"ingest/"+id+"/batches", "demo-sales", "text/csv",
		"LastName,Description\nBulkcard,Customer paid with 4111 1111 1111 1111\n")
	if up.status != 403 || up.header.Get("X-Veil-Decision-Id") == "" || bytes.Contains(up.shown(), []byte("4111 1111")) {
		t.Errorf("card in a chunked upload: %d %v %s", up.status, up.header, up.body)
	}
	errs := decodeJSON[[]map[string]any](t, up.body)
	if len(errs) != 1 || errs[0]["errorCode"] == nil {
		t.Errorf("the refusal is not in Salesforce's shape: %s", up.body)
	}
	// The job is still open and empty in the CRM: closing it processes nothing.
	do(t, "PATCH", h.veil+bulkV+"ingest/"+id, "demo-sales", `{"state":"UploadComplete"}`)
	info = decodeJSON[map[string]any](t, do(t, "GET", h.crm+bulkV+"ingest/"+id, "crm-token", "").body)
	if info["numberRecordsProcessed"] != 0.0 {
		t.Errorf("the refused upload reached the CRM: %v", info)
	}
}

// Many jsforce-style flows at once: Veil keeps each page's headers with
// its own body.
func TestBulkQueryConcurrentPages(t *testing.T) {
	h := start(t)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := roles[i%len(roles)].token
			pages := bulkQuery(t, h.veil, tok, "SELECT Id, Name FROM Contact", 3)
			n := 0
			for _, p := range pages {
				if p.count != fmt.Sprint(len(p.rows)) {
					t.Errorf("%s: Sforce-NumberOfRecords %q for %d rows", tok, p.count, len(p.rows))
				}
				n += len(p.rows)
			}
			if n != 12 || pages[len(pages)-1].locator != "null" {
				t.Errorf("%s: %d records in %d pages, last locator %q", tok, n, len(pages), pages[len(pages)-1].locator)
			}
		}()
	}
	wg.Wait()
}
