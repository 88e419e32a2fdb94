package identity

import (
	"errors"
	"net/http"
	"testing"

	"github.com/veil-proxy/veil/proxy/config"
)

func TestResolve(t *testing.T) {
	r, err := New(config.Identity{Header: "Authorization", Principals: config.DemoPrincipals})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		header string
		id     string
		err    error
	}{
		{"Bearer demo-admin", "demo-admin", nil},
		{"bearer   demo-sales ", "demo-sales", nil},
		{"OAuth demo-analyst", "demo-analyst", nil},
		{"Bearer demo-adminx", "", ErrUnknownToken},
		{"Basic ZGVtbzpkZW1v", "", ErrNoCredentials},
		{"Bearer", "", ErrNoCredentials},
		{"", "", ErrNoCredentials},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.header != "" {
			h.Set("Authorization", tt.header)
		}
		p, err := r.Resolve(h)
		if !errors.Is(err, tt.err) || p.ID != tt.id {
			t.Errorf("Resolve(%q) = %q, %v; want %q, %v", tt.header, p.ID, err, tt.id, tt.err)
		}
	}
	if r.StripHeader() {
		t.Error("Authorization is the CRM's header and must not be stripped")
	}
}

func TestOwnHeaderIsStripped(t *testing.T) {
	r, err := New(config.Identity{Header: "x-veil-key", Principals: []config.Principal{
		{ID: "etl", TokenSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Roles: []string{"analyst"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"X-Veil-Key": {"Bearer test"}}
	p, err := r.Resolve(h)
	if err != nil || p.ID != "etl" || p.Roles[0] != "analyst" {
		t.Fatalf("Resolve = %+v, %v", p, err)
	}
	if !r.StripHeader() || r.Header() != "X-Veil-Key" {
		t.Fatalf("header %q strip %v", r.Header(), r.StripHeader())
	}
}
