package vault

import (
	"context"
	"strconv"
	"testing"

	"github.com/veil-proxy/veil/proxy/redistest"
)

// benchBackends are the stores benchmarked: memory, and a real
// redis-server on loopback (each call one round trip).
func benchBackends(b *testing.B) map[string]func(b *testing.B) Store {
	return map[string]func(b *testing.B) Store{
		"memory": func(*testing.B) Store { return NewMemoryStore() },
		"redis": func(b *testing.B) Store {
			rs := redistest.Start(b)
			return NewRedisStore(tunedClient(b, rs), "")
		},
	}
}

// benchItems is batch items of a message, the n-th of its kind: SSNs,
// e-mails, card numbers and phone numbers, each value distinct.
func benchItems(n, batch int) []Item {
	items := make([]Item, batch)
	for i := range items {
		id := strconv.Itoa(1_000_000 + n*batch + i)
		switch i % 4 {
		case 0:
			items[i] = Item{"us_ssn", id[:3] + "-" + id[3:5] + "-" + id[5:]}
		case 1:
			items[i] = Item{"email", "user" + id + "@example.com"}
		case 2:
			items[i] = Item{"credit_card", "4111 1111 " + id}
		case 3:
			items[i] = Item{"phone", "+1 415 " + id}
		}
	}
	return items
}

func perValue(b *testing.B, batch int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/value")
}

// BenchmarkTokenize: "new" values are stored by the call (the write
// path; the time includes building the message's items, about 0.1 µs a
// value, cheaper than stopping the timer); "known" values are already
// there (a record written again: the stored envelope is opened and
// compared).
func BenchmarkTokenize(b *testing.B) {
	ctx := context.Background()
	keys := ring(b, "k1", testKey("k1", 1))
	for _, backend := range []string{"memory", "redis"} {
		for _, batch := range []int{1, 40} {
			for _, kind := range []string{"new", "known"} {
				b.Run(backend+"/batch="+strconv.Itoa(batch)+"/"+kind, func(b *testing.B) {
					v := New(keys, benchBackends(b)[backend](b))
					known := benchItems(0, batch)
					if _, err := v.Tokenize(ctx, known); err != nil {
						b.Fatal(err)
					}
					b.ReportAllocs()
					n := 1
					for b.Loop() {
						items := known
						if kind == "new" {
							items = benchItems(n, batch)
							n++
						}
						if _, err := v.Tokenize(ctx, items); err != nil {
							b.Fatal(err)
						}
					}
					perValue(b, batch)
				})
			}
		}
	}
}

func BenchmarkDetokenize(b *testing.B) {
	ctx := context.Background()
	keys := ring(b, "k1", testKey("k1", 1))
	for _, backend := range []string{"memory", "redis"} {
		for _, batch := range []int{1, 40} {
			b.Run(backend+"/batch="+strconv.Itoa(batch), func(b *testing.B) {
				v := New(keys, benchBackends(b)[backend](b))
				toks, err := v.Tokenize(ctx, benchItems(0, batch))
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					got, err := v.Detokenize(ctx, toks)
					if err != nil || !got[0].Found {
						b.Fatal(got, err)
					}
				}
				perValue(b, batch)
			})
		}
	}
}

func BenchmarkHash(b *testing.B) {
	v := New(ring(b, "k1", testKey("k1", 1)), nil)
	b.ReportAllocs()
	for b.Loop() {
		v.Hash("email", "jane.doe@example.com")
	}
}

// BenchmarkTokenizeRotated: new values with an older key in the ring,
// which costs a lookup round trip before the claim (see Tokenize).
func BenchmarkTokenizeRotated(b *testing.B) {
	ctx := context.Background()
	keys := ring(b, "k2", testKey("k1", 1), testKey("k2", 2))
	for _, batch := range []int{1, 40} {
		b.Run("redis/batch="+strconv.Itoa(batch)+"/new", func(b *testing.B) {
			v := New(keys, benchBackends(b)["redis"](b))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if _, err := v.Tokenize(ctx, benchItems(n, batch)); err != nil {
					b.Fatal(err)
				}
				n++
			}
			perValue(b, batch)
		})
	}
}
