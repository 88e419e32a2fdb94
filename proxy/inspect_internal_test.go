package proxy

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// readAtMost reads what is there whatever the declared length says, and
// never past the limit.
func TestReadAtMost(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 100) // 1000 bytes
	for _, tc := range []struct {
		name          string
		limit, length int64
		want          int
	}{
		{"declared right", 2000, 1000, 1000},
		{"declared short", 2000, 10, 1000},
		{"declared long", 2000, 1500, 1000},
		{"unknown", 2000, -1, 1000},
		{"at the limit", 1001, 1000, 1000},
		{"over the limit", 500, 400, 500},
		{"declared over the limit", 500, 1000, 500},
	} {
		for _, pooled := range []bool{false, true} {
			got, err := readAtMost(iotest.HalfReader(bytes.NewReader(body)), tc.limit, tc.length, pooled)
			if err != nil || len(got) != tc.want || !bytes.Equal(got, body[:tc.want]) {
				t.Errorf("%s (pooled %v): %d bytes, %v; want %d", tc.name, pooled, len(got), err, tc.want)
			}
		}
	}
	boom := errors.New("boom")
	if _, err := readAtMost(io.MultiReader(bytes.NewReader(body[:10]), iotest.ErrReader(boom)), 100, 50, false); !errors.Is(err, boom) {
		t.Errorf("a read error: %v", err)
	}
}
