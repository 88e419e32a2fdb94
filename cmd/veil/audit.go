package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/redisclient"
)

var zeroTime time.Time // an unbounded stream range

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "verify":
			return runAuditVerify(ctx, args[1:], stdout, stderr)
		case "keygen":
			return runAuditKeygen(args[1:], stdout, stderr)
		case "-h", "--help", "help":
			auditUsage(stderr)
			return errHelp
		}
	}
	auditUsage(stderr)
	return errUsage
}

func auditUsage(w io.Writer) {
	fmt.Fprint(w, `Usage:
  veil audit verify --file FILE [--alerts] [--head H] [--key K] [--pub P] [--strict]
      check a JSONL audit (or alert) file: its hash chains, their macs (with
      the chain keys) and its signed checkpoints (head file, default FILE.head)
  veil audit verify -c FILE [--alerts] [--key K] [--pub P] [--strict]
      the same for the configured Redis stream (checkpoints from Redis) or
      audit.file; keys default to the config's (chain_key_file or
      $VEIL_AUDIT_KEY, the public half of signing_key_file)
  veil audit keygen --out DIR [--id ID] [--force]
      make DIR/audit-chain.key (HMAC chain key, 0600), DIR/audit-signing.key
      (Ed25519, 0600) and DIR/audit-signing.pub (0644)
  veil audit keygen --chain-key [--id ID]
      print a new chain key line: append it to audit.chain_key_file to rotate

--key is a chain key file or a directory of them (a keyring: old keys
verify old records), default $VEIL_AUDIT_KEY; --pub a PEM file of signing
public keys. Prints, per instance, the records, first and last seq, and OK
or what is wrong; never a record's content. Exits 1 when a chain is broken,
a mac or checkpoint does not match, or (--strict) records follow the last
checkpoint. Example:
  veil audit verify --file /var/log/veil/audit.jsonl --pub audit-signing.pub
`)
}

// verifySource is what verify reads: a file (and its head file) or a
// Redis stream (and its checkpoint keys).
type verifySource struct {
	name    string // file or stream
	file    string
	head    string // "" none
	rdb     redis.UniversalClient
	stream  string
	keyFile string // chain keys ("" none)
	keyEnv  string
	pubFile string // public keys ("" none)
	signKey string // derive the public key from this private key ("" none)
}

