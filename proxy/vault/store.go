package vault

import (
	"bytes"
	"context"
)

// Store is a backend: a map from storage key to envelope, batched so that
// one call is one round trip. Storage keys are hex HMACs (never a value
// or a token); envelopes are opaque bytes. A Store never overwrites an
// entry with a value: PutIfAbsent is the only write of one, and Bury
// (erasure) replaces an entry by the tombstone.
type Store interface {
	// PutIfAbsent stores vals[i] under keys[i] where absent; existing[i] is
	// the value already there (nil when it was stored now).
	PutIfAbsent(ctx context.Context, keys []string, vals [][]byte) (existing [][]byte, err error)
	// Get returns the value under each key, nil for a missing one.
	Get(ctx context.Context, keys []string) ([][]byte, error)
	// Bury replaces the entries present under keys by the tombstone, and
	// creates none; it reports how many live entries (not tombstones
	// already) it buried.
	Bury(ctx context.Context, keys []string) (int, error)
	// Delete removes the keys and reports how many were there.
	Delete(ctx context.Context, keys []string) (int, error)
	// Name names the backend ("memory", "redis") for metrics and logs.
	Name() string
	// Close releases what the store owns.
	Close() error
}

// tombstone is the entry an erasure leaves in place of an envelope: it
// keeps the token taken, so that the value tokenized again gets a new
// token (the next in its probe sequence) and the CRM's copies of the old
// one stay meaningless. It holds nothing of the value, and no envelope
// starts with a zero byte (envelopeV1 is 1).
var tombstone = []byte("\x00erased")

func isTombstone(b []byte) bool { return bytes.Equal(b, tombstone) }
