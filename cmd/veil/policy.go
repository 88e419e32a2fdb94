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
	"os"

	"github.com/veil-proxy/veil/policy"
	"github.com/veil-proxy/veil/rules"
)

// errFailed means the command ran and reported a failure (a Rego test
// failed): exit 1 without another message.
var errFailed = errors.New("failed")

func runPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "test":
			return runPolicyTest(ctx, args[1:], stdout, stderr)
		case "eval":
			return runPolicyEval(ctx, args[1:], stdout, stderr)
		case "-h", "--help", "help":
			policyUsage(stderr)
			return errHelp
		}
	}
	policyUsage(stderr)
	return errUsage
}

func policyUsage(w io.Writer) {
	fmt.Fprint(w, `Usage:
  veil policy test [-v] [DIR]                 run the bundle's *_test.rego (DIR: a bundle directory; default the built-in bundle)
  veil policy eval --input FILE [--rules DIR] print the decision for one input (FILE "-" is stdin)
`)
}

// bundleFS is the bundle in dir, or the built-in one for "".
func bundleFS(dir string) (fs.FS, string, error) {
	if dir == "" {
		return rules.FS, "built-in bundle", nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, "", inputError{err}
	}
	if !st.IsDir() {
		return nil, "", inputError{fmt.Errorf("%s: not a directory", dir)}
	}
	return os.DirFS(dir), dir, nil
}

func runPolicyTest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := newFlags("policy test", stderr)
	verbose := fset.Bool("v", false, "list every test, not only failures")
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return errUsage
	}
	if fset.NArg() > 1 {
		fmt.Fprintln(stderr, "veil policy test: at most one bundle directory")
		return errUsage
	}
	fsys, name, err := bundleFS(fset.Arg(0))
	if err != nil {
		return err
	}
	results, err := policy.RunTests(ctx, fsys)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(results) == 0 {
		return fmt.Errorf("%s: no test rules (test_* in *_test.rego)", name)
	}
	pass, fail, skip := 0, 0, 0
	for _, r := range results {
		switch {
		case r.Skip:
			skip++
			if *verbose {
				fmt.Fprintf(stdout, "SKIP %s.%s\n", r.Package, r.Name)
			}
		case r.Pass:
			pass++
			if *verbose {
				fmt.Fprintf(stdout, "PASS %s.%s (%s)\n", r.Package, r.Name, r.Duration)
			}
		default:
			fail++
			fmt.Fprintf(stdout, "FAIL %s.%s (%s)\n  %s\n", r.Package, r.Name, r.Duration, indent(r.Fail))
		}
	}
	fmt.Fprintf(stdout, "%s: %d passed, %d failed, %d skipped\n", name, pass, fail, skip)
	if fail > 0 {
		return errFailed
	}
	return nil
}

func indent(s string) string {
	return string(bytes.ReplaceAll([]byte(s), []byte("\n"), []byte("\n  ")))
}

func runPolicyEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := newFlags("policy eval", stderr)
	file := fset.String("input", "", "the input document (JSON, as rules/input.schema.json describes; - for stdin)")
	dir := fset.String("rules", "", "bundle directory (default: the built-in bundle)")
	if err := parse(fset, args); err != nil {
		return err
	}
	if *file == "" {
		fmt.Fprintln(stderr, "veil policy eval: --input FILE is required")
		fset.Usage()
		return errUsage
	}
	var raw []byte
	var err error
	if *file == "-" {
		raw, err = io.ReadAll(os.Stdin)
	} else {
		raw, err = os.ReadFile(*file)
	}
	if err != nil {
		return inputError{err}
	}
	in, err := decodeInput(raw)
	if err != nil {
		return inputError{fmt.Errorf("%s: %w", *file, err)}
	}
	fsys, name, err := bundleFS(*dir)
	if err != nil {
		return err
	}
	e, err := policy.New(ctx, policy.Options{FS: fsys, Recent: -1})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	d, err := e.Decide(ctx, in)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

// decodeInput reads one input strictly: an unknown or misspelt member is
// an error, not a field the policy silently never sees.
func decodeInput(raw []byte) (*policy.Input, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var in policy.Input
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("not a policy input: %w", err)
	}
	if dec.More() {
		return nil, errors.New("not a policy input: more than one JSON value")
	}
	return &in, nil
}
