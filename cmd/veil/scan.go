package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/proxy/body"
	"github.com/veil-proxy/veil/proxy/scan"
)

// runScan: veil scan [--format table|jsonl] PATH...
// Exit 0 whether or not personal data was found; 2 on bad usage, or
// input unreadable or of a type it does not read (neither .json nor .csv,
// or binary).
func runScan(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fl := newFlags("scan", stderr)
	format := fl.String("format", "table", "output: table or jsonl (one object per finding)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "Usage: veil scan [--format table|jsonl] PATH...\n\nPATH is a .json or .csv file, or a directory (every .json/.csv inside, skipping *.expect.json).")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return errUsage
	}
	if *format != "table" && *format != "jsonl" {
		fmt.Fprintf(stderr, "veil scan: --format %q is not table or jsonl\n", *format)
		return errUsage
	}
	if fl.NArg() == 0 {
		fl.Usage()
		return errUsage
	}
	var files []string
	for _, p := range fl.Args() {
		found, err := collect(p)
		if err != nil {
			return inputError{err}
		}
		files = append(files, found...)
	}
	// Every file is of a type it reads before any is scanned: a PNG named
	// on the command line is no "invalid JSON".
	for _, f := range files {
		if err := unsupported(f); err != nil {
			return inputError{err}
		}
	}
	s := detectors.NewScanner(detectors.Default())
	type row struct {
		File string `json:"file"`
		scan.Finding
	}
	var rows []row
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return inputError{err}
		}
		as := scanFormat(f)
		if kind, ok := binary(b); ok {
			return inputError{fmt.Errorf("%s: unsupported file type: binary content (%s), not %s; %s", f, kind, as, scanSupported)}
		}
		var finds []scan.Finding
		if as == "CSV" {
			finds, err = scan.CSV(s, b)
		} else {
			finds, err = scan.JSON(s, b, body.Limits{})
		}
		if err != nil {
			return inputError{fmt.Errorf("%s: %w", f, err)}
		}
		for _, d := range finds {
			rows = append(rows, row{File: f, Finding: d})
		}
	}
	if *format == "jsonl" {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tPOINTER\tCATEGORY\tDETECTOR\tCONFIDENCE\tTEXT")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f\t%s\n", r.File, r.Pointer, r.Category, r.Detector, r.Confidence, r.Text)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d findings in %d files\n", len(rows), len(files))
	return nil
}

// scanSupported names the formats veil scan reads, for its errors.
const scanSupported = "veil scan reads JSON (.json) and CSV (.csv) files"

// scanFormat is the format veil scan reads a file as, from its extension
// (any case): "JSON", "CSV", or "" for none it reads.
func scanFormat(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		return "JSON"
	case ".csv":
		return "CSV"
	}
	return ""
}

// unsupported says, naming the file and the formats read, why veil scan
// does not read a file (its extension), or nil if it does.
func unsupported(name string) error {
	if scanFormat(name) != "" {
		return nil
	}
	ext := filepath.Ext(name)
	if ext == "" {
		return fmt.Errorf("%s: unsupported file type (no extension); %s", name, scanSupported)
	}
	return fmt.Errorf("%s: unsupported file type %q; %s", name, ext, scanSupported)
}

// binary reports whether b is no text file: a NUL byte in its first 8 KB,
// as git and grep tell (text in a legacy charset stays readable), with the
// type it looks like (image/png, application/pdf...).
func binary(b []byte) (string, bool) {
	if bytes.IndexByte(b[:min(len(b), 8<<10)], 0) < 0 {
		return "", false
	}
	return http.DetectContentType(b), true
}

// collect returns p itself if it is a file, or every .json/.csv below it
// (skipping *.expect.json) in lexical order.
func collect(p string) ([]string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{p}, nil
	}
	var out []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := strings.ToLower(d.Name())
		if d.IsDir() || strings.HasSuffix(name, ".expect.json") {
			return nil
		}
		if strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".csv") {
			out = append(out, path)
		}
		return nil
	})
	return out, err
}

// inputError is unreadable input: exit 2 with its message.
type inputError struct{ err error }

func (e inputError) Error() string { return e.err.Error() }
func (e inputError) Unwrap() error { return e.err }
