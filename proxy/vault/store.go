package vault

import "context"

// Store is a backend: a map from storage key to envelope, batched so that
// one call is one round trip. Storage keys are hex HMACs (never a value
// or a token); envelopes are opaque bytes. A Store never overwrites an
// entry: PutIfAbsent is the only write.
type Store interface {
	// PutIfAbsent stores vals[i] under keys[i] where absent; existing[i] is
	// the value already there (nil when it was stored now).
	PutIfAbsent(ctx context.Context, keys []string, vals [][]byte) (existing [][]byte, err error)
	// Get returns the value under each key, nil for a missing one.
	Get(ctx context.Context, keys []string) ([][]byte, error)
	// Delete removes the keys and reports how many were there.
	Delete(ctx context.Context, keys []string) (int, error)
	// Name names the backend ("memory", "redis") for metrics and logs.
	Name() string
	// Close releases what the store owns.
	Close() error
}
