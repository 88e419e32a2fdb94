package redisclient

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veil-proxy/veil/proxy/config"
)

func TestOptionsReadSecretsAndTune(t *testing.T) {
	t.Setenv("VEIL_TEST_REDIS_PW", "s3cret")
	o, err := Options(config.Redis{Addrs: []string{"127.0.0.1:1"}, MasterName: "m", Username: "veil", PasswordEnv: "VEIL_TEST_REDIS_PW"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Password != "s3cret" || o.SentinelPassword != "s3cret" || o.SentinelUsername != "veil" {
		t.Errorf("sentinel credentials: %+v", o)
	}
	if o.DialTimeout != config.DefaultRedisDialTimeout || o.ReadTimeout != config.DefaultRedisTimeout || o.MaxRetries != 1 || o.DialerRetries != 1 || !o.ContextTimeoutEnabled {
		t.Errorf("not tuned: dial %v read %v retries %d/%d ctx %v", o.DialTimeout, o.ReadTimeout, o.MaxRetries, o.DialerRetries, o.ContextTimeoutEnabled)
	}

	file := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err = Options(config.Redis{Addrs: []string{"127.0.0.1:1"}, PasswordFile: file, Timeout: time.Second, TLS: true})
	if err != nil || o.Password != "from-file" || o.ReadTimeout != time.Second || o.TLSConfig == nil {
		t.Errorf("%v %+v", err, o)
	}

	_, err = Options(config.Redis{Addrs: []string{"127.0.0.1:1"}, PasswordEnv: "VEIL_TEST_UNSET_PW"})
	if err == nil || !strings.Contains(err.Error(), "VEIL_TEST_UNSET_PW") {
		t.Errorf("unset env: %v", err)
	}
	_, err = Options(config.Redis{Addrs: []string{"127.0.0.1:1"}, PasswordFile: filepath.Join(t.TempDir(), "missing")})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("missing file: %v", err)
	}
}
