package policy

import (
	"context"
	"hash/fnv"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Watch polls the bundle directories every interval and reloads once what
// changed has been quiet for debounce (an editor's save, a ConfigMap
// swap and a git checkout all touch several files in a row). Polling
// needs no platform support and sees symlink swaps (Kubernetes
// ConfigMaps) that change-notification APIs miss. A change that does not
// compile is logged and counted; the serving bundle stays. Watch returns
// when ctx is done.
func (e *Engine) Watch(ctx context.Context, interval, debounce time.Duration) {
	last := e.loadedFP.Load() // the files as last loaded (or tried)
	var pending uint64
	var since time.Time
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			fp := e.fingerprint()
			switch {
			case fp == last:
				pending = 0
				continue
			case fp != pending: // still changing: wait for quiet
				pending, since = fp, now
				continue
			case now.Sub(since) < debounce:
				continue
			}
			last, pending = fp, 0
			e.log.Info("policy bundle changed on disk; reloading")
			if err := e.Reload(ctx); err != nil && ctx.Err() == nil {
				e.log.Warn("policy bundle change not applied", zap.Error(err))
			}
		}
	}
}

// fingerprint hashes the name, size and modification time of every file
// the loader would read, in both bundles.
func (e *Engine) fingerprint() uint64 {
	h := fnv.New64a()
	for _, fsys := range []fs.FS{e.fsys, e.shadowFS} {
		if fsys == nil {
			continue
		}
		_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				h.Write([]byte("error:" + p + "\x00")) // a vanished file is a change too
				return nil
			}
			name := d.Name()
			if d.IsDir() {
				if p != "." && strings.HasPrefix(name, ".") {
					return fs.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(name, ".rego") && !strings.HasPrefix(name, "data.") && name != SchemaFile {
				return nil
			}
			info, err := fs.Stat(fsys, p) // follows symlinks: a ConfigMap swaps ..data under them
			if err != nil {
				h.Write([]byte("error:" + p + "\x00"))
				return nil
			}
			h.Write([]byte(p + "\x00" + strconv.FormatInt(info.Size(), 10) + "\x00" + strconv.FormatInt(info.ModTime().UnixNano(), 10) + "\x00"))
			return nil
		})
	}
	return h.Sum64()
}
