package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/veil-proxy/veil/detectors"
	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/body"
)

// runScan: veil scan [--format table|jsonl] PATH...
// Exit 0 whether or not personal data was found; 2 on bad usage or
// unreadable input.
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
	s := detectors.NewScanner(detectors.Default())
	type row struct {
		File string `json:"file"`
		proxy.DocFinding
	}
	var rows []row
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return inputError{err}
		}
		var finds []proxy.DocFinding
		if strings.EqualFold(filepath.Ext(f), ".csv") {
			finds, err = proxy.ScanCSV(s, b)
		} else {
			finds, err = proxy.ScanJSON(s, b, body.Limits{})
		}
		if err != nil {
			return inputError{fmt.Errorf("%s: %w", f, err)}
		}
		for _, d := range finds {
			rows = append(rows, row{File: f, DocFinding: d})
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
