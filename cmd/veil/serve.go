package main

import (
	"context"
	"fmt"
	"io"

	"github.com/veil-proxy/veil/proxy"
	"github.com/veil-proxy/veil/proxy/config"
	"github.com/veil-proxy/veil/proxy/logging"
	"github.com/veil-proxy/veil/proxy/scan"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	file := fs.String("c", "", "config file (YAML)")
	check := fs.Bool("check", false, "validate the config (and compile the policy) and exit")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *file == "" {
		fmt.Fprintln(stderr, "veil serve: -c FILE is required")
		fs.Usage()
		return errUsage
	}
	cfg, err := config.Load(*file)
	if err != nil {
		return err
	}
	if *check {
		return build(ctx, cfg, stderr, func(srv *proxy.Server) error {
			fmt.Fprintf(stdout, "%s: ok (%d routes, %d principals, policy revision %s)\n", *file, len(cfg.Routes), len(cfg.Identity.Principals), srv.Engine.Revision())
			return nil
		})
	}
	if err := warnAdmin(cfg, stderr); err != nil {
		return err
	}
	return serve(ctx, cfg, stderr, nil)
}

// warnAdmin logs what config.AdminWarnings finds (an admin API open on
// loopback, a token in clear text on the network). veil demo does not.
func warnAdmin(cfg *config.Config, stderr io.Writer) error {
	w := cfg.AdminWarnings()
	if len(w) == 0 {
		return nil
	}
	log, err := logging.New(logging.Options{Level: cfg.Log.Level, Output: stderr, Scrub: scan.LogScrubber()})
	if err != nil {
		return err
	}
	for _, m := range w {
		log.Warn(m)
	}
	_ = log.Sync()
	return nil
}

// build makes the logger and the server, then hands the server to use.
func build(ctx context.Context, cfg *config.Config, stderr io.Writer, use func(*proxy.Server) error) error {
	log, err := logging.New(logging.Options{Level: cfg.Log.Level, Output: stderr, Scrub: scan.LogScrubber()})
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	srv, err := proxy.New(ctx, cfg, proxy.Options{Logger: log})
	if err != nil {
		return err
	}
	defer srv.Close()
	return use(srv)
}

// serve builds the server, opens its listeners, calls ready (may be nil)
// and serves until ctx is done.
func serve(ctx context.Context, cfg *config.Config, stderr io.Writer, ready func()) error {
	return build(ctx, cfg, stderr, func(srv *proxy.Server) error {
		ln, adminLn, err := proxy.Listen(cfg)
		if err != nil {
			return err
		}
		fwdLn, err := proxy.ListenForward(cfg)
		if err != nil {
			ln.Close()
			adminLn.Close()
			return err
		}
		if ready != nil {
			ready()
		}
		return srv.ServeAll(ctx, proxy.Listeners{Proxy: ln, Admin: adminLn, Forward: fwdLn})
	})
}

// runVersion: veil version (also veil --version): the version make build
// stamps with -X github.com/veil-proxy/veil/proxy.Version=..., "dev"
// otherwise.
func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if err := parse(newFlags("version", stderr), args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "veil", proxy.Version)
	return nil
}
