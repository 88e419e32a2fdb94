package proxy_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/redistest"
)

// withCRMUser adds a principal that has no Veil token: it logs in to the
// CRM through Veil as user.
func withCRMUser(id, role, user string) harnessOption {
	return func(c *config.Config, _ *proxy.Options) {
		c.Identity.Principals = append(c.Identity.Principals, config.Principal{ID: id, Roles: []string{role}, CRMUsers: []string{user}})
	}
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	InstanceURL  string `json:"instance_url"`
	ID           string `json:"id"`
}

func login(t *testing.T, base string, form url.Values) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/services/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, b
}

// TestLoginThroughVeil: a client that logs in to Salesforce through Veil
// (jsforce's OAuth password flow) is identified by the CRM user it logs in
// as; instance_url points back at Veil; the CRM's token then identifies the
// principal, its refresh too; an unknown CRM user is refused in OAuth's
// format; the password never reaches the log.
func TestLoginThroughVeil(t *testing.T) {
	for _, backend := range []string{"memory", "redis"} {
		t.Run(backend, func(t *testing.T) {
			opts := []harnessOption{withCRMUser("crm-analyst", "analyst", "Analyst@Acme.example")}
			var stop func()
			if backend == "redis" {
				rs := redistest.Start(t)
				stop = rs.Stop
				opts = append(opts, func(c *config.Config, _ *proxy.Options) {
					c.Redis.Addrs = []string{rs.Addr()}
					c.Audit.SpoolDir = t.TempDir()
				})
			}
			h := start(t, opts...)
			form := url.Values{"grant_type": {"password"}, "username": {"analyst@acme.example"}, "password": {"s3cret-Pa55word"},
				"client_id": {"cid"}, "client_secret": {"csecret"}, "scope": {"api refresh_token"}}
			status, hdr, b := login(t, h.veil, form)
			if status != 200 {
				t.Fatalf("login: %d %s", status, b)
			}
			var tok tokenResponse
			if err := json.Unmarshal(b, &tok); err != nil {
				t.Fatal(err)
			}
			if tok.InstanceURL != h.veil || !strings.HasPrefix(tok.ID, h.veil+"/id/") {
				t.Errorf("instance_url %q, id %q: want Veil's %s", tok.InstanceURL, tok.ID, h.veil)
			}
			if hdr.Get("Content-Encoding") != "" {
				t.Errorf("token response encoded %q", hdr.Get("Content-Encoding"))
			}
			// The CRM's token is the analyst now: e-mails masked.
			q := "/services/data/v62.0/query?q=" + url.QueryEscape("SELECT Name, Email FROM Contact LIMIT 3")
			res := do(t, "GET", tok.InstanceURL+q, tok.AccessToken, "")
			if res.status != 200 {
				t.Fatalf("query with the CRM's token: %d %s", res.status, res.body)
			}
			truth := do(t, "GET", h.crm+q, "crm-token", "")
			emails := findEmails(truth.body)
			if len(emails) == 0 {
				t.Fatal("fixtures hold no e-mail")
			}
			for _, e := range emails {
				if strings.Contains(string(res.body), e) {
					t.Fatalf("the analyst logged in through Veil saw %s", e)
				}
			}
			// A token Veil did not see issued is nobody.
			if res := do(t, "GET", h.veil+q, "00DFake!someone-elses-session", ""); res.status != 403 || res.header.Get("X-Veil-Error") != "unknown_principal" {
				t.Errorf("an unbound CRM token: %d %q", res.status, res.header.Get("X-Veil-Error"))
			}
			// Refreshing keeps the principal (the fake CRM issues a new token).
			if tok.RefreshToken == "" {
				t.Fatal("the fake CRM issued no refresh token for the refresh_token scope")
			}
			{
				status, _, b = login(t, h.veil, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {"cid"}})
				var again tokenResponse
				if status != 200 || json.Unmarshal(b, &again) != nil || again.AccessToken == tok.AccessToken {
					t.Fatalf("refresh: %d %s", status, b)
				}
				if res := do(t, "GET", h.veil+q, again.AccessToken, ""); res.status != 200 {
					t.Errorf("query with the refreshed token: %d", res.status)
				}
			}
			// An unknown CRM user, a refresh token Veil never bound, an
			// unsupported grant: OAuth-shaped 400s.
			for _, f := range []url.Values{
				{"grant_type": {"password"}, "username": {"mallory@acme.example"}, "password": {"x"}},
				{"grant_type": {"refresh_token"}, "refresh_token": {"never-issued"}},
				{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {"x.y.z"}},
			} {
				status, hdr, b := login(t, h.veil, f)
				var oe struct{ Error, ErrorDescription string }
				// A refused login carries no X-Veil-Error (an unknown user
				// looks as bad credentials do); other errors do.
				if status != 400 || json.Unmarshal(b, &oe) != nil || oe.Error == "" || (hdr.Get("X-Veil-Error") == "") != (oe.Error == "invalid_grant") {
					t.Errorf("%s: %d %s", f.Get("grant_type"), status, b)
				}
			}
			if strings.Contains(h.logs.String(), "s3cret-Pa55word") || strings.Contains(h.logs.String(), tok.AccessToken) {
				t.Error("a password or a CRM token reached the log")
			}
			if stop != nil {
				// The bindings cannot be read: refused with a 503, fail closed.
				stop()
				if res := do(t, "GET", h.veil+q, tok.AccessToken, ""); res.status != 503 || res.header.Get("X-Veil-Error") != "identity_unavailable" {
					t.Errorf("Redis down: %d %q", res.status, res.header.Get("X-Veil-Error"))
				}
				// A Veil token needs no session store.
				if res := do(t, "GET", h.veil+q, "demo-sales", ""); res.status != 200 {
					t.Errorf("a Veil token with Redis down: %d", res.status)
				}
			}
		})
	}
}

// TestHubSpotPagingLinkPointsAtVeil: HubSpot's absolute paging.next.link
// names api.hubapi.com; through Veil it names Veil, and following it works.
func TestHubSpotPagingLinkPointsAtVeil(t *testing.T) {
	h := start(t)
	res := do(t, "GET", h.veil+"/crm/v3/objects/contacts?limit=2", "demo-sales", "", "Accept-Encoding", "gzip")
	if res.status != 200 {
		t.Fatalf("%d %s", res.status, res.body)
	}
	body := res.body
	if res.header.Get("Content-Encoding") == "gzip" {
		body = gunzip(t, body)
	}
	var p struct {
		Paging struct {
			Next struct{ After, Link string }
		}
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Paging.Next.Link, h.veil+"/crm/v3/objects/contacts?") {
		t.Fatalf("paging.next.link %q does not point at Veil (%s)", p.Paging.Next.Link, h.veil)
	}
	if next := do(t, "GET", p.Paging.Next.Link, "demo-sales", ""); next.status != 200 || !strings.Contains(string(next.body), `"results"`) {
		t.Errorf("following the link: %d", next.status)
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
