package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy/inventory"
)

func TestInventoryCommand(t *testing.T) {
	inv := inventory.New(0, nil)
	inv.Observe("sf", "response", "Contact", "Email", "email", 3)
	inv.Observe("hs", "request", "contacts", "properties.phone", "phone", 1)
	var gotAuth string
	mux := http.NewServeMux()
	mux.Handle(inventory.Path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		if gotAuth == "Bearer wrong" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		inv.Handler().ServeHTTP(w, r)
	}))
	srv := httptest.NewServer(mux) // 127.0.0.1
	defer srv.Close()

	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"inventory", "--admin", srv.URL + "/", "--format", "json"}, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	var r inventory.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || len(r.Entries) != 2 || r.Entries[1].Field != "Email" || r.Entries[1].Count != 3 || gotAuth != "" {
		t.Fatalf("json: %+v %v auth %q", r, err, gotAuth)
	}

	token := filepath.Join(t.TempDir(), "token")
	writeFile(t, token, "s3cret\n")
	out.Reset()
	if err := run(context.Background(), []string{"inventory", "--admin", srv.URL, "--token-file", token}, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if gotAuth != "Bearer s3cret" || len(lines) != 3 || !strings.HasPrefix(lines[0], "ROUTE") ||
		!strings.HasPrefix(lines[1], "hs     contacts  properties.phone  phone     request") || !strings.Contains(lines[2], "Email") {
		t.Errorf("table (auth %q):\n%s", gotAuth, out.String())
	}

	writeFile(t, token, "wrong")
	if err := run(context.Background(), []string{"inventory", "--admin", srv.URL, "--token-file", token}, &out, &errb); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("401: %v", err)
	}
	if err := run(context.Background(), []string{"inventory", "--admin", srv.URL + "/nothing-here"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("404: %v", err)
	}
	if err := run(context.Background(), []string{"inventory", "--format", "xml"}, &out, &errb); err == nil {
		t.Error("bad format accepted")
	}
}

func TestInventoryCommandCoverage(t *testing.T) {
	inv := inventory.New(0, nil)
	inv.Observe("sf", "response", "Contact", "Email", "email", 3)
	inv.Cover("sf", "response", "json", true, "", 2048)
	inv.Cover("sf", "response", "binary", false, "binary_content", -1)
	inv.Cover("sf", "response", "binary", false, "over_limit", 9000000)
	inv.Cover("hs", "request", "xml", true, "", 300)
	srv := httptest.NewServer(inv.Handler()) // serves any path, inventory.Path included
	defer srv.Close()

	// The table: the data map, a blank line, the coverage.
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"inventory", "--admin", srv.URL}, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	want := "" +
		"ROUTE  DIRECTION  FORMAT  INSPECTED  INSPECTED BYTES  UNREAD  UNREAD BYTES          UNREAD REASONS\n" +
		"hs     request    xml     1          300              0       0                     -\n" +
		"sf     response   binary  0          0                2       9000000 (+1 unsized)  binary_content:1 over_limit:1\n" +
		"sf     response   json    1          2048             0       0                     -\n"
	parts := strings.SplitN(out.String(), "\n\n", 2)
	if len(parts) != 2 || !strings.Contains(parts[0], "Email") || parts[1] != want {
		t.Errorf("table:\n%s\nwant the map, then\n%s", out.String(), want)
	}

	// --coverage: the coverage alone.
	out.Reset()
	if err := run(context.Background(), []string{"inventory", "--admin", srv.URL, "--coverage"}, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	if out.String() != want {
		t.Errorf("--coverage:\n%s", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"inventory", "--admin", srv.URL, "--coverage", "--format", "json"}, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	var r struct {
		Source   string               `json:"source"`
		Entries  []inventory.Entry    `json:"entries"`
		Coverage []inventory.Coverage `json:"coverage"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || r.Source != inventory.SourceLocal || r.Entries != nil || len(r.Coverage) != 3 {
		t.Fatalf("--coverage json: %v %s", err, out.String())
	}
	if c := r.Coverage[1]; c.Route != "sf" || c.Format != "binary" || c.Unread != 2 || c.UnreadBytes != 9000000 || c.UnreadUnsized != 1 ||
		c.Reasons["binary_content"] != 1 || c.Reasons["over_limit"] != 1 {
		t.Errorf("binary row %+v", c)
	}

	// Nothing let through yet.
	empty := httptest.NewServer(inventory.New(0, nil).Handler())
	defer empty.Close()
	out.Reset()
	if err := run(context.Background(), []string{"inventory", "--admin", empty.URL, "--coverage"}, &out, &errb); err != nil || !strings.HasSuffix(out.String(), "UNREAD REASONS\n(no body let through yet)\n") {
		t.Errorf("empty: %v %q", err, out.String())
	}
}
