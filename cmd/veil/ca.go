package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/veil-proxy/veil/proxy/forward/ca"
)

func runCA(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "init":
			return runCAInit(args[1:], stdout, stderr)
		case "-h", "--help", "help":
			caUsage(stderr)
			return errHelp
		}
	}
	caUsage(stderr)
	return errUsage
}

func caUsage(w io.Writer) {
	fmt.Fprint(w, `Usage:
  veil ca init --out DIR [--permit D,D...] [--any-host] [--cn NAME] [--days N] [--force]
      make forward mode's CA (ECDSA P-256): DIR/ca.crt (0644) and DIR/ca.key (0600)
`)
}

func runCAInit(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ca init", stderr)
	out := fs.String("out", "", "directory for ca.crt and ca.key (required)")
	cn := fs.String("cn", "", "the CA's common name (default \"Veil forward-mode CA\")")
	permit := fs.String("permit", strings.Join(ca.DefaultPermitted, ","), "DNS domains the CA may sign for (name constraints), comma-separated")
	anyHost := fs.Bool("any-host", false, "no name constraints: the CA can sign for any host (a leaked key then impersonates any site)")
	days := fs.Int("days", int(ca.DefaultValidity/(24*time.Hour)), "validity in days")
	force := fs.Bool("force", false, "replace an existing CA in --out (clients trusting it must trust the new one)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fmt.Fprintln(stderr, "veil ca init: --out DIR is required")
		fs.Usage()
		return errUsage
	}
	if *days < 1 {
		return inputError{fmt.Errorf("--days %d: must be at least 1", *days)}
	}
	var domains []string
	for _, d := range strings.Split(*permit, ",") {
		if d = strings.TrimSpace(d); d != "" {
			domains = append(domains, d)
		}
	}
	if len(domains) == 0 && !*anyHost {
		return inputError{fmt.Errorf("--permit names no domain (use --any-host to lift the name constraints)")}
	}
	cert, key, err := ca.Init(ca.Options{Dir: *out, CommonName: *cn, Permitted: domains, AnyHost: *anyHost,
		Validity: time.Duration(*days) * 24 * time.Hour, Force: *force})
	if err != nil {
		return inputError{err}
	}
	scope := "signs only for " + strings.Join(domains, ", ") + " and their subdomains"
	if *anyHost {
		scope = "signs for any host"
	}
	fmt.Fprintf(stdout, `Veil forward-mode CA (ECDSA P-256, %s, valid %d days)
  certificate  %s   (0644: give it to clients)
  private key  %s   (0600: only Veil reads it; keep it out of backups and images)

Use it in veil.yaml:
  forward:
    listen: 127.0.0.1:3128
    ca_cert: %[3]s
    ca_key: %[4]s

Make clients trust it (only clients that go through Veil):
  curl         curl --proxy http://127.0.0.1:3128 --cacert %[3]s https://api.hubapi.com/...
  Node.js      NODE_EXTRA_CA_CERTS=%[3]s HTTPS_PROXY=http://127.0.0.1:3128 node app.js
  Python       REQUESTS_CA_BUNDLE / SSL_CERT_FILE = a bundle with the system roots and %[3]s
  Java         keytool -importcert -alias veil -file %[3]s -keystore truststore.jks
  Debian/Ubuntu (whole host)  cp %[3]s /usr/local/share/ca-certificates/veil.crt && update-ca-certificates
`, scope, *days, cert, key)
	return nil
}
