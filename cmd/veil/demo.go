package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/veil-proxy/veil/cmd/fakecrm/fakecrm"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/forward/ca"
	"github.com/veil-proxy/veil/proxy/forward/forwardtest"
)

// demoCRMNames are what the TLS fake CRM answers as in forward mode.
var demoCRMNames = []string{"*.salesforce.com", "*.my.salesforce.com", "*.force.com", "*.lightning.force.com", "api.hubapi.com", "api.hubspot.com"}

// demoForward serves crm over TLS on a free loopback port with a
// throwaway CA of its own, makes (or reuses) Veil's CA in dir/ca, and
// returns the forward config that reaches the fake CRM as the CRMs' names.
// Every CRM name resolves to loopback: nothing leaves 127.0.0.1.
func demoForward(crm http.Handler, listen, dir string) (config.Forward, func(), error) {
	none := func() {}
	caDir := filepath.Join(dir, "ca")
	certPath, keyPath := filepath.Join(caDir, ca.CertFile), filepath.Join(caDir, ca.KeyFile)
	if _, err := os.Stat(certPath); err != nil {
		if certPath, keyPath, err = ca.Init(ca.Options{Dir: caDir, CommonName: "Veil demo CA"}); err != nil {
			return config.Forward{}, none, err
		}
	}
	crmCA, err := forwardtest.NewCA("Veil demo fake CRM CA")
	if err != nil {
		return config.Forward{}, none, err
	}
	leaf, err := crmCA.Leaf(demoCRMNames...)
	if err != nil {
		return config.Forward{}, none, err
	}
	upCA := filepath.Join(dir, "fake-crm-ca.crt")
	if err := os.WriteFile(upCA, crmCA.CertPEM, 0o644); err != nil {
		return config.Forward{}, none, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return config.Forward{}, none, err
	}
	srv := &http.Server{Handler: crm, ReadHeaderTimeout: 5 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12}}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	resolve := map[string]string{}
	for _, n := range demoCRMNames {
		resolve[n] = ln.Addr().String()
	}
	return config.Forward{Listen: listen, CACert: certPath, CAKey: keyPath, UpstreamCA: upCA, Resolve: resolve},
		func() { _ = srv.Close() }, nil
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := newFlags("demo", stderr)
	listen := fl.String("listen", config.DefaultListen, "proxy listen address")
	admin := fl.String("admin", config.DefaultAdminListen, "admin listen address (/metrics, /healthz, /readyz)")
	data := fl.String("crm-data", "testdata/crm", "fixtures of the built-in fake CRM")
	level := fl.String("log-level", "info", "log level: debug, info, warn, error")
	auditDir := fl.String("audit-dir", "", "where the demo writes audit.jsonl, alerts.jsonl and its forward-mode CA (default: a new temporary directory)")
	forwardAt := fl.String("forward", config.DefaultForwardListen, `forward-mode (HTTPS_PROXY) listen address; "" turns it off`)
	if err := parse(fl, args); err != nil {
		return err
	}
	if _, err := fs.Stat(os.DirFS(*data), "."); err != nil {
		return fmt.Errorf("fake CRM fixtures not found at %s: run from the repository root or pass --crm-data DIR", *data)
	}
	proxyURL := "http://" + *listen

	// The fake CRM listens on a free loopback port and names itself as the
	// real CRMs do (paging links to https://api.hubapi.com): Veil rewrites
	// those URLs to itself, so clients only ever talk to Veil.
	crm, err := fakecrm.New(os.DirFS(*data), fakecrm.Options{})
	if err != nil {
		return fmt.Errorf("fake CRM: %w", err)
	}
	crmLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	crmSrv := &http.Server{Handler: crm, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = crmSrv.Serve(crmLn) }()
	defer crmSrv.Close()

	if *auditDir == "" {
		if *auditDir, err = os.MkdirTemp("", "veil-demo-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(*auditDir, 0o700); err != nil {
		return err
	}
	cfg := config.Demo(*listen, *admin, "http://"+crmLn.Addr().String())
	cfg.Log.Level = *level
	cfg.Audit.File = filepath.Join(*auditDir, "audit.jsonl")
	cfg.Audit.AlertFile = filepath.Join(*auditDir, "alerts.jsonl")
	banner := demoBanner
	if *forwardAt != "" {
		// The same fake CRM over TLS, with its own CA, reached through
		// forward.resolve as the CRMs' real names.
		fwd, stop, err := demoForward(crm, *forwardAt, *auditDir)
		if err != nil {
			return err
		}
		defer stop()
		cfg.Forward = fwd
		cfg.ApplyDefaults()
		banner += strings.NewReplacer("{forward}", "http://"+*forwardAt, "{ca}", fwd.CACert).Replace(demoForwardBanner)
	}
	banner += demoBannerEnd
	if err := cfg.Validate(); err != nil {
		return err
	}
	banner = strings.NewReplacer("{proxy}", proxyURL, "{admin}", "http://"+*admin,
		"{audit}", cfg.Audit.File, "{alerts}", cfg.Audit.AlertFile).Replace(banner)
	err = serve(ctx, cfg, stderr, func() { fmt.Fprint(stdout, banner) })
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

const demoBanner = `
Veil demo is running: a fake Salesforce + HubSpot behind Veil, with the
default policy (rules/). Nothing leaves 127.0.0.1; no Redis needed.

  proxy  {proxy}   (/services/... → fake Salesforce, /crm/... → fake HubSpot)
  admin  {admin}   (/metrics /healthz /readyz /admin/...)

Principals (Authorization: Bearer <token>): demo-admin (admin, mfa),
demo-sales (sales_rep), demo-support (support_agent),
demo-marketing (marketing), demo-analyst (analyst).

Try the same Salesforce query as different roles:

  curl -s -H 'Authorization: Bearer demo-admin' \
    '{proxy}/services/data/v62.0/query?q=SELECT+Name,Email,Phone,Birthdate,SSN__c,Card_Number__c,HasOptedOutOfEmail+FROM+Contact+LIMIT+3'

  (then demo-sales, demo-marketing, demo-analyst: cards always show the last 4
  only, SSNs only to admin, birthdates redacted for marketing and analyst,
  e-mails redacted for marketing where the contact opted out)

A HubSpot page:

  curl -s -H 'Authorization: Bearer demo-marketing' \
    '{proxy}/crm/v3/objects/contacts?limit=3&properties=firstname,lastname,email,phone,date_of_birth,hs_email_optout'

Writing a card number into a free-text field is blocked (Salesforce-shaped 403):

  curl -s -X PATCH -H 'Authorization: Bearer demo-sales' -H 'Content-Type: application/json' \
    -d '{"Description":"card 4111 1111 1111 1111 exp 12/29"}' \
    '{proxy}/services/data/v62.0/sobjects/Contact/003Dn00000000AbcAA'

An SSN written by a sales rep is stored as a Veil token; demo-admin (with
MFA) reads it back, demo-sales reads the token:

  curl -s -X PATCH -H 'Authorization: Bearer demo-sales' -H 'Content-Type: application/json' \
    -d '{"SSN__c":"219-09-9999"}' '{proxy}/services/data/v62.0/sobjects/Contact/003Dn00000000AbcAA'
  curl -s -H 'Authorization: Bearer demo-admin' '{proxy}/services/data/v62.0/sobjects/Contact/003Dn00000000AbcAA'

Erase it (every copy of the token in the CRM stops meaning anything):

  curl -s -X POST -d '{"category":"us_ssn","value":"219-09-9999"}' {admin}/admin/vault/forget

Log in as jsforce does (OAuth password flow; <role>@demo.example, any
password): Veil binds the CRM's token to the principal and points
instance_url back at itself:

  curl -s -d grant_type=password -d username=analyst@demo.example -d password=any \
    -d client_id=demo -d client_secret=demo {proxy}/services/oauth2/token

  (then: curl -s -H "Authorization: Bearer <access_token>" '{proxy}/services/data/v62.0/query?q=SELECT+Name,Email+FROM+Contact+LIMIT+2')

An unknown caller gets the CRM's own error format:

  curl -s -H 'Authorization: Bearer nobody' '{proxy}/crm/v3/objects/contacts'

The SOC side: every decision is an audit event (counts and record ids,
never a value; hash-chained), every suspicious pattern an alert:

  tail -f {audit}
  tail -f {alerts}
  ./bin/veil audit verify --file {audit}
  ./bin/veil incident --principal demo-sales --file {audit}

What personal data flows where, learned from the traffic so far:

  curl -s '{admin}/admin/inventory?format=table'

Metrics: curl -s {admin}/metrics | grep ^veil_
`

const demoForwardBanner = `
Forward mode: clients keep the CRM's own URL and set HTTPS_PROXY to Veil,
trusting Veil's CA (made with veil ca init; the fake CRM answers as
api.hubapi.com and *.my.salesforce.com on 127.0.0.1):

  curl -s --proxy {forward} --cacert {ca} -H 'Authorization: Bearer demo-analyst' \
    'https://api.hubapi.com/crm/v3/objects/contacts?limit=3&properties=firstname,email,phone'
  curl -s --proxy {forward} --cacert {ca} -H 'Authorization: Bearer demo-sales' \
    'https://acme.my.salesforce.com/services/data/v62.0/query?q=SELECT+Name,Email,SSN__c+FROM+Contact+LIMIT+2'

Any other host is refused (forward.egress), counted and audited:

  curl -s --proxy {forward} https://example.org/
`

const demoBannerEnd = `
Ctrl-C stops the demo.
`
