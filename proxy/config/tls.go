package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"runtime"
)

// TLS serves a listener over TLS (tls: for the reverse listener,
// admin.tls: for the admin one, forward.tls: for the HTTPS_PROXY one). Off unless cert_file and key_file are set.
// The files are PEM; cert_file may hold the chain after the leaf. They are
// re-read when they change on disk (cert-manager rotations need no restart).
//
//	tls:
//	  cert_file: /etc/veil/tls/tls.crt
//	  key_file: /etc/veil/tls/tls.key   # not accessible to other users (0600, or 0640/0440 for a group)
//	admin:
//	  tls:
//	    cert_file: /etc/veil/admin-tls/tls.crt
//	    key_file: /etc/veil/admin-tls/tls.key
//	    client_ca_file: /etc/veil/admin-tls/ca.crt  # set: clients must present a certificate it signed (mTLS)
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ClientCAFile (admin.tls only) requires and verifies client
	// certificates signed by one of its PEM certificates.
	ClientCAFile string `yaml:"client_ca_file"`
}

// Enabled reports whether the listener serves TLS.
func (t TLS) Enabled() bool { return t.CertFile != "" || t.KeyFile != "" }

// Mutual reports whether clients must present a certificate (mTLS).
func (t TLS) Mutual() bool { return t.Enabled() && t.ClientCAFile != "" }

func (t TLS) validate(p *Problems, at string, clientCA bool) {
	if t.ClientCAFile != "" && !clientCA {
		p.add("%s.client_ca_file: client certificates are supported on admin.tls only", at)
	}
	if !t.Enabled() {
		if t.ClientCAFile != "" && clientCA {
			p.add("%s.client_ca_file: needs %s.cert_file and %s.key_file", at, at, at)
		}
		return
	}
	if t.CertFile == "" || t.KeyFile == "" {
		p.add("%s.cert_file, %s.key_file: set both or neither", at, at)
		return
	}
	if _, err := LoadKeyPair(t.CertFile, t.KeyFile); err != nil {
		p.add("%s: %v", at, err)
	}
	if t.ClientCAFile != "" && clientCA {
		if _, err := LoadCertPool(t.ClientCAFile); err != nil {
			p.add("%s.client_ca_file: %v", at, err)
		}
	}
}

// LoadKeyPair reads a PEM certificate (chain) and its private key,
// refusing a key file other users may read (CheckSecretFile).
func LoadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	if err := CheckSecretFile(keyFile); err != nil {
		return tls.Certificate{}, err
	}
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("cert_file %s, key_file %s: %w", certFile, keyFile, err)
	}
	return c, nil
}

// LoadCertPool reads a PEM file of CA certificates.
func LoadCertPool(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return pool, nil
}

// secretPermMask is what a secret file may not grant: anything to other
// users, or write to the group. Group read stays allowed so that a
// Kubernetes secret volume (owned by root, group fsGroup, defaultMode
// 0440) works.
const secretPermMask = 0o027

// CheckSecretFile refuses a secret (token, private key) that other users
// may read or that the group may write, like ssh and PostgreSQL do. The
// file is followed through symlinks (Kubernetes secret volumes are
// symlinks). Nothing is checked on Windows.
func CheckSecretFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&secretPermMask != 0 {
		return fmt.Errorf("%s: mode %04o lets other users read or change a secret: chmod 0600 (or 0640/0440 for a group, e.g. a Kubernetes fsGroup with defaultMode: 0440)",
			path, fi.Mode().Perm())
	}
	return nil
}
