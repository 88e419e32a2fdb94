// Command veil is Veil's one binary. Each verb turns flags into config and
// calls into proxy; no logic lives here.
//
//	veil serve -c veil.yaml [--check]   run the proxy (or only validate the config)
//	veil demo                            fake CRM + proxy in one process, no Redis
//	veil scan [--format table|jsonl] PATH...  find personal data in .json/.csv files
//	veil policy test [-v] [DIR]          run a bundle's Rego tests
//	veil policy eval --input FILE [--rules DIR]  print the decision for one input
//	veil vault keygen [--id ID]          print a new vault key line
//	veil vault forget -c FILE --token T | --category C --value V  erase from a Redis vault
//	veil inventory [--admin URL] [--format table|json]  print the data inventory a running Veil learned
//	veil incident --principal P | --ip A [--since T --until T] --file F | -c FILE  incident report and notification clocks
//	veil audit verify --file F | -c FILE [--alerts]  check the audit chains, macs and checkpoints
//	veil audit keygen --out DIR                    make the audit chain and signing keys
//	veil ca init --out DIR [--permit D,D] [--any-host]  make forward mode's CA
//	veil version | veil --version         print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

type command struct {
	name, usage string
	run         func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"serve", "run the proxy: veil serve -c FILE [--check]", runServe},
	{"demo", "run the demo: fake Salesforce + HubSpot behind Veil on 127.0.0.1", runDemo},
	{"scan", "find personal data in files: veil scan [--format table|jsonl] PATH...", runScan},
	{"policy", "test or evaluate a policy bundle: veil policy test [DIR] | veil policy eval --input FILE [--rules DIR]", runPolicy},
	{"vault", "vault keys and erasure: veil vault keygen [--id ID] | veil vault forget -c FILE --token T | --category C --value V", runVault},
	{"inventory", "print the data inventory and body coverage of a running Veil: veil inventory [--admin URL] [--token-file F] [--format table|json] [--coverage]", runInventory},
	{"audit", "verify the audit trail: veil audit verify (--file F | -c FILE) [--alerts] [--key K] [--pub P] [--strict]; veil audit keygen --out DIR", runAudit},
	{"incident", "incident report for a principal or IP: veil incident (--principal P | --ip A) [--since T] [--until T] (--file F | -c FILE)", runIncident},
	{"ca", "forward mode's CA: veil ca init --out DIR [--permit D,D...] [--any-host] [--days N] [--force]", runCA},
	{"version", "print the version", runVersion},
}

// errUsage means the arguments were wrong; usage has been printed.
var errUsage = errors.New("usage")

// errHelp means -h was asked for and answered: exit 0.
var errHelp = errors.New("help")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, errHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	case errors.Is(err, errFailed):
		os.Exit(1)
	case errors.As(err, new(inputError)):
		fmt.Fprintln(os.Stderr, "veil:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "veil:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	if args[0] == "--version" || args[0] == "-version" {
		return runVersion(ctx, args[1:], stdout, stderr)
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "veil: unknown command %q\n\n", args[0])
	usage(stderr)
	return errUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Veil: a privacy proxy in front of Salesforce and HubSpot.\n\nUsage: veil <command> [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nRun 'veil <command> -h' for a command's flags, 'veil --version' for the version.")
}

// newFlags returns a FlagSet that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("veil "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %v\n", fs.Args())
		fs.Usage()
		return errUsage
	}
	return nil
}
