package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// profiled runs f while Veil's admin listener (admin.pprof on) takes a
// CPU profile of about d, written to path: the profile covers the run, the
// run does not wait for more than the profile's last second.
func profiled(ctx context.Context, admin, path string, d time.Duration, f func() (loadResult, error)) (loadResult, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return loadResult{}, err
	}
	done := make(chan error, 1)
	go func() { done <- fetchProfile(ctx, admin, path, d) }()
	r, err := f()
	if perr := <-done; perr != nil {
		err = errors.Join(err, fmt.Errorf("CPU profile of Veil: %w", perr))
	}
	return r, err
}

// fetchProfile writes /debug/pprof/profile?seconds=⌈d⌉ to path.
func fetchProfile(ctx context.Context, admin, path string, d time.Duration) error {
	secs := int(math.Ceil(d.Seconds()))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", admin, secs), nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		return fmt.Errorf("status %d: %s", res.StatusCode, msg)
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, res.Body); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
