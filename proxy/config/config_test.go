package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadExample(t *testing.T) {
	c, err := Load(filepath.Join("..", "..", "testdata", "config", "example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(c.Routes); got != 2 {
		t.Fatalf("routes = %d, want 2", got)
	}
	if c.Routes[0].OnError != OnErrorBlock {
		t.Errorf("on_error default = %q, want block", c.Routes[0].OnError)
	}
	if c.Timeouts.UpstreamResponse != 60*time.Second || c.Timeouts.Idle != DefaultIdleTimeout {
		t.Errorf("timeouts not decoded/defaulted: %+v", c.Timeouts)
	}
	if !c.Routes[1].RequirePurpose || c.Routes[1].Dialect != DialectHubSpot {
		t.Errorf("route 1 = %+v", c.Routes[1])
	}
}

func TestInvalidListsEveryProblem(t *testing.T) {
	_, err := Load(filepath.Join("..", "..", "testdata", "config", "invalid.yaml"))
	var p Problems
	if !errors.As(err, &p) {
		t.Fatalf("err = %v, want Problems", err)
	}
	want := []string{
		`listen: "nope" is not host:port`,
		`log.level: "loud"`,
		`limits.max_body_bytes: 10`,
		`identity.principals[0]: one of token, token_sha256 or crm_users is required`,
		`identity.principals[0].roles[0]: "Admin"`,
		`identity.principals[1].id: "a" is used by another principal`,
		`identity.principals[1]: set token or token_sha256, not both`,
		`identity.principals[1].roles: at least one role is required`,
		`routes[0].dialect: "oracle"`,
		`routes[0].prefix: "services" must start with '/'`,
		`routes[0].upstream: scheme must be http or https`,
		`routes[1].name: "sf" is used by another route`,
		`routes[1].upstream: must not carry a query or fragment`,
		`routes[1].upstream: must not carry credentials`,
		`routes[1].on_error: "maybe"`,
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("missing problem %q in:\n%s", w, msg)
		}
	}
	if len(p) != len(want) {
		t.Errorf("got %d problems, want %d:\n%s", len(p), len(want), msg)
	}
}

func TestUnknownKeyIsAnError(t *testing.T) {
	_, err := Parse([]byte("listen: 127.0.0.1:1\nlisten_tls: yes\n"))
	if err == nil || !strings.Contains(err.Error(), "listen_tls") {
		t.Fatalf("err = %v, want unknown field listen_tls", err)
	}
}

func TestDemoIsValid(t *testing.T) {
	c := Demo(DefaultListen, DefaultAdminListen, "http://127.0.0.1:8081")
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range c.Identity.Principals {
		seen[p.Roles[0]] = true
	}
	for _, r := range []string{"admin", "sales_rep", "support_agent", "marketing", "analyst"} {
		if !seen[r] {
			t.Errorf("demo lacks role %s", r)
		}
	}
}

func TestDigest(t *testing.T) {
	plain := Principal{Token: "test"}
	hashed := Principal{TokenSHA256: strings.ToUpper("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")}
	if plain.Digest() != hashed.Digest() {
		t.Fatalf("digests differ: %s vs %s", plain.Digest(), hashed.Digest())
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
}

func TestVaultAndRedisProblems(t *testing.T) {
	base := "identity:\n  principals: [{id: a, token: t, roles: [admin]}]\nroutes:\n  - {name: sf, prefix: /services/, upstream: \"https://x.my.salesforce.com\"}\n"
	for extra, want := range map[string]string{
		"vault: {backend: redis}": "vault.backend: redis needs redis.addrs",
		"redis: {addrs: [\"127.0.0.1:6379\"]}\nvault: {backend: redis}": "a redis vault needs keys_file or keys_env",
		"vault: {backend: disk}":                                       `vault.backend: "disk" is not one of memory, redis`,
		"vault: {keys_file: a, keys_env: B}":                           "set keys_file or keys_env, not both",
		"redis: {master_name: m}":                                      "redis: addrs is required",
		"redis: {addrs: [nope]}":                                       `redis.addrs[0]: "nope" is not host:port`,
		"redis: {addrs: [\"a:1\", \"b:1\"], db: 2}":                    "a Cluster has only database 0",
		"redis: {addrs: [\"a:1\"], password_env: P, password_file: f}": "set password_env or password_file, not both",
	} {
		_, err := Parse([]byte(base + extra + "\n"))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", extra, err, want)
		}
	}
	c, err := Parse([]byte(base + "redis: {addrs: [\"127.0.0.1:6379\"]}\nvault: {backend: redis, keys_env: VEIL_VAULT_KEYS}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis.Timeout != DefaultRedisTimeout || c.Audit.Stream != DefaultAuditStream {
		t.Errorf("defaults: %+v %+v %+v", c.Vault, c.Redis, c.Audit)
	}
}
