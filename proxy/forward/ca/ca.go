// Package ca is forward mode's certificate authority: `veil ca init` makes
// it, `veil serve` loads it, and Cache keeps the leaves goproxy mints with
// it, bounded and shared by every connection.
package ca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/elazarl/goproxy"
)

// File names Init writes in its directory.
const (
	CertFile = "ca.crt"
	KeyFile  = "ca.key"
)

// DefaultValidity is how long a CA made by Init is valid.
const DefaultValidity = 5 * 365 * 24 * time.Hour

// DefaultPermitted are the DNS domains a CA made by Init may vouch for: the
// default CRM hosts of forward mode (config.DefaultMITMHosts) and their
// subdomains.
var DefaultPermitted = []string{"salesforce.com", "force.com", "hubapi.com", "hubspot.com"}

// Options tell Init what CA to make.
type Options struct {
	Dir        string        // where ca.crt (0644) and ca.key (0600) go
	CommonName string        // default "Veil forward-mode CA"
	Validity   time.Duration // default DefaultValidity
	// Permitted DNS domains (name constraints). Nil means
	// DefaultPermitted; AnyHost lifts the constraint.
	Permitted []string
	AnyHost   bool
	Force     bool // overwrite an existing CA in Dir
}

// Init makes a new CA in o.Dir and returns the paths of its certificate and
// key: ECDSA P-256, so a leaf costs ~0.1 ms to mint, not the ~40 ms of
// RSA-2048, and name-constrained by default to the CRM domains forward mode
// intercepts, so that should its key leak it cannot vouch for any other
// site. It refuses to overwrite an existing one unless o.Force is set: every
// client trusting the old CA would stop trusting Veil.
func Init(o Options) (certPath, keyPath string, err error) {
	if o.Dir == "" {
		return "", "", errors.New("ca: no output directory")
	}
	if o.CommonName == "" {
		o.CommonName = "Veil forward-mode CA"
	}
	if o.Validity <= 0 {
		o.Validity = DefaultValidity
	}
	if o.Permitted == nil && !o.AnyHost {
		o.Permitted = DefaultPermitted
	}
	if o.AnyHost {
		o.Permitted = nil
	}
	for _, d := range o.Permitted {
		if d == "" || strings.ContainsAny(d, "*/: ") {
			return "", "", fmt.Errorf("ca: %q is not a DNS domain", d)
		}
	}
	certPath, keyPath = filepath.Join(o.Dir, CertFile), filepath.Join(o.Dir, KeyFile)
	if !o.Force {
		for _, p := range []string{certPath, keyPath} {
			if _, err := os.Stat(p); err == nil {
				return "", "", fmt.Errorf("ca: %s exists; clients trust that CA (use --force to replace it)", p)
			}
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return "", "", err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: o.CommonName, Organization: []string{"Veil"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(o.Validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true, // leaves only, no intermediate CAs
	}
	if len(o.Permitted) > 0 {
		tmpl.PermittedDNSDomains = o.Permitted
		// Nor for any IP address: without this, RFC 5280 leaves IPs free.
		tmpl.ExcludedIPRanges = []*net.IPNet{{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}, {IP: net.IPv6zero, Mask: net.CIDRMask(0, 128)}}
		tmpl.PermittedDNSDomainsCritical = true // RFC 5280 4.2.1.10: MUST be critical
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", err
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return "", "", err
	}
	// The key first, created 0600 from the start (never briefly readable).
	if err := writeFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return "", "", err
	}
	if err := writeFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return "", "", err
	}
	return certPath, keyPath, nil
}

// writeFile replaces path with b at mode, whatever an older file's mode.
func writeFile(path string, b []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".veil-ca-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// CA is a loaded certificate authority.
type CA struct {
	cert    tls.Certificate // Leaf parsed, so goproxy does not re-parse it per mint
	certPEM []byte
}

// Load reads a CA's certificate and key (PEM). It refuses goproxy's
// built-in CA (its private key is public), a certificate that is not a CA,
// one that has expired, and a key that does not match.
func Load(certFile, keyFile string) (*CA, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("forward CA: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("forward CA: %w", err)
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("forward CA %s: %w", certFile, err)
	}
	if len(goproxy.GoproxyCa.Certificate) > 0 && bytes.Equal(c.Certificate[0], goproxy.GoproxyCa.Certificate[0]) {
		return nil, errors.New("forward CA: refusing goproxy's built-in CA (its private key is public); create one with `veil ca init --out DIR`")
	}
	leaf := c.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return nil, fmt.Errorf("forward CA %s: %w", certFile, err)
		}
		c.Leaf = leaf
	}
	if !leaf.IsCA || leaf.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, fmt.Errorf("forward CA %s: not a certificate authority (no CA basic constraint or certSign usage)", certFile)
	}
	if now := time.Now(); now.After(leaf.NotAfter) || now.Before(leaf.NotBefore) {
		return nil, fmt.Errorf("forward CA %s: valid only from %s to %s", certFile, leaf.NotBefore.Format(time.RFC3339), leaf.NotAfter.Format(time.RFC3339))
	}
	return &CA{cert: c, certPEM: certPEM}, nil
}

// Certificate is the CA for goproxy.TLSConfigFromCA.
func (c *CA) Certificate() *tls.Certificate { return &c.cert }

// CertPEM is the CA certificate as read, for clients to trust.
func (c *CA) CertPEM() []byte { return c.certPEM }

// NotAfter is when the CA expires.
func (c *CA) NotAfter() time.Time { return c.cert.Leaf.NotAfter }

// Permits reports whether a leaf this CA signs for host will verify under
// its name constraints. pattern may be "*.domain" (then any subdomain).
func (c *CA) Permits(pattern string) bool {
	host := strings.ToLower(strings.TrimPrefix(pattern, "*."))
	leaf := c.cert.Leaf
	if len(leaf.PermittedDNSDomains) == 0 {
		return len(leaf.ExcludedDNSDomains) == 0 || !matchesAny(leaf.ExcludedDNSDomains, host)
	}
	return matchesAny(leaf.PermittedDNSDomains, host) && !matchesAny(leaf.ExcludedDNSDomains, host)
}

// matchesAny applies RFC 5280 DNS constraints: "example.com" covers the
// name and every name below it; ".example.com" only the names below.
func matchesAny(domains []string, host string) bool {
	for _, d := range domains {
		d = strings.ToLower(d)
		if strings.HasPrefix(d, ".") {
			if strings.HasSuffix(host, d) {
				return true
			}
			continue
		}
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}