// runAuditVerify checks each instance's chain in a JSONL file or a Redis
// stream, its macs and its latest signed checkpoint.
func runAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit verify", stderr)
	file := fs.String("file", "", "JSONL file of audit events (or alerts with --alerts)")
	cfgFile := fs.String("c", "", "config file (YAML): read its Redis stream (or its audit file without Redis)")
	alerts := fs.Bool("alerts", false, "verify the alerts (alert_stream, alert_file) instead of the events")
	head := fs.String("head", "", "head file of the checkpoints (default FILE.head, or the config's audit.head_file)")
	key := fs.String("key", "", "chain key file or directory (keyring) to check every mac (default $VEIL_AUDIT_KEY)")
	pub := fs.String("pub", "", "PEM file of the checkpoint signing public keys")
	strict := fs.Bool("strict", false, "fail when records follow the last checkpoint (an unverified tail)")
	fs.Usage = func() { auditUsage(stderr) }
	if err := parse(fs, args); err != nil {
		return err
	}
	if (*file == "") == (*cfgFile == "") {
		fmt.Fprintln(stderr, "veil audit verify: give either --file or -c")
		return errUsage
	}
	src, err := sourceOf(*file, *cfgFile, *alerts)
	if err != nil {
		return err
	}
	if src.rdb != nil {
		defer src.rdb.Close()
	}
	if *head != "" {
		src.head = *head
	}
	if *key != "" {
		src.keyFile, src.keyEnv = *key, ""
	}
	if *pub != "" {
		src.pubFile, src.signKey = *pub, ""
	}
	label := "audit"
	if *alerts {
		label = "alerts"
	}

	v := audit.Verifier{Trimmable: src.rdb != nil}
	if v.Keys, err = audit.ChainKeysFrom(src.keyFile, src.keyEnv); err != nil {
		return inputError{err}
	}
	var pubs audit.PublicKeys
	switch {
	case src.pubFile != "":
		if pubs, err = audit.LoadPublicKeys(src.pubFile); err != nil {
			return inputError{err}
		}
	case src.signKey != "":
		if pubs, err = audit.LoadPublicKeys(src.signKey); err != nil {
			return inputError{err}
		}
	}
	cps, where, err := readCheckpoints(ctx, src, label)
	if err != nil {
		return inputError{err}
	}
	failed := false
	var good []audit.Checkpoint
	for _, cp := range cps {
		if pubs == nil {
			good = append(good, cp)
			continue
		}
		if err := cp.Verify(pubs); err != nil {
			fmt.Fprintf(stdout, "%s: instance %s: checkpoint at seq %d (%s): BAD: %v\n", src.name, cp.Instance, cp.Seq, where, err)
			failed = true
			continue
		}
		good = append(good, cp)
	}
	switch {
	case len(cps) == 0 && pubs != nil:
		fmt.Fprintf(stdout, "%s: NO CHECKPOINT (%s): nothing signed to hold the records to (head file or Redis checkpoints removed?)\n", src.name, where)
		failed = true
	case len(cps) > 0 && pubs == nil:
		fmt.Fprintf(stdout, "%s: warning: checkpoints (%s) not authenticated: no public key (--pub)\n", src.name, where)
	case len(cps) == 0:
		fmt.Fprintf(stdout, "%s: warning: no checkpoints (%s): a cut tail or an emptied file cannot be seen\n", src.name, where)
	}
	v.SetCheckpoints(good)

	if err := readChain(ctx, src, *alerts, v.Add); err != nil {
		return err
	}
	reps := v.Reports()
	if len(reps) == 0 {
		fmt.Fprintf(stdout, "%s: no records\n", src.name)
	}
	tail := false
	for _, r := range reps {
		fmt.Fprintf(stdout, "%s: instance %s: %d records, seq %d..%d", src.name, r.Instance, r.Events, r.First, r.Last)
		if r.Trimmed() {
			fmt.Fprintf(stdout, " (starts at seq %d: earlier records trimmed or not here)", r.First)
		}
		if r.Broken != nil {
			fmt.Fprintf(stdout, ": BROKEN at seq %d (%s): %s\n", r.Broken.Seq, r.Broken.Where, r.Broken.Problem)
			continue
		}
		fmt.Fprint(stdout, ": OK")
		switch {
		case v.Keys != nil:
			fmt.Fprintf(stdout, " (%d macs checked", r.Keyed)
		case r.Unkeyed < r.Events:
			fmt.Fprintf(stdout, " (macs not checked: no chain key")
		default:
			fmt.Fprintf(stdout, " (not keyed")
		}
		if r.Checkpoint != nil {
			fmt.Fprintf(stdout, ", checkpoint at seq %d", r.Checkpoint.Seq)
		}
		fmt.Fprintln(stdout, ")")
		if r.Tail > 0 {
			tail = true
			fmt.Fprintf(stdout, "%s: instance %s: warning: unverified tail: %d events after the last checkpoint\n", src.name, r.Instance, r.Tail)
		}
	}
	if failed || !v.OK() || tail && *strict {
		return errFailed
	}
	return nil
}

// sourceOf is the file, or the config's stream (or file) and keys.
func sourceOf(file, cfgFile string, alerts bool) (verifySource, error) {
	if file != "" {
		return verifySource{name: file, file: file, head: audit.HeadPath(file), keyEnv: audit.ChainKeyEnv}, nil
	}
	cfg, err := config.Load(cfgFile)
	if err != nil {
		return verifySource{name: cfgFile}, inputError{err}
	}
	a := cfg.Audit
	src := verifySource{keyFile: a.ChainKeyFile, keyEnv: audit.ChainKeyEnv, signKey: a.SigningKeyFile}
	path, head := a.File, a.HeadFile
	if head == "" && path != "" {
		head = audit.HeadPath(path)
	}
	if alerts {
		path, head = a.AlertFile, ""
		if path != "" {
			head = audit.HeadPath(path)
		}
	}
	switch {
	case cfg.Redis.Configured():
		c, err := redisclient.New(cfg.Redis, nil)
		if err != nil {
			return src, inputError{err}
		}
		src.rdb, src.stream, src.name = c, a.Stream, a.Stream
		if alerts {
			src.stream, src.name = a.AlertStream, a.AlertStream
		}
	case path != "":
		src.file, src.head, src.name = path, head, path
	default:
		return src, inputError{fmt.Errorf("%s: neither redis nor an audit file is configured: nothing to verify", cfgFile)}
	}
	return src, nil
}

