package main

import (
	"context"
	"fmt"
	"io"
	"time"

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
  veil audit verify --file FILE [--alerts]   check the hash chains of a JSONL audit (or alert) file
  veil audit verify -c FILE [--alerts]       check the configured Redis stream (or audit.file without Redis)

Prints, per instance, the records, first and last seq, and OK or the first
broken link; exits 1 when a chain is broken. Example:
  veil audit verify --file /var/log/veil/audit.jsonl
`)
}

// runAuditVerify checks each instance's hash chain in a JSONL file or a
// Redis stream, in order.
func runAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit verify", stderr)
	file := fs.String("file", "", "JSONL file of audit events (or alerts with --alerts)")
	cfgFile := fs.String("c", "", "config file (YAML): read its Redis stream (or its audit file without Redis)")
	alerts := fs.Bool("alerts", false, "verify the alerts (alert_stream, alert_file) instead of the events")
	fs.Usage = func() { auditUsage(stderr) }
	if err := parse(fs, args); err != nil {
		return err
	}
	if (*file == "") == (*cfgFile == "") {
		fmt.Fprintln(stderr, "veil audit verify: give either --file or -c")
		return errUsage
	}
	var v audit.Verifier
	source, err := readChain(ctx, *file, *cfgFile, *alerts, v.Add)
	if err != nil {
		return err
	}
	reps := v.Reports()
	if len(reps) == 0 {
		fmt.Fprintf(stdout, "%s: no records\n", source)
	}
	for _, r := range reps {
		fmt.Fprintf(stdout, "%s: instance %s: %d records, seq %d..%d", source, r.Instance, r.Events, r.First, r.Last)
		if r.Trimmed() {
			fmt.Fprintf(stdout, " (starts at seq %d: earlier records trimmed or not here)", r.First)
		}
		if r.Broken != nil {
			fmt.Fprintf(stdout, ": BROKEN at seq %d (%s): %s\n", r.Broken.Seq, r.Broken.Where, r.Broken.Problem)
			continue
		}
		fmt.Fprintln(stdout, ": OK")
	}
	if !v.OK() {
		return errFailed
	}
	return nil
}

// readChain feeds add with the links of the file, or of the configured
// stream (or file), and names the source.
func readChain(ctx context.Context, file, cfgFile string, alerts bool, add func(audit.Link)) (string, error) {
	line := 0
	fromFile := func(path string) error {
		if alerts {
			return audit.ReadFile(path, func(a audit.Alert) error {
				line++
				add(audit.AlertLinkOf(a, fmt.Sprintf("line %d", line)))
				return nil
			})
		}
		return audit.ReadFile(path, func(e audit.Event) error {
			line++
			add(audit.LinkOf(e, fmt.Sprintf("line %d", line)))
			return nil
		})
	}
	if file != "" {
		if err := fromFile(file); err != nil {
			return file, inputError{err}
		}
		return file, nil
	}
	cfg, err := config.Load(cfgFile)
	if err != nil {
		return cfgFile, inputError{err}
	}
	path := cfg.Audit.File
	if alerts {
		path = cfg.Audit.AlertFile
	}
	switch {
	case cfg.Redis.Configured():
		c, err := redisclient.New(cfg.Redis, nil)
		if err != nil {
			return cfgFile, inputError{err}
		}
		defer c.Close()
		stream := cfg.Audit.Stream
		if alerts {
			stream = cfg.Audit.AlertStream
			err = audit.ReadStream(ctx, c, stream, audit.FieldAlert, zeroTime, zeroTime, func(id string, a audit.Alert) error {
				add(audit.AlertLinkOf(a, "entry "+id))
				return nil
			})
		} else {
			err = audit.ReadStream(ctx, c, stream, audit.FieldEvent, zeroTime, zeroTime, func(id string, e audit.Event) error {
				add(audit.LinkOf(e, "entry "+id))
				return nil
			})
		}
		return stream, err
	case path != "":
		if err := fromFile(path); err != nil {
			return path, inputError{err}
		}
		return path, nil
	}
	return cfgFile, inputError{fmt.Errorf("%s: neither redis nor an audit file is configured: nothing to verify", cfgFile)}
}
