package policy_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/veil-proxy/veil/policy"
)

// benchInput is a query response with n findings over Contacts of seven
// fields each, read by marketing: the heaviest default path, since the
// consent rule scans findings (records 1 and 3 opted out).
func benchInput(n int) *policy.Input {
	in := queryResponse([]string{"marketing"}, "marketing", n/len(sfFields)+1)
	in.Findings = in.Findings[:n]
	return in
}

func BenchmarkDecide(b *testing.B) {
	e := newEngine(b)
	ctx := context.Background()
	for _, n := range []int{0, 10, 50} {
		in := benchInput(n)
		b.Run(fmt.Sprintf("findings=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Decide(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecideParallel(b *testing.B) {
	e := newEngine(b)
	in := benchInput(50)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.Decide(context.Background(), in); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkReload(b *testing.B) {
	e := newEngine(b)
	for b.Loop() {
		if err := e.Reload(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
