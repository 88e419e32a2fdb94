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
