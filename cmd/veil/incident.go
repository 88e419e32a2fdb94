package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/veil-proxy/veil/proxy/audit"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/incident"
	"github.com/veil-proxy/veil/proxy/redisclient"
)

// streamSkew widens the lower bound of a stream read: an entry's id is
// Redis's clock when it was written, an event's time its Veil's clock when
// it happened, and the two may disagree by a little.
const streamSkew = time.Hour

// runIncident: veil incident (--principal P | --ip A) [--since T] [--until T]
// [--aware-at T] [--format text|json] (--file audit.jsonl | -c veil.yaml)
// reports what a principal or client address touched and which breach
// notification clocks apply.
func runIncident(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("incident", stderr)
	var q incident.Query
	fs.StringVar(&q.Principal, "principal", "", "the principal (identity id) whose activity to report")
	fs.StringVar(&q.IP, "ip", "", "the client IP address whose activity to report")
	since := fs.String("since", "", "RFC 3339 start of the window (inclusive; default: the first event)")
	until := fs.String("until", "", "RFC 3339 end of the window (inclusive; default: the last event)")
	aware := fs.String("aware-at", "", "RFC 3339 time the breach was discovered: the clocks start here (default: now)")
	format := fs.String("format", "text", "output: text or json")
	file := fs.String("file", "", "JSONL audit file (audit.file) to read")
	cfgFile := fs.String("c", "", "config file (YAML): read its Redis audit stream (or its audit.file without Redis)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: veil incident (--principal P | --ip A) [--since T] [--until T] [--aware-at T] [--format text|json] (--file audit.jsonl | -c veil.yaml)

Reports the records, data subjects and categories a principal or client
address touched, what it saw in clear, and the breach notification clocks
that apply (GDPR, HIPAA, US state laws, PCI DSS ...). A triage aid, not
legal advice.

Example: veil incident --principal u-42 --since 2026-03-01T00:00:00Z --aware-at 2026-03-04T09:00:00Z -c veil.yaml`)
		fs.PrintDefaults()
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	usageErr := func(msg string) error {
		fmt.Fprintln(stderr, "veil incident:", msg)
		return errUsage
	}
	if q.Principal == "" && q.IP == "" {
		return usageErr("--principal or --ip is required")
	}
	if (*file == "") == (*cfgFile == "") {
		return usageErr("give one of --file or -c")
	}
	if *format != "text" && *format != "json" {
		return usageErr(fmt.Sprintf("--format %q is not text or json", *format))
	}
	for _, t := range []struct {
		flag, v string
		dst     *time.Time
	}{{"since", *since, &q.Since}, {"until", *until, &q.Until}, {"aware-at", *aware, &q.AwareAt}} {
		if t.v == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339, t.v)
		if err != nil {
			return usageErr(fmt.Sprintf("--%s: %v", t.flag, err))
		}
		*t.dst = v.UTC()
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && q.Until.Before(q.Since) {
		return usageErr("--until is before --since")
	}
	if q.AwareAt.IsZero() {
		q.AwareAt = time.Now().UTC().Truncate(time.Second)
	}

	b := incident.NewBuilder(q)
	if err := readAuditEvents(ctx, *file, *cfgFile, q.Since, func(e audit.Event) error { b.Add(e); return nil }); err != nil {
		return err
	}
	rep := b.Report()
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return incident.WriteText(stdout, rep)
}

// readAuditEvents feeds fn the audit events of the JSONL file, or of the
// Redis stream (else the audit file) the config names; since narrows a
// stream read.
func readAuditEvents(ctx context.Context, file, cfgFile string, since time.Time, fn func(audit.Event) error) error {
	if file != "" {
		return wrapStop(audit.ReadFile(file, fn), file)
	}
	cfg, err := config.Load(cfgFile)
	if err != nil {
		return inputError{err}
	}
	switch {
	case cfg.Redis.Configured():
		c, err := redisclient.New(cfg.Redis, nil)
		if err != nil {
			return inputError{err}
		}
		defer c.Close()
		if !since.IsZero() {
			since = since.Add(-streamSkew)
		}
		// No upper bound: an event spooled while Redis was away is
		// written later than it happened; the report filters by event time.
		return wrapStop(audit.ReadStream(ctx, c, cfg.Audit.Stream, audit.FieldEvent, since, time.Time{},
			func(_ string, e audit.Event) error { return fn(e) }), cfg.Audit.Stream)
	case cfg.Audit.File != "":
		return wrapStop(audit.ReadFile(cfg.Audit.File, fn), cfg.Audit.File)
	}
	return inputError{fmt.Errorf("%s: neither redis nor audit.file is configured: no audit events to read", cfgFile)}
}

func wrapStop(err error, source string) error {
	if err == nil || errors.Is(err, audit.ErrStop) {
		return nil
	}
	return fmt.Errorf("read audit events from %s: %w", source, err)
}
