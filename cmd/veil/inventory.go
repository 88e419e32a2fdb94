package main

import (
	"bytes"
	"context"
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

// runInventory: veil inventory [--admin URL] [--token-file F] [--format table|json]
// prints the data inventory of a running Veil, read from its admin API.
func runInventory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inventory", stderr)
	admin := fs.String("admin", "http://"+config.DefaultAdminListen, "base URL of the running Veil's admin listener")
	tokenFile := fs.String("token-file", "", "file holding a bearer token for the admin API (optional)")
	format := fs.String("format", "table", "output: table or json")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: veil inventory [--admin URL] [--token-file FILE] [--format table|json]\n\nPrints which route/object/field carries which categories of personal data\n(counts, first and last seen; never values), as learned by a running Veil.\n\nExample: veil inventory --admin http://127.0.0.1:9090 --format json")
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
	rep, err := fetchInventory(ctx, *admin, token)
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return inventory.WriteTable(stdout, rep)
}

// fetchInventory GETs the inventory as JSON from the admin listener at
// base.
func fetchInventory(ctx context.Context, base, token string) (inventory.Report, error) {
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
	res, err := http.DefaultClient.Do(req)
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
