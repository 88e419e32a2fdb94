package main

import (
	"os"
	"testing"
	"time"
)

// A line of /proc/<pid>/stat whose command name holds spaces and
// parentheses: utime (field 14) 1234 and stime (field 15) 567 must be
// counted from the last ')'.
const statLine = "8073 (veil (serve) x) S 8071 8071 21762 0 -1 4194304 98 0 0 0 1234 567 8 9 20 0 7 0 477058 3133440 374 " +
	"18446744073709551615 94209850720256 94209850740137 140721710491392 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"

func TestParseStat(t *testing.T) {
	c, err := parseStat([]byte(statLine))
	if err != nil {
		t.Fatal(err)
	}
	if c.user != 1234 || c.system != 567 || c.total() != 1801 {
		t.Fatalf("got %+v, want user 1234 system 567", c)
	}
	if d := c.duration(100); d != 18010*time.Millisecond {
		t.Fatalf("1801 ticks at 100 Hz = %v, want 18.01s", d)
	}
	if d := c.sub(cpuTicks{1000, 500}); d != (cpuTicks{234, 67}) {
		t.Fatalf("sub: %+v", d)
	}
}

func TestParseStatRejectsMalformed(t *testing.T) {
	for _, line := range []string{
		"",
		"8073 veil S 1 2 3",                  // no parentheses
		"8073 (veil) S 8071 8071 21762 0 -1", // too few fields
		"8073 (veil) S 8071 8071 21762 0 -1 4194304 98 0 0 0 x 567 8 9", // utime not a number
	} {
		if c, err := parseStat([]byte(line)); err == nil {
			t.Errorf("%q: got %+v, want an error", line, c)
		}
	}
}

// The reader agrees with the parser on this very process, whose CPU time
// only grows.
func TestReadCPUOfSelf(t *testing.T) {
	a, err := readCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	b, err := readCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if b.user < a.user || b.system < a.system {
		t.Fatalf("CPU time went back: %+v then %+v", a, b)
	}
}

func TestParseStatusKB(t *testing.T) {
	status := "Name:\tveil\nVmPeak:\t  900000 kB\nVmHWM:\t  131072 kB\nVmRSS:\t   65536 kB\nThreads:\t9\n"
	hwm, err := parseStatusKB([]byte(status), "VmHWM")
	if err != nil || hwm != 128<<20 {
		t.Fatalf("VmHWM = %d, %v; want %d", hwm, err, 128<<20)
	}
	rss, err := parseStatusKB([]byte(status), "VmRSS")
	if err != nil || rss != 64<<20 {
		t.Fatalf("VmRSS = %d, %v; want %d", rss, err, 64<<20)
	}
	if _, err := parseStatusKB([]byte(status), "VmSwap"); err == nil {
		t.Fatal("a missing key must be an error")
	}
	if _, err := parseStatusKB([]byte("VmHWM:\t12 MB\n"), "VmHWM"); err == nil {
		t.Fatal("a unit other than kB must be an error")
	}
}

func TestParseMachineStat(t *testing.T) {
	stat := "cpu  204693 7 44696 721572 1559 3 4204 660 0 0\ncpu0 98967 0 21309 365729 318 0 1994 329 0 0\n"
	m, err := parseMachineStat([]byte(stat))
	if err != nil {
		t.Fatal(err)
	}
	if want := (machineTicks{busy: 204693 + 7 + 44696 + 3 + 4204 + 660, irq: 3 + 4204}); m != want {
		t.Fatalf("got %+v, want %+v (idle and iowait left out)", m, want)
	}
	if _, err := parseMachineStat([]byte("cpu0 1 2 3\n")); err == nil {
		t.Fatal("a first line that is not the total must be an error")
	}
}

// "other" is the machine's busy time outside interrupts that none of the
// watched processes used, never below zero.
func TestCPUDurationsOther(t *testing.T) {
	hz := ticksPerSecond()
	tick := time.Second / time.Duration(hz)
	w := &cpuWatch{used: map[string]cpuTicks{
		roleMachine: {user: 170, system: 20}, // 190 busy, 20 of them interrupts
		roleClient:  {user: 30, system: 10},
		"proxy":     {user: 80, system: 20},
	}}
	got := cpuDurations(w)
	if got[roleIRQ] != 20*tick || got[roleOther] != 30*tick || got[roleMachine] != 190*tick || got["proxy"] != 100*tick {
		t.Fatalf("got %v", got)
	}
	w.used["crm"] = cpuTicks{user: 50}
	if got := cpuDurations(w); got[roleOther] != 0 {
		t.Fatalf("other = %v, want 0 when the processes' ticks exceed the machine's", got[roleOther])
	}
}
