package config

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/veil-proxy/veil/proxy/forward/forwardtest"
)

const adminBase = "identity:\n  principals: [{id: a, token: t, roles: [admin]}]\nroutes:\n  - {name: sf, prefix: /services/, upstream: \"https://x.my.salesforce.com\"}\n"

const goodToken = "0123456789abcdef0123456789abcdef"

// writeSecret writes body to dir/name with mode perm (chmod: the umask
// must not decide).
func writeSecret(t *testing.T, dir, name, body string, perm os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil {
		t.Fatal(err)
	}
	return p
}

// tlsFiles writes a throwaway CA and a leaf for 127.0.0.1 signed by it:
// the leaf's cert and key, and the CA's cert.
func tlsFiles(t *testing.T, dir string) (cert, key, caCert string) {
	t.Helper()
	ca, err := forwardtest.NewCA("veil config test CA")
	if err != nil {
		t.Fatal(err)
	}
	caCert, _, err = ca.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Leaf("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	var certPEM []byte
	for _, der := range leaf.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	cert = writeSecret(t, dir, "tls.crt", string(certPEM), 0o644)
	key = writeSecret(t, dir, "tls.key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})), 0o600)
	return cert, key, caCert
}

func TestAdminDefaultsOpenOnLoopback(t *testing.T) {
	c, err := Parse([]byte(adminBase))
	if err != nil {
		t.Fatal(err)
	}
	if c.Admin.Listen != DefaultAdminListen || !c.Admin.Loopback() || !c.Admin.Open() || c.Admin.MetricsOpen || c.TLS.Enabled() || c.Admin.TLS.Enabled() {
		t.Errorf("defaults: %+v %+v", c.Admin, c.TLS)
	}
	if tok, err := c.Admin.Token(); tok != nil || err != nil {
		t.Errorf("Token() = %q, %v with no token configured", tok, err)
	}
	if w := c.AdminWarnings(); len(w) != 1 || !strings.Contains(w[0], "open without a token") {
		t.Errorf("AdminWarnings = %q", w)
	}
	for _, addr := range []string{"127.0.0.1:9191", "127.1.2.3:9191", "[::1]:9191", "localhost:9191", "LOCALHOST:9191"} {
		if _, err := Parse([]byte(adminBase + "admin: {listen: \"" + addr + "\"}\n")); err != nil {
			t.Errorf("%s: %v", addr, err)
		}
	}
}

func TestAdminProblems(t *testing.T) {
	dir := t.TempDir()
	good := writeSecret(t, dir, "good", goodToken+"\n", 0o600)
	short := writeSecret(t, dir, "short", "0123456789abcde\n", 0o600)
	spaced := writeSecret(t, dir, "spaced", "0123456789 abcdef0123456789\n", 0o600)
	world := writeSecret(t, dir, "world", goodToken, 0o644)
	groupW := writeSecret(t, dir, "groupw", goodToken, 0o660)
	t.Setenv("VEIL_TEST_ADMIN_SHORT", "short")
	t.Setenv("VEIL_TEST_ADMIN_EMPTY", "")
	t.Setenv("VEIL_TEST_ADMIN_GOOD", goodToken)
	cert, key, caCert := tlsFiles(t, dir)
	other, otherKey, _ := tlsFiles(t, t.TempDir())
	worldKey := writeSecret(t, dir, "world.key", mustRead(t, key), 0o644)
	notPEM := writeSecret(t, dir, "not.pem", "hello", 0o644)
	const open = "the admin API would be open to the network: set admin.token_file or admin.token_env"
	for extra, want := range map[string]string{
		`admin: {listen: ":9090"}`:                                                                        open,
		`admin: {listen: "0.0.0.0:9090"}`:                                                                 open,
		`admin: {listen: "[::]:9090"}`:                                                                    open,
		`admin: {listen: "10.0.0.7:9090"}`:                                                                open,
		`admin: {listen: "veil.internal:9090"}`:                                                           open,
		`admin: {listen: ":9090", metrics_open: true}`:                                                    open,
		`admin: {token_file: ` + good + `, token_env: VEIL_TEST_ADMIN_GOOD}`:                              "admin.token_file, admin.token_env: set one, not both",
		`admin: {token_file: ` + filepath.Join(dir, "absent") + `}`:                                       "admin.token_file: stat ",
		`admin: {token_file: ` + short + `}`:                                                              "the token is 15 bytes, shorter than 16",
		`admin: {token_file: ` + spaced + `}`:                                                             "printable ASCII without spaces",
		`admin: {token_file: ` + world + `}`:                                                              "mode 0644 lets other users read or change a secret",
		`admin: {token_file: ` + groupW + `}`:                                                             "mode 0660 lets other users",
		`admin: {token_file: ` + dir + `}`:                                                                "not a regular file",
		`admin: {token_env: VEIL_TEST_ADMIN_SHORT}`:                                                       "the token is 5 bytes, shorter than 16",
		`admin: {token_env: VEIL_TEST_ADMIN_EMPTY}`:                                                       "environment variable VEIL_TEST_ADMIN_EMPTY is not set or empty",
		`admin: {token_env: VEIL_TEST_ADMIN_UNSET_XYZ}`:                                                   "environment variable VEIL_TEST_ADMIN_UNSET_XYZ is not set or empty",
		`admin: {token_env: "A-B"}`:                                                                       `admin.token_env: "A-B" is not an environment variable name`,
		`tls: {cert_file: ` + cert + `}`:                                                                  "tls.cert_file, tls.key_file: set both or neither",
		`tls: {key_file: ` + key + `}`:                                                                    "tls.cert_file, tls.key_file: set both or neither",
		`tls: {cert_file: ` + cert + `, key_file: ` + otherKey + `}`:                                      "private key does not match public key",
		`tls: {cert_file: ` + filepath.Join(dir, "absent.crt") + `, key_file: ` + key + `}`:               "no such file",
		`tls: {cert_file: ` + cert + `, key_file: ` + worldKey + `}`:                                      "mode 0644 lets other users",
		`tls: {cert_file: ` + cert + `, key_file: ` + key + `, client_ca_file: ` + caCert + `}`:           "tls.client_ca_file: client certificates are supported on admin.tls only",
		`admin: {tls: {client_ca_file: ` + caCert + `}}`:                                                  "admin.tls.client_ca_file: needs admin.tls.cert_file and admin.tls.key_file",
		`forward: {listen: "127.0.0.1:3128", tls: {cert_file: ` + cert + `}}`:                             "forward.tls.cert_file, forward.tls.key_file: set both or neither",
		`forward: {listen: "127.0.0.1:3128", tls: {cert_file: ` + cert + `, key_file: ` + worldKey + `}}`: "mode 0644 lets other users",
		`forward: {listen: "127.0.0.1:3128", tls: {cert_file: ` + cert + `, key_file: ` + key + `, client_ca_file: ` + caCert + `}}`: "forward.tls.client_ca_file: client certificates are supported on admin.tls only",
		`admin: {tls: {cert_file: ` + other + `}}`:                                                       "admin.tls.cert_file, admin.tls.key_file: set both or neither",
		`admin: {tls: {cert_file: ` + cert + `, key_file: ` + key + `, client_ca_file: ` + notPEM + `}}`: "admin.tls.client_ca_file: " + notPEM + ": no PEM certificate",
	} {
		_, err := Parse([]byte(adminBase + extra + "\n"))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s:\n\terr = %v\n\twant %q", extra, err, want)
		}
		if err != nil && strings.Contains(err.Error(), goodToken) {
			t.Errorf("%s: the error quotes the token: %v", extra, err)
		}
	}
	// Every problem at once.
	_, err := Parse([]byte(adminBase + `admin: {listen: ":9090", token_file: ` + good + `, token_env: X}` + "\n" + `tls: {cert_file: ` + cert + "}\n"))
	if p, ok := err.(Problems); !ok || len(p) != 2 {
		t.Errorf("err = %v, want 2 problems", err)
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAdminTokenAccepted(t *testing.T) {
	dir := t.TempDir()
	good := writeSecret(t, dir, "good", goodToken+"\r\n", 0o600)
	group := writeSecret(t, dir, "group", goodToken+"\n", 0o440)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(group, link); err != nil { // a Kubernetes secret volume
		t.Fatal(err)
	}
	t.Setenv("VEIL_TEST_ADMIN_GOOD", goodToken)
	cert, key, caCert := tlsFiles(t, dir)
	for _, extra := range []string{
		`admin: {listen: ":9090", token_file: ` + good + `}`,
		`admin: {listen: "0.0.0.0:9090", token_file: ` + link + `, metrics_open: true}`,
		`admin: {listen: "10.0.0.7:9090", token_env: VEIL_TEST_ADMIN_GOOD}`,
		`admin: {listen: ":9090", token_env: VEIL_TEST_ADMIN_GOOD, tls: {cert_file: ` + cert + `, key_file: ` + key + `}}`,
		// mTLS: every client proves itself with a certificate.
		`admin: {listen: ":9090", tls: {cert_file: ` + cert + `, key_file: ` + key + `, client_ca_file: ` + caCert + `}}`,
		`tls: {cert_file: ` + cert + `, key_file: ` + key + `}`,
	} {
		c, err := Parse([]byte(adminBase + extra + "\n"))
		if err != nil {
			t.Errorf("%s: %v", extra, err)
			continue
		}
		if c.Admin.TokenConfigured() {
			tok, err := c.Admin.Token()
			if err != nil || string(tok) != goodToken {
				t.Errorf("%s: Token() = %q, %v; want the token with its line end trimmed", extra, tok, err)
			}
		}
	}
	c, err := Parse([]byte(adminBase + `admin: {listen: ":9090", token_file: ` + good + "}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w := c.AdminWarnings(); len(w) != 1 || !strings.Contains(w[0], "clear text") {
		t.Errorf("AdminWarnings = %q, want the clear-text warning", w)
	}
	c, err = Parse([]byte(adminBase + `admin: {token_file: ` + good + "}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w := c.AdminWarnings(); len(w) != 0 {
		t.Errorf("AdminWarnings = %q on loopback with a token", w)
	}
}
