package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"time"
)

// child is a process veilbench started: the CRM, the bare proxy, Veil or
// redis-server. Its stdout and stderr go to a log file in the run's
// temporary directory; nothing of it is printed unless it fails (Veil's
// log holds no personal data; the others log none).
type child struct {
	name string
	cmd  *exec.Cmd
	log  string        // path of its stdout and stderr
	done chan struct{} // closed once it has exited and been waited for
	err  error         // its exit, once done is closed
}

// pid is the child's process id.
func (c *child) pid() int { return c.cmd.Process.Pid }

// children are every process of the run, stopped together.
type children struct {
	dir  string
	mu   sync.Mutex
	list []*child
}

// start runs argv as a child named name. The kernel kills it should
// veilbench die without stopping it (SIGKILL, a crash): Pdeathsig.
func (cs *children) start(name string, argv ...string) (*child, error) {
	logPath := filepath.Join(cs.dir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Dir = cs.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	cs.mu.Lock()
	cs.list = append(cs.list, c)
	cs.mu.Unlock()
	return c, nil
}

// stop asks the child to end (SIGTERM), and kills it after grace.
func (c *child) stop(grace time.Duration) {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// stopAll stops every child, the last started first (Veil before the
// Redis and CRM it uses).
func (cs *children) stopAll() {
	cs.mu.Lock()
	list := cs.list
	cs.list = nil
	cs.mu.Unlock()
	for k := len(list) - 1; k >= 0; k-- {
		list[k].stop(5 * time.Second)
	}
}

// waitLog waits until the child's log holds a line matching re and
// returns the submatches, or fails when the child exits, ctx ends or
// timeout passes.
func (c *child) waitLog(ctx context.Context, re *regexp.Regexp, timeout time.Duration) ([]string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(c.log); err == nil {
			if m := re.FindSubmatch(b); m != nil {
				out := make([]string, len(m))
				for k := range m {
					out[k] = string(m[k])
				}
				return out, nil
			}
		}
		select {
		case <-c.done:
			return nil, fmt.Errorf("%s exited (%v) before it served:\n%s", c.name, c.err, c.tail(20))
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline.C:
			return nil, fmt.Errorf("%s did not serve within %s:\n%s", c.name, timeout, c.tail(20))
		case <-tick.C:
		}
	}
}

// tail returns the last n lines of the child's log, for an error.
func (c *child) tail(n int) string {
	b, err := os.ReadFile(c.log)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// alive fails if the child has exited.
func (c *child) alive() error {
	select {
	case <-c.done:
		return errors.New(c.name + " exited: " + fmt.Sprint(c.err) + "\n" + c.tail(20))
	default:
		return nil
	}
}
