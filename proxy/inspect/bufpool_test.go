package inspect

import (
	"bytes"
	"flag"
	"io"
	"os"
	"testing"
)

// TestMain runs this package's tests with released body buffers poisoned
// (filled with poisonByte and never reused): a buffer returned while
// something still reads it shows up as garbage in what the tests check.
// Benchmarks keep the pools as Veil runs them.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		poisonReleased.Store(true)
	}
	os.Exit(m.Run())
}

func TestBodyPoolClasses(t *testing.T) {
	for _, tc := range []struct{ n, cap int }{
		{0, 4 << 10}, {1, 4 << 10}, {4 << 10, 4 << 10}, {4<<10 + 1, 8 << 10},
		{10114, 16 << 10}, {1 << 20, 1 << 20}, {1<<20 + 1, 2 << 20}, {16 << 20, 16 << 20},
		{16<<20 + 1, 16<<20 + 1}, // above the largest class: exact, unpooled
	} {
		if b := getBody(tc.n); len(b) != 0 || cap(b) != tc.cap {
			t.Errorf("getBody(%d): len %d cap %d, want 0 and %d", tc.n, len(b), cap(b), tc.cap)
		}
	}
	// Only a class's own capacity goes back: a buffer that grew (or never
	// came from a pool) is left to the collector.
	defer PoisonReleased(true)()
	for _, c := range []int{3000, 5000, 32 << 20, 1 << 11} {
		b := bytes.Repeat([]byte{'x'}, c)
		putBody(b)
		if bytes.IndexByte(b, poisonByte) >= 0 {
			t.Errorf("putBody took a buffer of capacity %d", c)
		}
	}
	b := getBody(5000)
	b = append(b, bytes.Repeat([]byte{'y'}, 5000)...)
	putBody(b)
	if bytes.Count(b[:cap(b)], []byte{poisonByte}) != cap(b) {
		t.Error("a released class buffer is not poisoned whole")
	}
}

func TestPooledBody(t *testing.T) {
	defer PoisonReleased(true)()
	b := append(getBody(6), "secret payload"...)
	p := newPooledBody(b)
	got, err := io.ReadAll(p)
	if err != nil || string(got) != "secret payload" {
		t.Fatalf("read %q, %v", got, err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b[:cap(b)], []byte("secret")) {
		t.Error("the buffer was not released on Close")
	}
	if n, err := p.Read(make([]byte, 8)); n != 0 || err == nil {
		t.Errorf("a read after Close: %d, %v", n, err)
	}
	if err := p.Close(); err != nil { // twice: harmless
		t.Fatal(err)
	}
}

func TestReadAtMostPooled(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 1000)
	got, err := readAtMost(bytes.NewReader(body), 1<<20, int64(len(body)), true)
	if err != nil || !bytes.Equal(got, body) || cap(got) != 16<<10 {
		t.Fatalf("%d bytes (cap %d), %v", len(got), cap(got), err)
	}
}
