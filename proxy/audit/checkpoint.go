package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Checkpoint is a signed statement that record Seq of Instance's chain on
// Stream ("audit" or "alerts") had Hash at Time. The writer signs one
// every audit.checkpoint.every records or .interval, and at Close, and
// writes it outside the records: to the head file (the latest per
// instance) and, with Redis, to CheckpointKey beside the writer marker.
type Checkpoint struct {
	Stream   string    `json:"stream"`
	Instance string    `json:"instance"`
	Seq      uint64    `json:"seq"`
	Hash     string    `json:"hash"`
	Time     time.Time `json:"time"`
	KeyID    string    `json:"key_id"` // SigningKeyID of the signer
	Sig      string    `json:"sig"`    // base64 Ed25519 over signedBytes
}

func (c Checkpoint) signedBytes() []byte {
	return []byte("veil-audit-checkpoint/v1\n" + c.Stream + "\n" + c.Instance + "\n" +
		strconv.FormatUint(c.Seq, 10) + "\n" + c.Hash + "\n" + c.Time.UTC().Format(time.RFC3339Nano))
}

func signCheckpoint(sk ed25519.PrivateKey, keyID string, c Checkpoint) Checkpoint {
	c.Time = c.Time.UTC()
	c.KeyID = keyID
	c.Sig = base64.StdEncoding.EncodeToString(ed25519.Sign(sk, c.signedBytes()))
	return c
}

// Verify checks c's signature with the key its KeyID names.
func (c Checkpoint) Verify(keys PublicKeys) error {
	pk, ok := keys[c.KeyID]
	if !ok {
		return fmt.Errorf("signed by key %q, not among the public keys given", c.KeyID)
	}
	sig, err := base64.StdEncoding.DecodeString(c.Sig)
	if err != nil || !ed25519.Verify(pk, c.signedBytes(), sig) {
		return errors.New("signature does not verify (checkpoint forged or altered)")
	}
	return nil
}

// Head is the head file: the latest checkpoint of each instance that
// wrote the file (earlier instances' carried over by each new one, the
// newest maxHeadInstances kept).
type Head struct {
	Version     int          `json:"version"`
	Checkpoints []Checkpoint `json:"checkpoints"`
}

const maxHeadInstances = 1000

// HeadPath is the default head file of an audit (or alert) file.
func HeadPath(file string) string { return file + ".head" }

// ReadHead reads a head file.
func ReadHead(path string) (Head, error) {
	var h Head
	b, err := os.ReadFile(path)
	if err != nil {
		return h, err
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return h, fmt.Errorf("head file %s: not a head file", path)
	}
	return h, nil
}

// writeHead replaces the head file atomically: a temporary file in the
// same directory, fsynced, renamed over it, the directory fsynced.
func writeHead(path string, cps map[string]Checkpoint) error {
	h := Head{Version: 1, Checkpoints: make([]Checkpoint, 0, len(cps))}
	for _, c := range cps {
		h.Checkpoints = append(h.Checkpoints, c)
	}
	slices.SortFunc(h.Checkpoints, func(a, b Checkpoint) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Instance, b.Instance)
	})
	if n := len(h.Checkpoints); n > maxHeadInstances {
		h.Checkpoints = h.Checkpoints[n-maxHeadInstances:]
	}
	b, err := json.MarshalIndent(h, "", " ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// CheckpointKey is the Redis key of instance's latest checkpoint on
// stream, in the stream's Cluster slot (the writer marker's sibling).
func CheckpointKey(stream, instance string) string {
	return checkpointPrefix(stream) + instance
}

func checkpointPrefix(stream string) string {
	m := MarkerKey(stream, "")
	return strings.TrimSuffix(m, ":writer:") + ":checkpoint:"
}

// ReadRedisCheckpoints reads the latest checkpoint of every instance of
// stream (SCAN over CheckpointKey; every master of a Cluster).
func ReadRedisCheckpoints(ctx context.Context, c redis.UniversalClient, stream string) ([]Checkpoint, error) {
	pattern := globEscape(checkpointPrefix(stream)) + "*"
	var out []Checkpoint
	scan := func(ctx context.Context, c redis.Cmdable) error {
		it := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for it.Next(ctx) {
			v, err := c.Get(ctx, it.Val()).Result()
			if err == redis.Nil {
				continue
			}
			if err != nil {
				return err
			}
			var cp Checkpoint
			if err := json.Unmarshal([]byte(v), &cp); err != nil {
				return fmt.Errorf("checkpoint %s: does not decode", it.Val())
			}
			out = append(out, cp)
		}
		return it.Err()
	}
	var err error
	if cc, ok := c.(*redis.ClusterClient); ok {
		var mu = make(chan struct{}, 1)
		err = cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
			mu <- struct{}{}
			defer func() { <-mu }()
			return scan(ctx, n)
		})
	} else {
		err = scan(ctx, c)
	}
	if err != nil {
		return nil, fmt.Errorf("read checkpoints of %s: %w", stream, err)
	}
	return out, nil
}

func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
