package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/admin"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/vault"
)

func runVault(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "keygen":
			return runVaultKeygen(args[1:], stdout, stderr)
		case "forget":
			return runVaultForget(ctx, args[1:], os.Stdin, stdout, stderr)
		case "-h", "--help", "help":
			vaultUsage(stderr)
			return errHelp
		}
	}
	vaultUsage(stderr)
	return errUsage
}

func vaultUsage(w io.Writer) {
	fmt.Fprint(w, `Usage:
  veil vault keygen [--id ID]                       print a new key line for vault.keys_file (append it to rotate)
  veil vault forget -c FILE --token TOKEN           erase the value behind a token
  veil vault forget -c FILE --category C --value V  erase every token of a value (V "-" reads it from stdin)
`)
}

func runVaultKeygen(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("vault keygen", stderr)
	id := fs.String("id", "", "key id (default k<unix time>)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" {
		*id = fmt.Sprintf("k%d", time.Now().Unix())
	}
	k, err := vault.GenerateKey(*id)
	if err != nil {
		return inputError{err}
	}
	fmt.Fprintln(stdout, vault.FormatKey(k))
	return nil
}

// runVaultForget erases through the vault the config names, from this
// process: a Redis vault, shared with the serving replicas. A memory vault
// lives inside the serving process: its admin API erases from it.
func runVaultForget(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("vault forget", stderr)
	file := fs.String("c", "", "config file (YAML) of the Veil whose vault to erase from")
	var req admin.ForgetRequest
	fs.StringVar(&req.Token, "token", "", "the token to forget")
	fs.StringVar(&req.Category, "category", "", "with --value: the value's category (us_ssn, email, …)")
	fs.StringVar(&req.Value, "value", "", `the value whose tokens to forget; "-" reads it from stdin (keeps it out of shell history)`)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *file == "" {
		fmt.Fprintln(stderr, "veil vault forget: -c FILE is required")
		return errUsage
	}
	if req.Value == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, 64<<10))
		if err != nil {
			return inputError{err}
		}
		req.Value = strings.TrimRight(string(b), "\r\n")
	}
	cfg, err := config.Load(*file)
	if err != nil {
		return inputError{err}
	}
	if cfg.Vault.Backend != config.VaultRedis {
		return inputError{fmt.Errorf("%s: vault.backend is %s: a memory vault lives in the serving process; use POST /admin/vault/forget on its admin port", *file, cfg.Vault.Backend)}
	}
	// The erasure's record is written by this process's own audit writer:
	// its spool (used only while Redis is away) must not be the serving
	// process's, which may share the directory. A later run replays it.
	cfg.Audit.SpoolDir = cliSpoolDir(cfg.Audit.SpoolDir)
	stores, err := proxy.OpenStores(cfg, nil)
	if err != nil {
		return err
	}
	defer stores.Close()
	res, err := stores.Forget(ctx, req, "cli")
	if errors.Is(err, admin.ErrForgetRequest) || errors.Is(err, vault.ErrInvalid) {
		fmt.Fprintln(stderr, "veil vault forget:", err)
		return errUsage
	}
	if err != nil && !errors.Is(err, admin.ErrAuditRecord) {
		return err
	}
	enc := json.NewEncoder(stdout)
	if encErr := enc.Encode(res); encErr != nil {
		return encErr
	}
	return err
}

// cliSpoolDir is the audit spool directory of the vault CLI: a "cli"
// directory inside the configured one (default <tmp>/veil-spool).
func cliSpoolDir(dir string) string {
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "veil-spool")
	}
	return filepath.Join(dir, "cli")
}
