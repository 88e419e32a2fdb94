package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/inventory"
)

// inventoryTimeout bounds the whole admin request.
const inventoryTimeout = 30 * time.Second

// maxInventoryBody bounds the inventory read from the admin API (10000
// entries are a few MB).
const maxInventoryBody = 64 << 20

// runInventory: veil inventory [--admin URL] [--token-file F] [--format table|json] [--coverage]
// prints the data inventory of a running Veil, read from its admin API:
// the data map, then the coverage (what Veil read of the bodies it let
// through); --coverage prints the coverage alone.
func runInventory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inventory", stderr)
	admin := fs.String("admin", "http://"+config.DefaultAdminListen, "base URL of the running Veil's admin listener")
	tokenFile := fs.String("token-file", "", "file holding a bearer token for the admin API (optional)")
	caFile := fs.String("ca-file", "", "PEM file of CA certificates trusted for an https:// admin URL (besides the system's)")
	format := fs.String("format", "table", "output: table or json")
	coverageOnly := fs.Bool("coverage", false, "print only the coverage: per route, direction and body format, the messages and bytes inspected and passed unread")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: veil inventory [--admin URL] [--token-file FILE] [--ca-file FILE] [--format table|json] [--coverage]\n\nPrints which route/object/field carries which categories of personal data\n(counts, first and last seen; never values), as learned by a running Veil,\nthen the coverage: per route, direction and body format, how many messages\nand bytes Veil inspected and how many it passed unread, and why.\n\nExample: veil inventory --admin http://127.0.0.1:9090 --format json")
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if *format != "table" && *format != "json" {
		fmt.Fprintf(stderr, "veil inventory: --format %q is not table or json\n", *format)
		return errUsage
	}
	var token string
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			return inputError{err}
		}
		token = strings.TrimSpace(string(b))
	}
	hc := http.DefaultClient
	if *caFile != "" {
		c, err := caClient(*caFile)
		if err != nil {
			return inputError{err}
		}
		hc = c
	}
	rep, err := fetchInventory(ctx, hc, *admin, token)
	if err != nil {
		return err
	}
	if *coverageOnly {
		if rep.Coverage == nil {
			rep.Coverage = []inventory.Coverage{}
		}
		if *format == "json" {
			return writeJSON(stdout, coverageReport{rep.GeneratedAt, rep.Source, rep.Note, rep.Coverage})
		}
		if err := inventory.WriteCoverageTable(stdout, rep.Coverage); err != nil {
			return err
		}
		if len(rep.Coverage) == 0 {
			fmt.Fprintln(stdout, "(no body let through yet)")
		}
		if rep.Note != "" {
			fmt.Fprintf(stdout, "note: %s\n", rep.Note)
		}
		return nil
	}
	if *format == "json" {
		return writeJSON(stdout, rep)
	}
	return inventory.WriteTable(stdout, rep)
}

// coverageReport is veil inventory --coverage --format json.
type coverageReport struct {
	GeneratedAt time.Time            `json:"generated_at"`
	Source      string               `json:"source"`
	Note        string               `json:"note,omitempty"`
	Coverage    []inventory.Coverage `json:"coverage"`
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// fetchInventory GETs the inventory as JSON from the admin listener at
// base.
func fetchInventory(ctx context.Context, hc *http.Client, base, token string) (inventory.Report, error) {
	var rep inventory.Report
	ctx, cancel := context.WithTimeout(ctx, inventoryTimeout)
	defer cancel()
	u := strings.TrimRight(base, "/") + inventory.Path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return rep, inputError{fmt.Errorf("--admin %q: %w", base, err)}
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := hc.Do(req)
	if err != nil {
		return rep, fmt.Errorf("inventory: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxInventoryBody))
	if err != nil {
		return rep, fmt.Errorf("inventory: read %s: %w", u, err)
	}
	if res.StatusCode != http.StatusOK {
		msg := strings.TrimSpace(string(bytes.ToValidUTF8(body[:min(len(body), 200)], nil)))
		return rep, fmt.Errorf("inventory: GET %s: %s: %s", u, res.Status, msg)
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		return rep, fmt.Errorf("inventory: GET %s: not an inventory: %w", u, err)
	}
	return rep, nil
}

// caClient is an HTTP client trusting the system's roots and the PEM
// certificates of caFile (a TLS admin listener's CA, admin.tls).
func caClient(caFile string) (*http.Client, error) {
	b, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("--ca-file %s: no PEM certificate", caFile)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: t}, nil
}
