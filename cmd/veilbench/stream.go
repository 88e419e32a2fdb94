package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"github.com/veil-proxy/veil/proxy/benchdata"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The streaming scenario: a Bulk API 2.0 query result of about a gigabyte,
// which the bench CRM generates while it writes it, downloaded through
// Veil; every row is read and its e-mail compared with what the CRM sent.

// bulkJobID is the (made-up) id of the Bulk API 2.0 query job.
const bulkJobID = "750Dn00000BenchAAA"

// csvRowsFor is how many rows bring a results file to at least size
// bytes, and the file's exact size.
func csvRowsFor(size int64) (int, int64) {
	n, total := 0, int64(len(benchdata.CSVHeader))
	var buf []byte
	for total < size {
		buf = benchdata.AppendCSVRow(buf[:0], n)
		total += int64(len(buf))
		n++
	}
	return n, total
}

// streamResult is what one download gave.
type streamResult struct {
	Target      string  `json:"target"`
	Status      int     `json:"status"`
	VeilError   string  `json:"veil_error,omitempty"` // X-Veil-Error
	ContentType string  `json:"content_type"`
	RowsAsked   int     `json:"rows_asked"`
	SentBytes   int64   `json:"crm_bytes"`   // the CSV the CRM sends
	Rows        int     `json:"rows"`        // data rows received
	Transformed int     `json:"transformed"` // rows whose e-mail differs from the CRM's
	Original    int     `json:"original"`    // rows whose e-mail is the CRM's own
	Bytes       int64   `json:"bytes"`       // body bytes received
	Seconds     float64 `json:"seconds"`     // from the request to the body's end
	Err         string  `json:"error,omitempty"`
	PeakRSS     int64   `json:"peak_rss_bytes,omitempty"`    // the proxy's VmHWM after the download
	StartRSS    int64   `json:"start_rss_bytes,omitempty"`   // its VmHWM before it
	CPU         float64 `json:"proxy_cpu_seconds,omitempty"` // the proxy's CPU during it
	CRMCPU      float64 `json:"crm_cpu_seconds,omitempty"`
	RedisCPU    float64 `json:"redis_cpu_seconds,omitempty"`  // the CRM's
	ClientCPU   float64 `json:"client_cpu_seconds,omitempty"` // veilbench's (CSV parsing)
	OtherCPU    float64 `json:"other_cpu_seconds,omitempty"`  // the rest of the machine's
	Attempts    int     `json:"attempts,omitempty"`           // downloads made (-quiet-wait); the least disturbed is this one
	OK          bool    `json:"ok"`                           // 200, every row, every e-mail as expected
}

// mbps is the download's throughput in MB (10^6 bytes) per second: of
// the bytes received (out) or of the CSV the CRM sent (in; Veil's rewritten
// rows differ in length), which counts only when every row came through.
func (r streamResult) mbps(in bool) float64 {
	n := r.Bytes
	if in {
		if r.Rows != r.RowsAsked {
			return 0
		}
		n = r.SentBytes
	}
	if r.Seconds == 0 {
		return 0
	}
	return float64(n) / 1e6 / r.Seconds
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// download fetches rows rows (sent bytes of CSV) of the Bulk API 2.0
// result from base and checks each: its Id must be the CRM's row at that place, and its e-mail
// transformed (wantTransformed, through Veil) or the CRM's own (directly).
func download(ctx context.Context, base string, rows int, sent int64, wantTransformed bool) streamResult {
	r := streamResult{RowsAsked: rows, SentBytes: sent}
	u := fmt.Sprintf("%s/services/data/v62.0/jobs/query/%s/results?maxRecords=%d", base, bulkJobID, rows)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	req.Header.Set("Authorization", "Bearer "+benchToken)
	req.Header.Set("Accept", "text/csv")
	tr := newTransport(1)
	defer tr.CloseIdleConnections()
	start := time.Now()
	res, err := tr.RoundTrip(req)
	if err != nil {
		r.Err = err.Error()
		r.Seconds = time.Since(start).Seconds()
		return r
	}
	defer res.Body.Close()
	r.Status, r.VeilError, r.ContentType = res.StatusCode, res.Header.Get("X-Veil-Error"), res.Header.Get("Content-Type")
	body := &countingReader{r: res.Body}
	if res.StatusCode != http.StatusOK {
		if _, err = io.Copy(io.Discard, body); err == nil {
			err = fmt.Errorf("refused: status %d, X-Veil-Error %q", res.StatusCode, r.VeilError)
		}
	} else {
		err = checkRows(body, &r)
	}
	r.Seconds = time.Since(start).Seconds()
	r.Bytes = body.n
	if err != nil {
		r.Err = err.Error()
	}
	r.OK = r.Status == http.StatusOK && err == nil && r.Rows == rows &&
		(wantTransformed && r.Transformed == rows || !wantTransformed && r.Original == rows)
	return r
}

// checkRows reads the CSV, header first, counting rows whose e-mail was
// transformed or left as the CRM wrote it; a row out of place (its Id is
// not the CRM's at that position) is an error.
func checkRows(body io.Reader, r *streamResult) error {
	cr := csv.NewReader(body)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	want := strings.Split(strings.TrimSpace(strings.ReplaceAll(benchdata.CSVHeader, `"`, "")), ",")
	if !slices.Equal(head, want) {
		return fmt.Errorf("header %q, want %q", head, want)
	}
	var id, mail []byte
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("row %d: %w", r.Rows, err)
		}
		i := r.Rows
		id = benchdata.AppendContactID(id[:0], i)
		if rec[0] != string(id) {
			return fmt.Errorf("row %d is not the CRM's row %d", i, i)
		}
		mail = benchdata.AppendEmail(mail[:0], i)
		if rec[3] == string(mail) {
			r.Original++
		} else {
			r.Transformed++
		}
		r.Rows++
	}
}