// readCheckpoints reads the latest checkpoints of the source's stream
// (label "audit" or "alerts") and says where from.
func readCheckpoints(ctx context.Context, src verifySource, label string) ([]audit.Checkpoint, string, error) {
	var all []audit.Checkpoint
	var where string
	if src.rdb != nil {
		where = "redis"
		cps, err := audit.ReadRedisCheckpoints(ctx, src.rdb, src.stream)
		if err != nil {
			return nil, where, err
		}
		all = cps
	} else {
		where = "head file " + src.head
		if src.head == "" {
			return nil, "no head file", nil
		}
		h, err := audit.ReadHead(src.head)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, where + " missing", nil
		}
		if err != nil {
			return nil, where, err
		}
		all = h.Checkpoints
	}
	var out []audit.Checkpoint
	for _, c := range all {
		if c.Stream == label {
			out = append(out, c)
		}
	}
	return out, where, nil
}

// readChain feeds add with the links of the source.
func readChain(ctx context.Context, src verifySource, alerts bool, add func(audit.Link)) error {
	if src.rdb != nil {
		if alerts {
			return audit.ReadStream(ctx, src.rdb, src.stream, audit.FieldAlert, zeroTime, zeroTime, func(id string, a audit.Alert) error {
				add(audit.AlertLinkOf(a, "entry "+id))
				return nil
			})
		}
		return audit.ReadStream(ctx, src.rdb, src.stream, audit.FieldEvent, zeroTime, zeroTime, func(id string, e audit.Event) error {
			add(audit.LinkOf(e, "entry "+id))
			return nil
		})
	}
	line := 0
	var err error
	if alerts {
		err = audit.ReadFile(src.file, func(a audit.Alert) error {
			line++
			add(audit.AlertLinkOf(a, fmt.Sprintf("line %d", line)))
			return nil
		})
	} else {
		err = audit.ReadFile(src.file, func(e audit.Event) error {
			line++
			add(audit.LinkOf(e, fmt.Sprintf("line %d", line)))
			return nil
		})
	}
	if err != nil {
		return inputError{err}
	}
	return nil
}

// runAuditKeygen makes the chain key and the checkpoint signing key pair,
// or prints one chain key line (rotation).
func runAuditKeygen(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit keygen", stderr)
	out := fs.String("out", "", "directory for audit-chain.key, audit-signing.key and audit-signing.pub")
	id := fs.String("id", "", "chain key id (default k<unix time>)")
	chainOnly := fs.Bool("chain-key", false, "print one new chain key line (append it to audit.chain_key_file to rotate)")
	force := fs.Bool("force", false, "replace existing keys in --out (records keyed or signed by them then need the old keys kept elsewhere)")
	fs.Usage = func() { auditUsage(stderr) }
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" {
		*id = fmt.Sprintf("k%d", time.Now().Unix())
	}
	k, err := audit.GenerateChainKey(*id)
	if err != nil {
		return inputError{err}
	}
	if *chainOnly {
		fmt.Fprintln(stdout, audit.FormatChainKey(k))
		return nil
	}
	if *out == "" {
		fmt.Fprintln(stderr, "veil audit keygen: --out DIR (or --chain-key) is required")
		return errUsage
	}
	priv, pub, err := audit.GenerateSigningKey()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return inputError{err}
	}
	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{"audit-chain.key", []byte(audit.FormatChainKey(k) + "\n"), 0o600},
		{"audit-signing.key", priv, 0o600},
		{"audit-signing.pub", pub, 0o644},
	}
	if !*force {
		for _, f := range files {
			if _, err := os.Stat(filepath.Join(*out, f.name)); err == nil {
				return inputError{fmt.Errorf("%s exists: use --force to replace it (rotate the chain key with --chain-key instead)", filepath.Join(*out, f.name))}
			}
		}
	}
	for _, f := range files {
		p := filepath.Join(*out, f.name)
		if err := os.WriteFile(p, f.data, f.mode); err != nil {
			return inputError{err}
		}
		if err := os.Chmod(p, f.mode); err != nil {
			return inputError{err}
		}
	}
	fmt.Fprintf(stdout, "chain key %s: %s (audit.chain_key_file; keep a copy off the host: verify needs it)\n", k.ID, filepath.Join(*out, "audit-chain.key"))
	fmt.Fprintf(stdout, "signing key: %s (audit.signing_key_file)\n", filepath.Join(*out, "audit-signing.key"))
	fmt.Fprintf(stdout, "public key: %s (veil audit verify --pub)\n", filepath.Join(*out, "audit-signing.pub"))
	return nil
}
