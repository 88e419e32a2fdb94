package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// The CPU a process used, from /proc/<pid>/stat, and its peak resident
// memory, from /proc/<pid>/status (Linux only, as the benchmark is).

// userHZ is the unit of utime and stime in /proc/<pid>/stat: USER_HZ,
// which Linux fixes at 100 on every architecture Go runs it on.
// clockTicks asks getconf, and falls back to it.
const userHZ = 100

// clockTicks returns the clock ticks per second of /proc's CPU times:
// `getconf CLK_TCK` when it answers, else userHZ.
func clockTicks() int64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err != nil {
		return userHZ
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil || n <= 0 {
		return userHZ
	}
	return n
}

// cpuTicks is a process's user and system CPU time, in clock ticks, all
// of its threads together (not its children).
type cpuTicks struct{ user, system int64 }

// total is user + system.
func (c cpuTicks) total() int64 { return c.user + c.system }

// sub is the CPU used between two readings.
func (c cpuTicks) sub(before cpuTicks) cpuTicks {
	return cpuTicks{c.user - before.user, c.system - before.system}
}

// duration converts ticks at hz per second into time.
func (c cpuTicks) duration(hz int64) time.Duration {
	return time.Duration(c.total()) * time.Second / time.Duration(hz)
}

// parseStat reads utime and stime (fields 14 and 15, proc(5)) from the
// contents of /proc/<pid>/stat. The command name (field 2) is in
// parentheses and may itself hold spaces and parentheses, so the fields
// are counted from the last ')'.
func parseStat(b []byte) (cpuTicks, error) {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return cpuTicks{}, errors.New("no ')' closing the command name")
	}
	// After ") ": field 3 (state) is rest[0], so field k is rest[k-3].
	rest := strings.Fields(string(b[end+1:]))
	const utime, stime = 14 - 3, 15 - 3
	if len(rest) <= stime {
		return cpuTicks{}, fmt.Errorf("%d fields after the command name, want at least %d", len(rest), stime+1)
	}
	u, err := strconv.ParseInt(rest[utime], 10, 64)
	if err != nil {
		return cpuTicks{}, fmt.Errorf("utime: %w", err)
	}
	s, err := strconv.ParseInt(rest[stime], 10, 64)
	if err != nil {
		return cpuTicks{}, fmt.Errorf("stime: %w", err)
	}
	return cpuTicks{u, s}, nil
}

// readCPU reads the CPU time of process pid so far.
func readCPU(pid int) (cpuTicks, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return cpuTicks{}, err
	}
	c, err := parseStat(b)
	if err != nil {
		return cpuTicks{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return c, nil
}

// parseStatusKB reads a "Key:   N kB" line (VmHWM, VmRSS) of
// /proc/<pid>/status, in bytes.
func parseStatusKB(b []byte, key string) (int64, error) {
	for line := range strings.SplitSeq(string(b), "\n") {
		v, ok := strings.CutPrefix(line, key+":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("%s: unexpected %q", key, line)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", key, err)
		}
		return n << 10, nil
	}
	return 0, fmt.Errorf("no %s line", key)
}

// readStatusKB reads key (VmHWM: the peak resident set; VmRSS: the
// current one) of process pid, in bytes.
func readStatusKB(pid int, key string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseStatusKB(b, key)
}

// machineTicks is the whole machine's busy CPU time, all cores together.
type machineTicks struct {
	busy int64 // everything but idle and iowait
	irq  int64 // of which interrupts and softirqs (on loopback, much of TCP's work)
}

// parseMachineStat reads the first line of /proc/stat ("cpu  user nice
// system idle iowait irq softirq steal guest guest_nice", in clock ticks)
// into the busy time and its interrupt part (guest time is already inside
// user and nice).
func parseMachineStat(b []byte) (machineTicks, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return machineTicks{}, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var m machineTicks
	for k, name := range []string{"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"} {
		n, err := strconv.ParseInt(f[k+1], 10, 64)
		if err != nil {
			return machineTicks{}, fmt.Errorf("/proc/stat %s: %w", name, err)
		}
		switch name {
		case "idle", "iowait":
		case "irq", "softirq":
			m.busy += n
			m.irq += n
		default:
			m.busy += n
		}
	}
	return m, nil
}

// readMachine reads the machine's busy CPU time so far.
func readMachine() (machineTicks, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineTicks{}, err
	}
	return parseMachineStat(b)
}
